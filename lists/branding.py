"""A list's accent colour turned into a small stylesheet that keeps WCAG AA contrast.

Marketers pick any colour; the page must stay readable. Text on the accent is black or
white, whichever contrasts more; where the accent itself is used as text on white, it is
darkened until it reaches 4.5:1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lists.models import HEX_COLOR

AA_TEXT = 4.5
WHITE = (255, 255, 255)
BLACK = (0, 0, 0)

RGB = tuple[int, int, int]


def parse_hex(color: str) -> RGB:
    """`#rrggbb` → (r, g, b). Raises ValueError on anything else."""
    if not re.fullmatch(HEX_COLOR, color):
        raise ValueError(f"Not a #rrggbb colour: {color!r}")
    text = color[1:]
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    r, g, b = (_channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: RGB, second: RGB) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _mix(rgb: RGB, other: RGB, share: float) -> RGB:
    r, g, b = (round(a + (b - a) * share) for a, b in zip(rgb, other, strict=True))
    return r, g, b


def readable_on(background: RGB, color: RGB, minimum: float = AA_TEXT) -> RGB:
    """`color`, darkened (or lightened) just enough to read on `background`."""
    target = BLACK if luminance(background) > 0.18 else WHITE
    for step in range(21):
        candidate = _mix(color, target, step / 20)
        if contrast(background, candidate) >= minimum:
            return candidate
    return target


@dataclass(frozen=True)
class Theme:
    accent: str  # button and switch fill
    on_accent: str  # text on the fill
    accent_hover: str
    accent_text: str  # links and headings on white

    def css(self) -> str:
        # The knob of a switched-on switch takes the label colour, so it shows on light fills.
        knob = self.on_accent.replace("#", "%23")
        return (
            ":root {\n"
            f"  --optout-accent: {self.accent};\n"
            f"  --optout-on-accent: {self.on_accent};\n"
            f"  --optout-accent-hover: {self.accent_hover};\n"
            f"  --optout-accent-text: {self.accent_text};\n"
            "}\n"
            ".optout-page .form-switch .form-check-input:checked {\n"
            "  --bs-form-switch-bg: url(\"data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'"
            f" viewBox='-4 -4 8 8'%3e%3ccircle r='3' fill='{knob}'/%3e%3c/svg%3e\");\n"
            "}\n"
        )


def theme_for(accent_color: str) -> Theme:
    """The theme of one accent colour. Raises ValueError when it is not #rrggbb."""
    accent = parse_hex(accent_color)
    on_accent = WHITE if contrast(accent, WHITE) >= contrast(accent, BLACK) else BLACK
    # Keep the button fill itself readable under its label, darkening or lightening it.
    fill = readable_on(on_accent, accent)
    hover = _mix(fill, BLACK if on_accent == WHITE else WHITE, 0.15)
    return Theme(
        accent=to_hex(fill),
        on_accent=to_hex(on_accent),
        accent_hover=to_hex(readable_on(on_accent, hover)),
        accent_text=to_hex(readable_on(WHITE, accent)),
    )
