"""Periodic jobs at district scale: wall time and SQL queries of each job's body, with nothing due and with N due.

Not a test (pytest collects test_*.py only). Run from the repository root:

    .venv/bin/python tests/bench/bench_jobs.py --database yc_jobs_district --small yc_jobs_small

`--database` (and `--small`) name PostgreSQL databases holding a district loaded with
`seed_demo --scale district` (and `--scale 0.01`), on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432). They are never written: each is copied first
(`CREATE DATABASE <name>_jobs_<pid> TEMPLATE <name>`, retried while someone is connected to it),
the copy is measured in a child process and dropped at the end (`--keep` keeps it).

The copy is first migrated to this checkout's migrations (so it has their indexes). Then the
minute reminder job gets the history a running platform would have: one sent reminder per redemption ever made and one unsent, not yet due, per code still
reserved (the bulk load makes none), so that its scan is measured among rows it must not touch.

Then, for each periodic job on beat, the function its Celery task calls runs in-process (in one
transaction where the task holds one, as `run_once_per_period` does; without the per-period key,
so that a second run really scans again):

  1. first run: whatever the load left due (notices nobody has been sent yet, codes that expired
     since the load, ...);
  2. nothing due: the same job straight after, which must find nothing to do;
  3. (district only) for N in --due (10, 100, 1000): N items made due with queryset updates (dates
     moved, e.g. N published contracts whose term ended yesterday), one run, and one more run that
     must again do nothing.

Each run is reported with its wall time, its SQL queries (counted with an execute wrapper) and what
it did. A repeat run must report no work and leave the notices and the ledger as they were. The
script prints the tables, the goals (the contracts' daily job — evaluation opening, closing and
scoring, and its reminders — under 60 s and the minute reminder scan under 30 s in every run; the
nothing-due runs costing about the same queries at both sizes) and exits 1 when a goal is missed or a repeat run did something.
`--json FILE` also writes the measurements; `--jobs a,b` measures only those jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

GOALS = {
    # job: seconds every run must stay under (the issue's goals: the evaluation job, the reminder scan)
    "contracts.daily": 60.0,
    "notices.send_due_reminders": 30.0,
}
# A nothing-due run at district scale may cost this many times the small one's queries, plus a few.
NOTHING_DUE_QUERY_SLACK = (1.5, 10)
# Jobs that read the whole ledger by design (its nightly check, the yearly expiry and its notice,
# which look at every wallet's points); each runs once per night or year under its JobRun key.
WHOLE_LEDGER = ("points.verify_ledger_nightly", "points.expire_points", "points.expiry_notice")


# --- The parent: copies, children, tables ------------------------------------------------------


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return url.rsplit("/", 1)[0]


def _admin_connection():
    import psycopg2

    connection = psycopg2.connect(f"{_server_url()}/postgres")
    connection.autocommit = True
    return connection


def copy_database(template: str, *, wait: float = 300) -> str:
    """A fresh copy of `template`, named `<template>_jobs_<pid>`; waits while the template is in use."""
    import psycopg2
    from psycopg2 import sql

    scratch = f"{template}_jobs_{os.getpid()}"
    connection = _admin_connection()
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        while True:
            try:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(scratch), sql.Identifier(template)
                    )
                )
                break
            except psycopg2.errors.ObjectInUse:
                if time.monotonic() > deadline:
                    raise
                print(f"  {template} is in use; trying again in 5 s", flush=True)
                time.sleep(5)
    connection.close()
    return scratch


def drop_database(name: str) -> None:
    from psycopg2 import sql

    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    connection.close()


def measure(template: str, *, due: list[int], keep: bool, only: str) -> dict:
    started = time.perf_counter()
    scratch = copy_database(template)
    print(f"  copied {template} to {scratch} in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="yc-bench-jobs-") as var_dir:
            env = {
                **os.environ,
                "DATABASE_URL": f"{_server_url()}/{scratch}",
                "VAR_DIR": var_dir,
                "LOG_LEVEL": "WARNING",
            }
            env.pop("REDIS_URL", None)  # the outbox hands messages to a broker in VAR_DIR, not a shared one
            child = subprocess.run(
                [sys.executable, __file__, "--child", "--due", ",".join(map(str, due)), "--jobs", only],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
    finally:
        if not keep:
            drop_database(scratch)
    return json.loads(child.stdout.strip().splitlines()[-1])


def _fmt_row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def report(results: dict[str, dict], args) -> int:
    failures: list[str] = []
    for size, result in results.items():
        print(f"\n== {size}: {result['database']} (migrated in {result['migrate_seconds']} s) ==")
        print("   " + ", ".join(f"{table} {count:,}" for table, count in result["sizes"].items()))
        widths = [28, 38, 6, 9, 8, 10]
        print(_fmt_row(["job", "run", "N due", "seconds", "queries", "work done"], widths))
        for run in result["runs"]:
            n = "" if run["n"] is None else str(run["n"])
            print(
                _fmt_row(
                    [
                        run["job"],
                        run["run"],
                        n,
                        f"{run['seconds']:.2f}",
                        f"{run['queries']:,}",
                        str(run["work"]),
                    ],
                    widths,
                )
            )
            if run["repeat"] and (run["work"] or run["changed"]):
                failures.append(
                    f"{size}: {run['job']} did something on a repeat run ({run['run']}): work {run['work']}, "
                    f"rows changed {run['changed']}"
                )
            goal = GOALS.get(run["job"])
            if goal is not None and run["seconds"] > goal:
                failures.append(
                    f"{size}: {run['job']} took {run['seconds']:.1f} s ({run['run']}), goal {goal:.0f} s"
                )
            if run.get("made") is not None and run["made"] < run["n"]:
                failures.append(
                    f"{size}: {run['job']}: only {run['made']} of {run['n']} items could be made due"
                )
    if "small" in results and "district" in results:
        print("\nNothing due, district against small (the second run of each job):")
        small = {r["job"]: r for r in results["small"]["runs"] if r["run"] == "nothing due"}
        for run in results["district"]["runs"]:
            if run["run"] != "nothing due" or run["job"] not in small:
                continue
            other = small[run["job"]]
            print(
                f"  {run['job']:<28} {other['seconds']:7.2f} s / {other['queries']:6,} q   →   "
                f"{run['seconds']:7.2f} s / {run['queries']:6,} q"
                + ("   (reads the whole ledger by design)" if run["job"] in WHOLE_LEDGER else "")
            )
            factor, plus = NOTHING_DUE_QUERY_SLACK
            if run["job"] not in WHOLE_LEDGER and run["queries"] > other["queries"] * factor + plus:
                failures.append(
                    f"{run['job']}: nothing due costs {run['queries']} queries at district scale, "
                    f"{other['queries']} at the small size"
                )
    print()
    for failure in failures:
        print("FAIL:", failure)
    if not failures:
        print("OK: every goal met, every repeat run did nothing.")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=False, help="the district database (copied, never written)")
    parser.add_argument(
        "--small", help="a small database (seed_demo --scale 0.01) to compare nothing-due runs"
    )
    parser.add_argument(
        "--due", default="10,100,1000", help="how many items to make due, in turn (district only)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--jobs", default="", help="only these jobs (comma-separated names), default all")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    due = [int(n) for n in args.due.split(",") if n.strip()]
    if args.child:
        print(json.dumps(child_main(due, [name for name in args.jobs.split(",") if name])))
        return 0
    if not args.database:
        parser.error("--database is required")
    results: dict[str, dict] = {}
    started = datetime.now().astimezone()
    if args.small:
        print(f"small: {args.small}", flush=True)
        results["small"] = measure(args.small, due=[], keep=args.keep, only=args.jobs)
    print(f"district: {args.database}", flush=True)
    results["district"] = measure(args.database, due=due, keep=args.keep, only=args.jobs)
    load = os.getloadavg()
    print(
        f"\n{started:%Y-%m-%d %H:%M %Z}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average now {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    status = report(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"started": started.isoformat(), **results}, indent=1))
    return status


# --- The child: one database, every job ---------------------------------------------------------


@dataclass
class Job:
    name: str
    body: Callable[[], object]
    work: Callable[[object], int]
    # Whether the Celery task runs the body in one transaction (run_once_per_period does).
    atomic: bool = False
    # (what is made due, maker(n) -> how many were made due)
    makers: list[tuple[str, Callable[[int], int]]] = field(default_factory=list)


def _sum_ints(result) -> int:
    if isinstance(result, int):
        return result
    if isinstance(result, dict):
        return sum(v for v in result.values() if isinstance(v, int) and not isinstance(v, bool))
    return 0


def _now():
    from django.utils import timezone

    return timezone.now()


def _today():
    from django.utils import timezone

    return timezone.localdate()


# Makers: each moves dates (and, where the job needs it, a state) of `n` rows that were not due, so
# that the next run has exactly those to do. They pick rows far from the ones a real run would touch.


def make_evaluations_open(n: int) -> int:
    from contracts.models import Contract
    from contracts.workflow import ContractState

    today = _today()
    ids = list(
        Contract.objects.filter(state=ContractState.PUBLISHED, term_end__gte=today)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    Contract.objects.filter(pk__in=ids).update(
        term_start=today - timedelta(days=366), term_end=today - timedelta(days=1)
    )
    return len(ids)


def make_evaluations_close(n: int) -> int:
    from django.conf import settings

    from contracts.models import Contract
    from contracts.workflow import ContractState

    today = _today()
    window_start = today - timedelta(days=settings.CONTRACT_EVALUATION_DAYS)
    ids = list(
        Contract.objects.filter(state=ContractState.EVALUATING, term_end__gte=window_start)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    end = window_start - timedelta(days=1)
    Contract.objects.filter(pk__in=ids).update(term_start=end - timedelta(days=365), term_end=end)
    return len(ids)


def make_milestones_soon(n: int) -> int:
    """`n` milestones of published contracts, not reached and not yet near, now due in three days."""
    from contracts.models import Contract, ContractVersion, FulfilmentRecord
    from contracts.workflow import ContractState

    today = _today()
    later = today + timedelta(days=8)
    soon = (today + timedelta(days=3)).isoformat()
    reached = set(
        FulfilmentRecord.objects.filter(contract__state=ContractState.PUBLISHED, milestone__isnull=False)
        .values_list("contract_id", "item_index", "milestone")
        .order_by()
    )
    changed: list[ContractVersion] = []
    made = 0
    contracts = (
        Contract.objects.filter(state=ContractState.PUBLISHED, frozen_version__isnull=False)
        .select_related("frozen_version")
        .order_by("-pk")
    )
    for contract in contracts.iterator(chunk_size=500):
        version = contract.frozen_version
        touched = False
        for index, item in enumerate(version.items):
            for number, milestone in enumerate(item.get("milestones") or []):
                if made >= n:
                    break
                if (contract.pk, index, number) in reached or milestone["due"] < later.isoformat():
                    continue
                milestone["due"] = soon
                made += 1
                touched = True
        if touched:
            changed.append(version)
        if made >= n:
            break
    ContractVersion.objects.bulk_update(changed, ["items"], batch_size=500)
    return made


def _resolved_issue_ids(n: int) -> list[int]:
    from councils.models import Issue
    from councils.workflow import IssueState

    return list(
        Issue.objects.filter(state=IssueState.RESOLVED, survey_closed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )


def make_issues_overdue(n: int) -> int:
    """`n` long-resolved issues put back to "being handled", their deadline yesterday, never escalated."""
    from councils.models import Issue
    from councils.workflow import IssueState

    ids = _resolved_issue_ids(n)
    Issue.objects.filter(pk__in=ids).update(
        state=IssueState.HANDLING, due_on=_today() - timedelta(days=1), escalated_at=None
    )
    return len(ids)


def make_surveys_due(n: int) -> int:
    """`n` resolved issues whose satisfaction survey is open and its time over."""
    from django.conf import settings

    from councils.models import Issue

    ids = _resolved_issue_ids(n)
    Issue.objects.filter(pk__in=ids).update(
        survey_closed_at=None, resolved_at=_now() - timedelta(days=settings.COUNCIL_SURVEY_DAYS, hours=1)
    )
    return len(ids)


def make_orders_unaccepted(n: int) -> int:
    """`n` long-rated orders back in the pool, their accept-by time a minute ago."""
    from volunteers.models import ServiceOrder
    from volunteers.workflow import OrderState

    ids = list(
        ServiceOrder.objects.filter(state=OrderState.RATED).order_by("pk").values_list("pk", flat=True)[:n]
    )
    ServiceOrder.objects.filter(pk__in=ids).update(
        state=OrderState.POOLED, accept_by=_now() - timedelta(minutes=1)
    )
    return len(ids)


def make_activities_tomorrow(n: int) -> int:
    """`n` past activities moved to start in 12 hours, their sign-ups signed up again (to be reminded)."""
    from volunteers.models import Activity, Signup
    from volunteers.workflow import SignupState

    now = _now()
    ids = list(
        Activity.objects.filter(cancelled_at__isnull=True, closed_at__isnull=False, signups__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    Activity.objects.filter(pk__in=ids).update(
        starts_at=now + timedelta(hours=12), ends_at=now + timedelta(hours=14), closed_at=None
    )
    Signup.objects.filter(activity_id__in=ids).update(state=SignupState.SIGNED_UP, hours=0)
    return len(ids)


def make_reminders_due(n: int) -> int:
    from community.models import User
    from notices.models import ScheduledReminder

    now = _now()
    stamp = f"{time.time_ns()}"
    users = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[:n])
    ScheduledReminder.objects.bulk_create(
        [
            ScheduledReminder(
                recipient_id=user_id,
                due_at=now - timedelta(minutes=1),
                dedupe_key=f"bench:{stamp}:{user_id}",
                kind="bench",
                title="A reminder the benchmark made due",
            )
            for user_id in users
        ],
        batch_size=1000,
    )
    return len(users)


def make_codes_expired(n: int) -> int:
    from points.models import Redemption, RedemptionState

    now = _now()
    ids = list(
        Redemption.objects.filter(state=RedemptionState.RESERVED, expires_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)[:n]
    )
    Redemption.objects.filter(pk__in=ids).update(expires_at=now - timedelta(minutes=1))
    return len(ids)


def reminder_history() -> dict[str, int]:
    """What a running platform's reminder table holds: one sent reminder per past redemption, one
    unsent (its code still reserved, due later) per open code. The bulk load leaves the table empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO notices_scheduledreminder
                (recipient_id, due_at, dedupe_key, kind, title, body, url, email, created_at, sent_at)
            SELECT user_id, expires_at - interval '1 day', 'bench-history:' || id, 'redemption-expiring',
                   'Your code expires soon', '', '', false, reserved_at,
                   CASE WHEN state = 'reserved' THEN NULL ELSE expires_at - interval '1 day' END
            FROM points_redemption
            WHERE state <> 'reserved' OR expires_at - interval '1 day' > now()
            """
        )
        cursor.execute("ANALYZE notices_scheduledreminder")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL) "
            "FROM notices_scheduledreminder"
        )
        sent, unsent = cursor.fetchone()
    return {"sent": sent, "unsent": unsent}


def jobs() -> list[Job]:
    from django.utils import timezone

    from contracts.jobs import contracts_daily
    from core.tasks import relay_outbox_task
    from councils.jobs import councils_periodic
    from notices.services import reminders_send_due
    from points.earning import local_year, points_expire, points_expiry_notify
    from points.ledger import ledger_check_and_alert
    from points.market import redemptions_expire
    from points.selectors import expiry_notice_date
    from volunteers.jobs import volunteers_periodic

    year = local_year()
    out = [
        Job(
            "contracts.daily",
            contracts_daily,
            _sum_ints,
            atomic=True,
            makers=[
                ("milestones due in 3 days", make_milestones_soon),
                ("evaluations to open", make_evaluations_open),
                ("evaluations to close and score", make_evaluations_close),
            ],
        ),
        Job(
            "councils.periodic",
            councils_periodic,
            _sum_ints,
            makers=[
                ("issues past their deadline", make_issues_overdue),
                ("surveys to close", make_surveys_due),
            ],
        ),
        Job(
            "volunteers.periodic",
            volunteers_periodic,
            _sum_ints,
            makers=[
                ("orders not accepted in time", make_orders_unaccepted),
                ("activities starting tomorrow", make_activities_tomorrow),
            ],
        ),
        Job(
            "notices.send_due_reminders",
            reminders_send_due,
            _sum_ints,
            atomic=True,
            makers=[("scheduled reminders due", make_reminders_due)],
        ),
        Job(
            "points.expire_redemptions",
            redemptions_expire,
            _sum_ints,
            makers=[("codes past their time", make_codes_expired)],
        ),
        Job("core.relay_outbox", relay_outbox_task, _sum_ints),
        Job(
            "points.verify_ledger_nightly",
            lambda: ledger_check_and_alert(day=timezone.localdate().isoformat()),
            lambda result: result["breach_count"],
            atomic=True,
        ),
        Job(
            "points.expire_points", lambda: points_expire(year=year - 1), lambda r: r["wallets"], atomic=True
        ),
    ]
    from points import tasks as points_tasks

    if hasattr(points_tasks, "fold_flows_task"):
        out.append(Job("points.fold_flows", points_tasks.fold_flows_task, _sum_ints))
    if timezone.localdate() >= expiry_notice_date(year):
        out.append(
            Job(
                "points.expiry_notice",
                lambda: points_expiry_notify(year=year),
                _sum_ints,
                atomic=True,
            )
        )
    return out


WATCHED_TABLES = ("notices_notice", "points_transfer", "audit_entry")


def _row_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in WATCHED_TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the constant above
            counts[table] = cursor.fetchone()[0]
    return counts


def run_job(job: Job) -> dict:
    from django.db import connection, transaction

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        if job.atomic:
            with transaction.atomic():
                result = job.body()
        else:
            result = job.body()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": queries, "work": job.work(result), "result": repr(result)[:300]}


def child_main(due: list[int], only: list[str]) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import get_resolver

    from community.models import User
    from contracts.models import Contract
    from councils.models import Issue
    from volunteers.models import Activity, ServiceOrder

    out: dict = {"database": connection.settings_dict["NAME"], "runs": []}
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out["migrate_seconds"] = round(time.perf_counter() - started, 1)
    # A worker has imported the URL configuration long before a job runs; do it before timing.
    get_resolver().url_patterns  # noqa: B018
    out["reminder_history"] = reminder_history()
    out["sizes"] = {
        **_row_counts(),
        "users": User.objects.count(),
        "contracts": Contract.objects.count(),
        "issues": Issue.objects.count(),
        "service orders": ServiceOrder.objects.count(),
        "activities": Activity.objects.count(),
        "reminders sent": out["reminder_history"]["sent"],
        "reminders waiting": out["reminder_history"]["unsent"],
    }

    def record(job: Job, run: str, n: int | None, *, repeat: bool, made: int | None = None) -> None:
        before = _row_counts() if repeat else None
        measured = run_job(job)
        changed = 0
        if repeat:
            after = _row_counts()
            changed = sum(abs(after[t] - before[t]) for t in WATCHED_TABLES)
        row = {
            "job": job.name,
            "run": run,
            "n": n,
            "repeat": repeat,
            "changed": changed,
            "made": made,
            **measured,
        }
        out["runs"].append(row)
        print(
            f"  {job.name:<28} {run:<36} {'' if n is None else n:>5} {row['seconds']:8.2f} s "
            f"{row['queries']:7,} q  work {row['work']}",
            file=sys.stderr,
            flush=True,
        )

    for job in jobs():
        if only and job.name not in only:
            continue
        record(job, "first run", None, repeat=False)
        record(job, "nothing due", None, repeat=True)
        for n in due:
            for what, maker in job.makers:
                made = maker(n)
                record(job, what, n, repeat=False, made=made)
                record(job, f"{what}: again", n, repeat=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
