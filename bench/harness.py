"""Runs the bench scenarios against a live gunicorn and writes bench/results.md.

bench/run.sh starts PostgreSQL and gunicorn, then runs `python -m bench`. Each
scenario is a small function in bench/scenarios.py registered with `@scenario`; it returns
an `HttpResult` (a wrk load: req/s, latency, statuses) or a `JobResult` (a batch job: rows,
seconds, peak RSS, against a reference such as PostgreSQL's COPY). Every figure in the
report is measured in this run; nothing is carried over from earlier runs.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection  # noqa: E402  # after django.setup()

from bench.memory import (  # noqa: E402
    PeakRss,
    children,
    cpu_seconds,
    cpu_spent,
    megabytes,
    run_measured,
)

BENCH_DIR = Path(__file__).resolve().parent
LUA_DIR = BENCH_DIR / "lua"
RESULTS = BENCH_DIR / "results.md"
JOB_DRAIN_SECONDS = 180.0
PAIRED_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
# The baseline's load (bench/views.py): its scenario and every round of a ratio scenario.
BASELINE_LOAD = {"script": "post_form.lua", "path": "/bench/insert/"}


class BenchError(Exception):
    """The bench itself could not measure (as opposed to a scenario measuring errors)."""


@dataclass(frozen=True)
class Measure:
    """One line of the summary table: what a target is about and whether it holds."""

    measure: str
    value: str
    target: str
    ratio: str = "—"
    met: bool | None = None


@dataclass
class HttpResult:
    name: str
    description: str
    target: str
    requests: int
    seconds: float
    latency_ms: dict[str, float]
    statuses: dict[int, int]
    socket_errors: dict[str, int]
    worker_peak_rss: int | None
    # CPU microseconds per request spent by the web workers, PostgreSQL and wrk itself: on
    # a machine they share, a ratio to the baseline is the ratio of these totals.
    cpu_us: dict[str, float] = field(default_factory=dict)
    # Scenarios measured in rounds against their own baseline runs (`Bench.paired_wrk`).
    round_ratios: list[float] = field(default_factory=list)
    rows_written: int | None = None
    # None: no target, or not measurable because of errors. Set by the scenario.
    target_met: bool | None = None
    notes: list[str] = field(default_factory=list)
    summary: list[Measure] = field(default_factory=list)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.non_2xx:
            spread = ", ".join(
                f"{status}: {count}"
                for status, count in sorted(self.statuses.items())
                if not 200 <= status < 300
            )
            found.append(f"{self.non_2xx} of {self.requests} responses not 2xx ({spread})")
        broken = {kind: count for kind, count in self.socket_errors.items() if count}
        if broken:
            found.append(f"socket errors {broken}")
        if not self.requests:
            found.append("no request completed")
        return found


@dataclass
class JobResult:
    name: str
    description: str
    target: str
    rows: int
    seconds: float
    peak_rss: int | None
    reference: str = ""  # what the ratio compares with, e.g. "COPY … TO STDOUT"
    reference_seconds: float | None = None
    target_met: bool | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: list[Measure] = field(default_factory=list)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        """Reference time over our time: 1.0 is as fast as the reference, 0.5 half as fast."""
        if self.reference_seconds is None or not self.seconds:
            return None
        return self.reference_seconds / self.seconds


Result = HttpResult | JobResult


@dataclass
class Bench:
    base_url: str
    seconds: int
    connections: int
    threads: int
    out_dir: Path
    gunicorn_pid: int
    tokens: int
    postgresql_pid: int | None = None
    rows: int = 1_000_000
    scrub_values: int = 100_000
    import_rows: int = 1_000_000
    evidence_events: int = 1_000
    # What the bulk seed made (list uuid, API key, session cookie …), for the scenarios.
    data: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)

    @property
    def baseline(self) -> HttpResult | None:
        result = self.results.get("baseline")
        return result if isinstance(result, HttpResult) and not result.problems else None

    def ratio_to_baseline(self, result: HttpResult) -> float | None:
        if result.round_ratios:
            return None if result.problems else statistics.median(result.round_ratios)
        baseline = self.baseline
        if baseline is None or result.problems or not baseline.requests_per_s:
            return None
        return result.requests_per_s / baseline.requests_per_s

    def paired_wrk(self, name: str, *, rounds: int = PAIRED_ROUNDS, **kwargs: Any) -> HttpResult:
        """`wrk` for a scenario whose target is a ratio: in `rounds` short runs, each just
        after a baseline run of the same length, so a change of load on a shared machine
        weighs on both sides of each ratio. The scenario's ratio is the median of the
        rounds'; its latencies are the worst round's, its counts the rounds' sums."""
        seconds = max(self.seconds * 2 // rounds, 3)  # the scenario's time, twice, in all
        runs: list[HttpResult] = []
        ratios: list[float] = []
        for number in range(1, rounds + 1):
            base = self.wrk(
                "baseline",
                description="",
                target="",
                seconds=seconds,
                BENCH_ROUND_SLUG=f"{name} round {number} baseline",
                **BASELINE_LOAD,
            )
            run = self.wrk(
                name,
                seconds=seconds,
                BENCH_ROUND_SLUG=f"{name} round {number}",
                BENCH_ROUND=str(number),
                BENCH_ROUNDS=str(rounds),
                **kwargs,
            )
            runs.append(run)
            if base.requests_per_s and not base.problems:
                ratios.append(run.requests_per_s / base.requests_per_s)
        merged = _merge(runs)
        merged.round_ratios = ratios
        merged.notes.append(
            f"Ratio: median of {rounds} rounds of {seconds} s, each against a baseline run "
            f"just before it ({', '.join(f'{ratio:.2f}' for ratio in ratios)})."
        )
        return merged

    def _database_cpu(self) -> dict[int, float]:
        """CPU so far of the postmaster's children: backends and background processes."""
        return cpu_seconds(children(self.postgresql_pid)) if self.postgresql_pid else {}

    def wrk(
        self,
        name: str,
        *,
        description: str,
        target: str,
        script: str,
        path: str = "/",
        seconds: int | None = None,
        **env: str,
    ) -> HttpResult:
        """Load `path` with wrk and one of bench/lua/*.lua; raw output in bench/out/."""
        seconds = seconds or self.seconds
        command = [
            "wrk",
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={seconds}s",
            "--timeout=5s",
            "--latency",
            f"--script={LUA_DIR / script}",
            self.base_url + path,
        ]
        environment = os.environ | {
            "BENCH_LUA_DIR": str(LUA_DIR),
            "BENCH_THREADS": str(self.threads),
            "BENCH_PATH": path,
            **env,
        }
        workers = children(self.gunicorn_pid)
        before = (cpu_seconds(workers), self._database_cpu(), _children_cpu_seconds())
        with PeakRss(workers) as rss:
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                env=environment,
                check=False,
                timeout=seconds + 60,
            )
        spent = (
            cpu_spent(before[0], cpu_seconds(children(self.gunicorn_pid))),
            cpu_spent(before[1], self._database_cpu()),
            _children_cpu_seconds() - before[2],
        )
        slug = re.sub(r"[^a-z0-9]+", "-", (env.get("BENCH_ROUND_SLUG") or name).lower()).strip("-")
        (self.out_dir / f"{slug}.wrk.txt").write_text(completed.stdout + completed.stderr)
        line = next(
            (row for row in completed.stdout.splitlines() if row.startswith("BENCH_JSON ")), None
        )
        if completed.returncode or line is None:
            raise BenchError(f"wrk failed for {name}: {completed.stderr or completed.stdout}")
        data = json.loads(line.removeprefix("BENCH_JSON "))
        requests = max(int(data["requests"]), 1)
        cpu_us = {
            part: seconds * 1e6 / requests
            for part, seconds in zip(("web", "database", "wrk"), spent, strict=True)
        }
        if not self.postgresql_pid:
            del cpu_us["database"]
        return HttpResult(
            name=name,
            description=description,
            target=target,
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            latency_ms={key: value / 1000 for key, value in data["latency_us"].items()},
            statuses={int(status): count for status, count in data["statuses"].items()},
            socket_errors={k: v for k, v in data["errors"].items() if k != "status"},
            worker_peak_rss=rss.highest,
            cpu_us=cpu_us,
        )


def _merge(runs: list[HttpResult]) -> HttpResult:
    """One result for the rounds of a scenario: sums, and the worst round's latencies."""
    first = runs[0]
    requests = sum(run.requests for run in runs)
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        for kind, count in run.socket_errors.items():
            errors[kind] = errors.get(kind, 0) + count
    peaks = [run.worker_peak_rss for run in runs if run.worker_peak_rss is not None]
    return HttpResult(
        name=first.name,
        description=first.description,
        target=first.target,
        requests=requests,
        seconds=sum(run.seconds for run in runs),
        latency_ms={key: max(run.latency_ms[key] for run in runs) for key in first.latency_ms},
        statuses=statuses,
        socket_errors=errors,
        worker_peak_rss=max(peaks) if peaks else None,
        cpu_us={
            part: sum(run.cpu_us[part] * run.requests for run in runs) / max(requests, 1)
            for part in first.cpu_us
        },
    )


def settle_database() -> None:
    """Vacuum and checkpoint what the seeding wrote, before any load.

    Left alone, autovacuum and the checkpointer work through the million seeded rows during
    the first scenarios and bill their CPU to them, on the cores the load shares.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute("CHECKPOINT")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has been waited for
    return usage.ru_utime + usage.ru_stime


Scenario = Callable[[Bench], Result]
SCENARIOS: list[Scenario] = []


def scenario(function: Scenario) -> Scenario:
    """Register a scenario; they run in definition order, the baseline first."""
    SCENARIOS.append(function)
    return function


def count_rows(sql: str, params: list[object] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return int(cursor.fetchone()[0])


def wait_until_serving(base_url: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"gunicorn does not answer {base_url}/healthz")
        time.sleep(0.2)


def warm_up(base_url: str) -> None:
    """First requests import the URLconf and views in each worker; keep them out of the run."""
    for _ in range(20):
        with urllib.request.urlopen(base_url + "/healthz", timeout=5):
            pass


def command_output(command: list[str]) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return ""
    return (completed.stdout or completed.stderr).strip()


def command_version(command: list[str]) -> str:
    output = command_output(command)
    return output.splitlines()[0] if output else "not installed"


def machine_facts(bench: Bench) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        postgresql = cursor.fetchone()[0].split(" on ")[0]
    commit = command_output(["git", "describe", "--always", "--dirty"]) or "unknown"
    # Figures from a tree with local changes say which files differ from the commit.
    changed = command_output(["git", "diff", "--name-only", "HEAD"]).split()
    if changed:
        commit += f" (uncommitted changes in {', '.join(changed)})"
    return [
        ("date", datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPUs (nproc)", str(len(os.sched_getaffinity(0)))),
        ("load average at start", " ".join(f"{value:.2f}" for value in os.getloadavg())),
        ("kernel", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("PostgreSQL", postgresql),
        ("gunicorn", command_version([sys.executable, "-m", "gunicorn", "--version"])),
        ("wrk", command_version(["wrk", "--version"]).split(" [")[0]),
        ("commit", commit),
        ("load", f"wrk {bench.threads} threads, {bench.connections} connections"),
        ("duration", f"{bench.seconds} s per scenario"),
    ]


def seed_job(bench: Bench) -> JobResult:
    tokens_file = bench.out_dir / "tokens.txt"
    finished = run_measured(
        [sys.executable, "-m", "bench.seed", str(tokens_file), str(bench.tokens)]
    )
    if finished.returncode:
        raise BenchError(f"seeding failed (exit {finished.returncode})")
    summary = json.loads(finished.stdout.strip().splitlines()[-1])
    return JobResult(
        name="seed",
        description="bench data: contacts of one list and a one-click token each (setup)",
        target="—",
        rows=summary["contacts"],
        seconds=finished.seconds,
        peak_rss=finished.peak_rss_bytes,
    )


def bulk_seed_job(bench: Bench) -> JobResult:
    finished = run_measured(
        [
            sys.executable,
            "-m",
            "bench.bulk",
            str(bench.out_dir),
            str(bench.rows),
            str(bench.evidence_events),
        ]
    )
    if finished.returncode:
        raise BenchError(f"bulk seeding failed (exit {finished.returncode})")
    bench.data = json.loads(finished.stdout.strip().splitlines()[-1])
    return JobResult(
        name="seed (bulk, SQL)",
        description=(
            f"bench data: {bench.rows} contacts, suppressions and consent events on one list "
            f"(one contact with {bench.evidence_events} events), generated in SQL (setup)"
        ),
        target="—",
        rows=bench.rows,
        seconds=finished.seconds,
        peak_rss=finished.peak_rss_bytes,
    )


def rollup_fold_job(bench: Bench) -> JobResult:
    """Fold the seeded events into the reports' daily counts, as beat does every minute in
    production: the report scenario then measures the page people get, not the first run
    after a bulk load."""
    finished = run_measured(
        [sys.executable, "manage.py", "refresh_event_rollup", "--wait", "30"],
        timeout=int(os.environ.get("BENCH_JOB_TIMEOUT", "420")),
    )
    if finished.returncode:
        raise BenchError(f"rollup fold failed (exit {finished.returncode})")
    return JobResult(
        name="rollup fold",
        description=(
            f"manage.py refresh_event_rollup over the {bench.rows} seeded events (setup): "
            + " ".join(finished.stdout.split())
        ),
        target="—",
        rows=bench.rows,
        seconds=finished.seconds,
        peak_rss=finished.peak_rss_bytes,
    )


def _ms(value: float) -> str:
    return f"{value:.1f} ms"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _verdict(result: Result) -> str:
    if result.problems:
        return "**FAILING**"
    if result.target_met is None:
        return "reference" if result.name == "baseline" else "info"
    return "met" if result.target_met else "**MISSED**"


def _met(result: Result, measure: Measure) -> str:
    if result.problems:
        return "**FAILING**"
    if measure.met is None:
        return "—"
    return "yes" if measure.met else "**no**"


def _http_details(result: HttpResult) -> str:
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(result.statuses.items()))
    details = [
        f"{result.requests} requests in {result.seconds:.1f} s",
        f"p95 {_ms(result.latency_ms['p95'])}, max {_ms(result.latency_ms['max'])}",
        f"statuses {statuses or 'none'}",
        f"gunicorn worker peak RSS {megabytes(result.worker_peak_rss)}",
    ]
    if result.rows_written is not None:
        details.append(f"rows written {result.rows_written}")
    return "; ".join(details)


def render(
    bench: Bench, facts: list[tuple[str, str]], load_at_end: str, warnings: list[str]
) -> str:
    http = [r for r in bench.results.values() if isinstance(r, HttpResult)]
    jobs = [r for r in bench.results.values() if isinstance(r, JobResult)]
    lines = [
        "# Bench results",
        "",
        "Written by `make bench` (bench/run.sh); every figure below comes from that one run.",
        "Server: gunicorn, 2 sync workers, `DJANGO_DEBUG=false`, on a throw-away PostgreSQL",
        "(fsync off) with a Redis broker (tasks are queued, no worker runs them: the bench",
        "measures the request path), on the same machine as wrk. Ratios compare req/s with",
        "the baseline view (one INSERT through the same middleware) measured in the same run.",
        "The bench machine may be shared: read the load averages below before the absolute",
        "figures, and prefer the ratios, which compare measurements taken under the same load.",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "| --- | --- |",
        *[f"| {name} | {value} |" for name, value in facts],
        f"| load average at end | {load_at_end} |",
        "",
        "## Summary",
        "",
        "| scenario | measure | value | target | ratio | met? |",
        "| --- | --- | ---: | --- | ---: | --- |",
        *[
            f"| {r.name} | {m.measure} | {m.value} | {m.target} | {m.ratio} | {_met(r, m)} |"
            for r in bench.results.values()
            for m in r.summary
        ],
        "",
        "## HTTP scenarios",
        "",
        "| scenario | req/s | p50 | p90 | p99 | non-2xx | ratio to baseline | target | verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in http:
        lines.append(
            f"| {r.name} | {r.requests_per_s:.0f} | {_ms(r.latency_ms['p50'])} | "
            f"{_ms(r.latency_ms['p90'])} | {_ms(r.latency_ms['p99'])} | {r.non_2xx} | "
            f"{_ratio(bench.ratio_to_baseline(r))} | {r.target} | {_verdict(r)} |"
        )
    measured = [r for r in http if r.cpu_us]
    if measured:
        parts = list(measured[0].cpu_us)
        lines += [
            "",
            "### CPU per request",
            "",
            "Microseconds of CPU per request, by process, while wrk ran (from /proc and",
            "getrusage). The machine's cores are shared by all three, so these totals explain",
            "the ratios above; the last column is each total over the baseline's.",
            "",
            f"| scenario | {' | '.join(parts)} | total | of baseline |",
            f"| --- | {' | '.join(['---:'] * len(parts))} | ---: | ---: |",
        ]
        reference = bench.results.get("baseline")
        base_total = sum(reference.cpu_us.values()) if isinstance(reference, HttpResult) else 0
        for r in measured:
            total = sum(r.cpu_us.values())
            times = f"{total / base_total:.2f}" if base_total else "—"
            cells = " | ".join(f"{r.cpu_us.get(part, 0):.0f}" for part in parts)
            lines.append(f"| {r.name} | {cells} | {total:.0f} | {times} |")
    if jobs:
        lines += [
            "",
            "## Jobs",
            "",
            "| job | rows | time | rows/s | peak RSS | reference | ratio | target | verdict |",
            "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |",
        ]
        for j in jobs:
            lines.append(
                f"| {j.name} | {j.rows} | {j.seconds:.2f} s | {j.rows_per_s:.0f} | "
                f"{megabytes(j.peak_rss)} | {j.reference or '—'} | {_ratio(j.ratio)} | "
                f"{j.target} | {_verdict(j)} |"
            )
    busy = os.getloadavg()[0] > len(os.sched_getaffinity(0))
    if busy:
        lines += [
            "",
            "The machine was busy (load average above its CPU count): absolute figures are",
            "depressed and noisy; ratios within this run suffer less, but are noisy too.",
        ]
    lines += ["", "## Details", ""]
    lines += [f"- SETUP WARNING: {warning}" for warning in warnings]
    every: list[Result] = [*http, *jobs]
    for result in every:
        lines.append(f"- **{result.name}**: {result.description}.")
        if isinstance(result, HttpResult):
            lines.append(f"  {_http_details(result)}.")
        lines += [f"  PROBLEM: {problem}." for problem in result.problems]
        lines += [f"  {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    bench = Bench(
        base_url=os.environ["BENCH_URL"].rstrip("/"),
        seconds=seconds,
        connections=int(os.environ.get("BENCH_CONNECTIONS", "8")),
        threads=int(os.environ.get("BENCH_THREADS", "2")),
        out_dir=Path(os.environ["BENCH_OUT"]),
        gunicorn_pid=int(os.environ["BENCH_GUNICORN_PID"]),
        postgresql_pid=int(os.environ["BENCH_POSTGRESQL_PID"])
        if os.environ.get("BENCH_POSTGRESQL_PID")
        else None,
        # Enough distinct contacts that the one-click rounds (twice the scenario time in all)
        # rarely wrap around to a token that already unsubscribed: its receipt costs the
        # request the same, but the worker would then record a cheaper, idempotent opt-out.
        tokens=int(os.environ.get("BENCH_TOKENS", str(max(5_000, 5_000 * seconds)))),
        rows=int(os.environ.get("BENCH_ROWS", "1000000")),
        scrub_values=int(os.environ.get("BENCH_SCRUB_VALUES", "100000")),
        import_rows=int(os.environ.get("BENCH_IMPORT_ROWS", "1000000")),
        evidence_events=int(os.environ.get("BENCH_EVIDENCE_EVENTS", "1000")),
    )
    facts = machine_facts(bench)
    print(f"seeding {bench.tokens} contacts and tokens …", flush=True)
    bench.results["seed"] = seed_job(bench)
    print(f"seeding {bench.rows} contacts, suppressions and events in SQL …", flush=True)
    bench.results["seed (bulk, SQL)"] = bulk_seed_job(bench)
    print("folding the events into the daily rollup …", flush=True)
    bench.results["rollup fold"] = rollup_fold_job(bench)
    print("settling the database (VACUUM, CHECKPOINT) …", flush=True)
    settle_database()
    wait_until_serving(bench.base_url)
    warm_up(bench.base_url)
    # BENCH_SCENARIOS=baseline,one_click_post runs a subset (the baseline should stay in it:
    # ratios are taken against the baseline of the same run).
    chosen = {name for name in os.environ.get("BENCH_SCENARIOS", "").split(",") if name}
    for function in SCENARIOS:
        if chosen and function.__name__ not in chosen:
            continue
        print(f"scenario {function.__name__} …", flush=True)
        # wrk gives up on slow requests, the sync workers do not: let them finish the last
        # scenario's backlog, or its slowness is measured again as this one's.
        wait_until_serving(bench.base_url, timeout=JOB_DRAIN_SECONDS)
        try:
            result = function(bench)
        except (BenchError, subprocess.SubprocessError, OSError) as exc:
            # One broken scenario must not cost the figures of the others.
            result = JobResult(
                name=function.__name__.replace("_", " "),
                description="could not be measured",
                target="—",
                rows=0,
                seconds=0.0,
                peak_rss=None,
                problems=[f"{type(exc).__name__}: {exc}"],
            )
        bench.results[result.name] = result
        for problem in result.problems:
            print(f"  PROBLEM in {result.name}: {problem}", flush=True)
    load_at_end = " ".join(f"{value:.2f}" for value in os.getloadavg())
    # Set by run.sh when a setup step failed without making the load impossible.
    warnings = [w for w in os.environ.get("BENCH_SETUP_WARNINGS", "").split("\n") if w]
    report = render(bench, facts, load_at_end, warnings)
    RESULTS.write_text(report)
    print(report)
    if bench.baseline is None:
        print("The baseline failed: no ratio in this run is meaningful.", file=sys.stderr)
        return 1
    flagged = [r.name for r in bench.results.values() if r.problems]
    if flagged:
        print(f"Scenarios with errors: {', '.join(flagged)} (see bench/results.md)", flush=True)
        if os.environ.get("BENCH_STRICT", "false") == "true":
            return 1
    return 0
