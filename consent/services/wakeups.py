"""Wake a worker for rows requests have committed, without one broker message per request.

Hot endpoints (one-click receipts, journey platform opt-outs) store a row and answer; a
worker applies the rows later. Queueing a task per request would cost each request a
broker round trip, so each process queues at most one wake-up per interval, delayed to the
end of the interval: that one task takes every row waiting by then. Beat's sweep is the
safety net for a wake-up the broker lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


class Wakeup:
    """Call `send(countdown)` at most once per `interval()` seconds in this process.

    `send` queues the task (`task.apply_async(countdown=…)`); it is looked up at call time,
    so tests and the task registry can swap it. A broker outage loses nothing: the rows wait
    for the sweep, and the next call tries the broker again.
    """

    def __init__(
        self, *, name: str, send: Callable[[float], object], interval: Callable[[], float]
    ) -> None:
        self.name = name
        self._send = send
        self._interval = interval
        self._lock = threading.Lock()
        self.next_at = 0.0

    def __call__(self) -> None:
        interval = max(self._interval(), 0.0)
        with self._lock:
            now = time.monotonic()
            if now < self.next_at:
                return
            self.next_at = now + interval
        try:
            self._send(interval)
        except Exception as exc:  # the rows are committed: never fail their request
            with self._lock:
                self.next_at = 0.0  # try again with the next row
            if isinstance(exc, BrokerUnavailable):
                logger.warning("Broker unavailable; the sweep will process %s later", self.name)
            else:
                logger.exception(
                    "Could not wake a worker; the sweep will process %s later", self.name
                )
