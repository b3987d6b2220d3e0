"""The bench scenarios, in the order they run. Add one as a small function:

    @scenario
    def preference_center(bench: Bench) -> HttpResult:
        result = bench.wrk("preference-center GET", script="get.lua", path=..., ...)
        result.target_met = result.latency_ms["p95"] < 50
        return result

HTTP loads go through `bench.wrk` (bench/lua/*.lua, with report.lua for the statuses);
batch jobs (a million-row download, scrub, import against COPY) return a `JobResult`,
timed and measured with bench.memory (`run_measured` for a child process's peak RSS,
`PeakRss` for the gunicorn workers while they stream).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

from bench.bulk import bulk_address
from bench.harness import (
    BASELINE_LOAD,
    Bench,
    BenchError,
    HttpResult,
    JobResult,
    Measure,
    count_rows,
    scenario,
    wait_until_serving,
)
from bench.memory import PeakRss, children, megabytes, rss_bytes, run_measured
from bench.seed import LIST_SLUG
from bench.views import TABLE
from consent.models import ConsentEvent, JourneyOptOutRequest, OneClickReceipt, Suppression
from consent.services.one_click import apply_one_click_receipts
from consent.services.rollup import refresh_event_rollup

# A batch job gets this long before the bench kills it and reports it as failing.
JOB_TIMEOUT_SECONDS = int(os.environ.get("BENCH_JOB_TIMEOUT", "420"))
PSQL = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", os.environ.get("DATABASE_URL", "")]


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _paths_file(bench: Bench, name: str, paths: list[str]) -> str:
    path = bench.out_dir / f"{name}.paths"
    path.write_text("\n".join(paths) + "\n")
    return str(path)


def _throughput(bench: Bench, result: HttpResult, *, target: float | None) -> Measure:
    ratio = bench.ratio_to_baseline(result)
    return Measure(
        "req/s at 8 connections",
        f"{result.requests_per_s:.0f}",
        "—" if target is None else f"ratio ≥ {target}",
        _ratio(ratio),
        None if target is None or ratio is None else ratio >= target,
    )


def _latency(result: HttpResult, percentile: str, limit_ms: float) -> Measure:
    value = result.latency_ms[percentile]
    return Measure(
        f"{percentile} latency", f"{value:.1f} ms", f"< {limit_ms:g} ms", met=value < limit_ms
    )


def _psql(sql: str, *, timeout: float = JOB_TIMEOUT_SECONDS) -> float:
    """Seconds PostgreSQL itself takes for `sql` (psql -f, output discarded)."""
    script = Path(os.environ.get("BENCH_OUT", ".")) / "reference.sql"
    script.write_text(sql)
    finished = run_measured(
        [
            " ".join(shlex.quote(part) for part in PSQL)
            + f" -f {shlex.quote(str(script))} >/dev/null"
        ],
        shell=True,
        timeout=timeout,
    )
    if finished.returncode:
        raise BenchError(f"psql reference failed (exit {finished.returncode}): {sql[:200]}")
    return finished.seconds


@scenario
def baseline(bench: Bench) -> HttpResult:
    before = count_rows(f"SELECT count(*) FROM {TABLE}")
    result = bench.wrk(
        "baseline",
        description="POST /bench/insert/: a bare Django view doing one INSERT (bench/views.py)",
        target="reference",
        **BASELINE_LOAD,
    )
    result.rows_written = count_rows(f"SELECT count(*) FROM {TABLE}") - before
    result.summary.append(
        Measure("req/s at 8 connections", f"{result.requests_per_s:.0f}", "reference", "1.00")
    )
    answered = result.requests - result.non_2xx
    # Requests still in flight when wrk stops are written but not counted: one per connection.
    if not answered <= result.rows_written <= answered + bench.connections:
        result.notes.append(
            f"Rows written ({result.rows_written}) do not match the {answered} 2xx answers."
        )
    return result


@scenario
def one_click(bench: Bench) -> HttpResult:
    suppressions = Suppression.objects.filter(mailing_list__slug=LIST_SLUG)
    events = ConsentEvent.objects.filter(mailing_list__slug=LIST_SLUG)
    before, events_before = suppressions.count(), events.count()
    receipts_before = OneClickReceipt.objects.count()
    result = bench.paired_wrk(
        "one-click POST",
        description=(
            "POST /o/<token>/ with List-Unsubscribe=One-Click (RFC 8058), form-urlencoded, "
            f"a new contact's token on each request ({bench.tokens} tokens in rotation); "
            "the receipt is stored and a worker woken through the Redis broker, not run"
        ),
        target="ratio ≥ 0.8, p99 < 50 ms",
        script="one_click.lua",
        BENCH_TOKENS_FILE=str(bench.out_dir / "tokens.txt"),
    )
    result.rows_written = OneClickReceipt.objects.count() - receipts_before
    ratio = bench.ratio_to_baseline(result)
    if ratio is not None:
        result.target_met = ratio >= 0.8 and result.latency_ms["p99"] < 50
    result.summary += [
        _throughput(bench, result, target=0.8),
        _latency(result, "p99", 50),
        Measure("non-2xx answers", str(result.non_2xx), "0", met=result.non_2xx == 0),
    ]
    if result.requests and result.non_2xx == result.requests:
        result.notes.append(
            "No request succeeded: a regression of the one-click view (see bench/out/)."
        )
        return result
    result.notes.append(
        f"{result.rows_written} receipts stored for {result.requests - result.non_2xx} "
        "answered requests."
    )
    # The work the requests left to the worker, done here by one worker after the load: it
    # must keep up with the request rate, or receipts would pile up.
    started = time.perf_counter()
    applied = apply_one_click_receipts()
    seconds = time.perf_counter() - started
    per_second = applied / seconds if seconds else 0.0
    result.summary.append(
        Measure(
            "receipts recorded per second by one worker",
            f"{per_second:.0f}",
            "≥ the req/s above",
            met=per_second >= result.requests_per_s,
        )
    )
    result.notes.append(
        f"One worker then recorded {applied} receipts in {seconds:.2f} s "
        f"({per_second:.0f}/s): {suppressions.count() - before} new suppressions and "
        f"{events.count() - events_before} consent events; "
        f"{OneClickReceipt.objects.count()} receipts left waiting."
    )
    return result


@scenario
def journey_one_click(bench: Bench) -> HttpResult:
    stored = JourneyOptOutRequest.objects.count()
    result = bench.paired_wrk(
        "journey one-click POST",
        description=(
            "POST /j/<key>/?params=…&pid=… (customer-managed one-click of a journey "
            "platform), a pair never seen before on each request; the decrypt task is queued "
            "on the Redis broker, not run"
        ),
        target="ratio ≥ 0.8",
        script="journey.lua",
        path=f"/j/{bench.data['journey_key']}/",
        BENCH_RUN_ID=str(int(time.time())),
    )
    result.rows_written = JourneyOptOutRequest.objects.count() - stored
    ratio = bench.ratio_to_baseline(result)
    result.target_met = None if ratio is None else ratio >= 0.8
    result.summary += [
        _throughput(bench, result, target=0.8),
        Measure("non-2xx answers", str(result.non_2xx), "0", met=result.non_2xx == 0),
    ]
    result.notes.append(
        f"{result.rows_written} opt-out requests stored for "
        f"{result.requests - result.non_2xx} answered requests."
    )
    return result


@scenario
def preference_center(bench: Bench) -> HttpResult:
    tokens = (bench.out_dir / "tokens.txt").read_text().split()
    result = bench.wrk(
        "preference-center GET",
        description=f"GET /p/<token>/, a different contact's token on each request ({len(tokens)})",
        target="p95 < 50 ms",
        script="get_paths.lua",
        BENCH_PATHS_FILE=_paths_file(bench, "preference-center", [f"/p/{t}/" for t in tokens]),
    )
    result.target_met = result.latency_ms["p95"] < 50
    result.summary += [_latency(result, "p95", 50), _throughput(bench, result, target=None)]
    return result


def _staff_page(
    bench: Bench, name: str, path: str, description: str, limit_ms: float
) -> HttpResult:
    result = bench.wrk(
        name,
        description=description,
        target=f"p95 < {limit_ms:g} ms",
        script="get_paths.lua",
        BENCH_PATHS_FILE=_paths_file(bench, name.replace(" ", "-"), [path]),
        BENCH_COOKIE=bench.data["session_cookie"],
    )
    result.target_met = result.latency_ms["p95"] < limit_ms
    result.summary += [_latency(result, "p95", limit_ms), _throughput(bench, result, target=None)]
    if result.socket_errors.get("timeout"):
        # wrk records no latency for a request it gave up on: time one alone, once the
        # workers have finished the backlog, so the report says how slow the page is.
        wait_until_serving(bench.base_url, timeout=JOB_TIMEOUT_SECONDS)
        command = (
            f"curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}' --max-time 120 "
            f"-H {shlex.quote('Cookie: ' + bench.data['session_cookie'])} "
            f"{shlex.quote(bench.base_url + path)}"
        )
        alone = run_measured([command], shell=True, timeout=150).stdout.split()
        if len(alone) == 2:
            result.summary.append(
                Measure(
                    "one request alone (no load)",
                    f"{float(alone[1]) * 1000:.0f} ms",
                    f"< {limit_ms:g} ms",
                    met=float(alone[1]) * 1000 < limit_ms,
                )
            )
            result.notes.append(f"One request alone: HTTP {alone[0]} in {alone[1]} s.")
    return result


@scenario
def compliance_report(bench: Bench) -> HttpResult:
    # Beat folds new events every OPTOUT_ROLLUP_REFRESH_SECONDS; the bench runs no beat, so
    # the events the earlier scenarios wrote are folded here, as beat would have done.
    folded = refresh_event_rollup(wait=30)
    result = _staff_page(
        bench,
        "compliance report page",
        f"/admin/consent/reports/?mailing_list={bench.data['list_id']}",
        f"GET the opt-out report of a list with {bench.rows} consent events (last 30 days), "
        "as a logged-in superuser",
        300,
    )
    result.notes.append(
        f"Before the load, the rollup fold (as beat runs it) folded {folded.events} new events."
    )
    return result


@scenario
def evidence_page(bench: Bench) -> HttpResult:
    return _staff_page(
        bench,
        "evidence page",
        f"/admin/consent/evidence/{bench.data['evidence_contact']}/",
        f"GET the evidence page of a contact with {bench.evidence_events} consent events, "
        "as a logged-in superuser",
        100,
    )


def _api(bench: Bench, path: str) -> tuple[str, str]:
    url = f"{bench.base_url}/api/v1/lists/{bench.data['list_uuid']}/{path}"
    return url, f"X-Api-Key: {bench.data['api_key']}"


@scenario
def suppression_download(bench: Bench) -> JobResult:
    url, key = _api(bench, "suppressions/sha256/")
    workers = children(bench.gunicorn_pid)
    idle = max((rss_bytes(pid) or 0) for pid in workers)
    command = f"curl -sS --fail -H {shlex.quote(key)} {shlex.quote(url)} | wc -l"
    with PeakRss(workers) as rss:
        finished = run_measured([command], shell=True, timeout=JOB_TIMEOUT_SECONDS)
    list_id = int(bench.data["list_id"])
    reference = _psql(
        "COPY (SELECT c.sha256 FROM consent_contact c WHERE c.id IN (SELECT contact_id "
        f"FROM consent_suppression WHERE mailing_list_id = {list_id} AND category_id IS NULL) "
        "ORDER BY c.id) TO STDOUT;\n"
    )
    rows = int(finished.stdout.strip() or 0) if finished.returncode == 0 else 0
    result = JobResult(
        name="suppression download",
        description=(
            f"GET /api/v1/lists/<uuid>/suppressions/sha256/ of {bench.rows} suppressions with "
            "an API key from 127.0.0.1 (curl, streamed), against psql `COPY (SELECT sha256 …) "
            "TO STDOUT` of the same rows"
        ),
        target="ratio ≥ 0.5",
        rows=rows,
        seconds=finished.seconds,
        peak_rss=rss.highest,
        reference="COPY … TO STDOUT",
        reference_seconds=reference,
    )
    if finished.returncode:
        result.problems.append(f"curl failed (exit {finished.returncode})")
    elif rows != bench.rows:
        result.problems.append(f"{rows} lines downloaded, {bench.rows} expected")
    result.target_met = result.ratio is not None and result.ratio >= 0.5
    result.summary += [
        Measure(
            "rows/s",
            f"{result.rows_per_s:.0f}",
            "ratio ≥ 0.5",
            _ratio(result.ratio),
            result.target_met,
        ),
        Measure("serving worker peak RSS", megabytes(rss.highest), "flat (info)", met=None),
    ]
    result.notes.append(
        f"COPY took {reference:.2f} s; worker RSS before the download {megabytes(idle)}."
    )
    return result


@scenario
def scrub(bench: Bench) -> JobResult:
    url, key = _api(bench, "scrub/")
    half = bench.scrub_values // 2
    step = max(1, bench.rows // max(half, 1))
    suppressed = [bulk_address(n * step) for n in range(half)]
    unknown = [f"bench-unknown-{n:07d}@example.com" for n in range(bench.scrub_values - half)]
    values = suppressed + unknown
    body = bench.out_dir / "scrub.json"
    body.write_text(json.dumps({"values": values}))
    answer = bench.out_dir / "scrub-answer.json"
    command = (
        f"curl -sS -w '%{{http_code}}' -o {shlex.quote(str(answer))} -H {shlex.quote(key)} "
        "-H 'Content-Type: application/json' "
        f"--data-binary @{shlex.quote(str(body))} {shlex.quote(url)}"
    )
    finished = run_measured([command], shell=True, timeout=JOB_TIMEOUT_SECONDS)
    plain = bench.out_dir / "scrub-values.txt"
    plain.write_text("\n".join(values) + "\n")
    reference = _psql(
        "CREATE TEMP TABLE scrub_values (value text);\n"
        f"\\copy scrub_values FROM {shlex.quote(str(plain))}\n"
        "SELECT count(*) FROM scrub_values v JOIN consent_contact c ON c.address = v.value "
        "JOIN consent_suppression s ON s.contact_id = c.id "
        f"AND s.mailing_list_id = {int(bench.data['list_id'])} AND s.category_id IS NULL;\n"
    )
    result = JobResult(
        name="scrub",
        description=(
            f"POST /api/v1/lists/<uuid>/scrub/ with {len(values)} addresses ({half} suppressed) "
            f"against {bench.rows} suppressions, one request (curl), against psql loading the "
            "same values into a temporary table and joining them with the suppressions"
        ),
        target="< 2 s",
        rows=len(values),
        seconds=finished.seconds,
        peak_rss=None,
        reference="\\copy + JOIN in psql",
        reference_seconds=reference,
    )
    status = finished.stdout.strip()
    if finished.returncode or status != "200":
        detail = " ".join(answer.read_text().split())[:300] if answer.exists() else ""
        result.problems.append(f"HTTP {status or '—'} (curl exit {finished.returncode}) {detail}")
    else:
        found = len(json.loads(answer.read_text())["suppressed"])
        if found != half:
            result.problems.append(f"{found} values reported suppressed, {half} expected")
    result.target_met = not result.problems and finished.seconds < 2
    result.summary += [
        Measure(
            "time for the request",
            f"{finished.seconds:.2f} s",
            "< 2 s",
            _ratio(result.ratio),
            result.target_met,
        ),
    ]
    return result


@scenario
def esp_import(bench: Bench) -> JobResult:
    export = bench.out_dir / "sendgrid-unsubscribes.csv"
    with export.open("w") as out:
        out.write("email,created\n")
        created = 1_767_225_600  # 2026-01-01, epoch seconds as SendGrid writes them
        for n in range(bench.import_rows):
            out.write(f"bench-i-{n:07d}@example.com,{created + n}\n")
    slug = bench.data["import_slug"]
    finished = run_measured(
        [sys.executable, "manage.py", "import_suppressions", str(export), "--list", slug],
        timeout=JOB_TIMEOUT_SECONDS,
    )
    (bench.out_dir / "import.txt").write_text(finished.stdout)
    reference = _psql(
        "DROP TABLE IF EXISTS bench_import_copy;\n"
        "CREATE TABLE bench_import_copy (email text, created text);\n"
        f"\\copy bench_import_copy FROM {shlex.quote(str(export))} WITH (FORMAT csv, HEADER)\n"
    )
    suppressed = count_rows(
        "SELECT count(*) FROM consent_suppression WHERE mailing_list_id = %s",
        [int(bench.data["import_list_id"])],
    )
    result = JobResult(
        name="ESP import",
        description=(
            f"manage.py import_suppressions of a {bench.import_rows}-row SendGrid "
            "unsubscribes CSV (new addresses), against psql `\\copy` of the same file into a "
            "plain two-column table"
        ),
        target="within 3x of COPY",
        rows=bench.import_rows,
        seconds=finished.seconds,
        peak_rss=finished.peak_rss_bytes,
        reference="\\copy into a plain table",
        reference_seconds=reference,
    )
    if finished.returncode:
        result.problems.append(f"import_suppressions failed (exit {finished.returncode})")
    elif suppressed != bench.import_rows:
        result.problems.append(f"{suppressed} suppressions written, {bench.import_rows} expected")
    result.target_met = result.ratio is not None and result.ratio >= 1 / 3
    result.summary += [
        Measure(
            "rows/s",
            f"{result.rows_per_s:.0f}",
            "ratio ≥ 0.33 (within 3x)",
            _ratio(result.ratio),
            result.target_met,
        ),
        Measure("peak RSS of the command", megabytes(finished.peak_rss_bytes), "flat (info)"),
    ]
    output = " / ".join(finished.stdout.splitlines()[:8])
    result.notes.append(f"\\copy took {reference:.2f} s. Command output: {output}")
    return result
