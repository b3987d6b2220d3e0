"""A deployment with a broker, for tests of the wake-ups: tasks are sent, not run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from consent.services.wakeups import Wakeup


@contextmanager
def broker_for(
    monkeypatch: pytest.MonkeyPatch, task: Any, wakeup: Wakeup
) -> Iterator[list[dict[str, Any]]]:
    """Record what `task` would be sent with instead of sending it; tasks are not eager and
    `wakeup` has not fired yet, as in a fresh web process."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(task, "apply_async", lambda **kw: sent.append(kw))
    monkeypatch.setattr(wakeup, "next_at", 0.0)
    app = task.app
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield sent
    finally:
        app.conf.task_always_eager = previous
