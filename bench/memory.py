"""Peak memory of processes, from the kernel's own accounting (no psutil).

Two cases: a command the bench runs to completion (its peak comes with its exit status,
from wait4's rusage) and processes that keep running, such as gunicorn workers (sampled
from /proc while a scenario runs).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finished:
    returncode: int
    seconds: float
    peak_rss_bytes: int
    stdout: str


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    shell: bool = False,
) -> Finished:
    """Run a command to completion; its wall time and the peak RSS of that process.

    ru_maxrss (kilobytes on Linux) is the high-water mark of the child itself, so nothing
    is missed between samples. Past `timeout` seconds the command is killed (returncode
    -9): a bench must end. With `shell`, the command is one string for `bash -c` (a
    pipeline); the peak is then the largest of its processes.
    """
    if shell:
        command = ["bash", "-o", "pipefail", "-c", *command]
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=None if env is None else dict(env),
    )
    assert process.stdout is not None
    timer = threading.Timer(timeout, process.kill) if timeout else None
    if timer:
        timer.start()
    with process.stdout:
        output = process.stdout.read()
    if timer:
        timer.cancel()
    # wait4 instead of Popen.wait: it also returns the child's resource usage.
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Finished(
        returncode=process.returncode,
        seconds=seconds,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        stdout=output.decode(errors="replace"),
    )


def rss_bytes(pid: int) -> int | None:
    """Current resident set of a live process, None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None  # a zombie has no VmRSS line


def children(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers, say)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


class PeakRss:
    """Samples the RSS of some processes in a thread; the highest value per pid.

    Use as a context manager around the load. Sampling every 20 ms catches anything that
    lasts long enough to matter for a server under a multi-second load.
    """

    def __init__(self, pids: Sequence[int], interval: float = 0.02) -> None:
        self.pids = list(pids)
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            for pid in self.pids:
                current = rss_bytes(pid)
                if current is not None and current > self.peaks.get(pid, 0):
                    self.peaks[pid] = current
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def highest(self) -> int | None:
        return max(self.peaks.values(), default=None)


def megabytes(size: int | None) -> str:
    return "—" if size is None else f"{size / 1024 / 1024:.1f} MB"


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU each live process among `pids` has used so far, by pid."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two `cpu_seconds` readings; a process started in between counts
    whole (a database backend opened during the load, say)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
