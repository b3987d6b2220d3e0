"""Bar charts drawn on the server as SVG geometry: no JavaScript, no inline style (CSP).

The template draws the axes; `BarChart.bars_svg` writes the `<rect>` elements (sixty for a
month, each with its tooltip) in one pass, which the template engine took 10 ms for. Their
colours come from CSS classes; the same numbers are always shown in a table next to the
chart for screen readers. Coordinates are written as plain numbers: a localized "12,5"
would be no SVG length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from consent.selectors.reports import Row

WIDTH = 720
HEIGHT = 220
LEFT = 44  # room for the y axis labels
BOTTOM = 28  # room for the x axis labels
TOP = 8
MAX_X_LABELS = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str  # chart-opt-out or chart-opt-in
    label: str
    value: int


@dataclass(frozen=True)
class Tick:
    position: str  # an SVG coordinate, written by _number
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    plot_left: int
    plot_bottom: float
    bars: list[Bar]
    x_labels: list[Tick]
    y_ticks: list[Tick]

    @property
    def bars_svg(self) -> SafeString:
        """Every bar as `<rect>` with a `<title>` tooltip, escaped by format_html."""
        words = {"chart-opt-out": gettext("opt-outs"), "chart-opt-in": gettext("opt-ins")}
        return format_html_join(
            "",
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>',
            (
                (
                    bar.css_class,
                    _number(bar.x),
                    _number(bar.y),
                    _number(bar.width),
                    _number(bar.height),
                    bar.label,
                    bar.value,
                    words[bar.css_class],
                )
                for bar in self.bars
            ),
        )


def _number(value: float) -> str:
    """An SVG length: a dot for the decimals whatever the language, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times 10^n at or above value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def grouped_bars(rows: Sequence[Row]) -> BarChart:
    """Opt-outs and opt-ins side by side for each row (a day, a source, ...)."""
    plot_width = WIDTH - LEFT
    plot_height = HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max([1, *(max(row.opt_outs, row.opt_ins) for row in rows)]))
    slot = plot_width / max(len(rows), 1)
    bar_width = max(slot * 0.4, 0.5)
    bars: list[Bar] = []
    x_labels: list[Tick] = []
    every = max(1, -(-len(rows) // MAX_X_LABELS))
    for index, row in enumerate(rows):
        left = LEFT + index * slot + slot * 0.1
        for offset, value, css_class in (
            (0.0, row.opt_outs, "chart-opt-out"),
            (bar_width, row.opt_ins, "chart-opt-in"),
        ):
            height = plot_height * value / top
            bars.append(
                Bar(
                    x=round(left + offset, 2),
                    y=round(TOP + plot_height - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    css_class=css_class,
                    label=row.label,
                    value=value,
                )
            )
        if index % every == 0:
            x_labels.append(Tick(position=_number(left + bar_width), label=row.label))
    # Ticks at zero, about half and the top; each sits where its own value belongs.
    values = [0, top // 2, top] if top > 1 else [0, top]
    y_ticks = [
        Tick(position=_number(TOP + plot_height - plot_height * value / top), label=str(value))
        for value in values
    ]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_bottom=TOP + plot_height,
        bars=bars,
        x_labels=x_labels,
        y_ticks=y_ticks,
    )
