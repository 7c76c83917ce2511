"""Points ledger benchmark: transfers per second with concurrent writers, against plain INSERTs.

Not a test (pytest collects test_*.py only). Run from the repository root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yc_bench .venv/bin/python tests/bench/bench_ledger.py

It drops and re-creates the database named in DATABASE_URL (refused unless the name contains
"bench"), migrates it and builds a scratch district: the fund, one community account and
`--wallets` wallets. With `--template yc_district` it starts as a copy of that database (loaded with
`seed_demo --scale district`: 2.2 million transfers and their indexes) and builds the scratch
district beside the whole district's data. Then, with `--writers` threads (each its own connection) for `--seconds`
per phase, after a one-second warm-up, and `--rounds` times in turn:

  baseline  each thread INSERTs one row into a plain table (bigserial key, three columns) per
            transaction (autocommit: one statement, one commit), the cheapest durable write;
  uniform   each thread calls points_transfer(1 point) between two random wallets;
  hot       each thread calls points_transfer(1 point) from the one community account to a
            random wallet, so every transfer waits for the same row lock.

It prints each phase's rate per round and the medians, the ratios uniform/baseline (goal ≥ 0.4)
and hot/uniform (goal ≥ 0.6), and ends with verify_ledger over everything the run wrote.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

WARM_UP = 1.0


def recreate_database(url: str, template: str = "") -> str:
    import environ
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit("DATABASE_URL must point at PostgreSQL")
    name = config["NAME"]
    if "bench" not in name:
        sys.exit(
            f"refusing to drop and re-create {name!r}: the benchmark's database name must contain 'bench'"
        )
    admin = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:  # a copy of a loaded district: the transfers table and its indexes at full size
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    return name


def build_world(wallets: int, writers: int, seconds: float, rounds: int):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from community import services as community_services
    from community.models import AreaKind, User
    from points.models import Account, AccountKind
    from points.services import MAX_AMOUNT, community_account, district_fund, points_transfer

    district = community_services.area_create(actor=None, name="基准区", kind=AreaKind.DISTRICT)
    street = community_services.area_create(
        actor=None, name="基准街道", kind=AreaKind.STREET, parent=district
    )
    community = community_services.area_create(
        actor=None, name="基准社区", kind=AreaKind.COMMUNITY, parent=street
    )
    # As in a real district, the fund and the community's account are older (lower ids) than the
    # wallets, so a hot transfer takes the contended lock first and then the wallet's.
    fund = district_fund(area=district)
    issuing = community_account(community=community)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"bench{n}", password=unusable, display_name=f"基准{n}") for n in range(wallets)]
    )
    Account.objects.bulk_create(
        [
            Account(kind=AccountKind.WALLET, user=user, area=community, name=f"基准{n}的积分")
            for n, user in enumerate(users)
        ]
    )
    # Enough for every hot transfer at any plausible rate, and for wallets never to run dry.
    budget = int(writers * (seconds + WARM_UP + 1) * rounds * 20_000)
    for n in range(0, budget, MAX_AMOUNT):
        points_transfer(
            source=fund,
            destination=issuing,
            amount=min(MAX_AMOUNT, budget - n),
            key=f"bench:allocate:{n}",
            kind="allocation",
        )
    for wallet in Account.objects.filter(kind=AccountKind.WALLET, area=community):
        points_transfer(
            source=fund,
            destination=wallet,
            amount=100_000,
            key=f"bench:seed:{wallet.pk}",
            kind="manual_award",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_insert (id bigserial PRIMARY KEY, key varchar(200) NOT NULL, "
            "amount bigint NOT NULL, created_at timestamptz NOT NULL)"
        )
        cursor.execute("VACUUM ANALYZE")
    return issuing.pk, community.pk


def run_phase(
    name: str, writers: int, seconds: float, make_op: Callable[[int], Callable[[int], None]]
) -> dict:
    """Run `writers` threads for WARM_UP + `seconds`; count the operations finished in the timed window."""
    from django.db import connection

    from core.exceptions import ApplicationError

    counts = [0] * writers
    refusals = [0] * writers
    errors: list[BaseException] = []
    start_line = threading.Barrier(writers + 1)
    window = {}

    def work(worker: int) -> None:
        try:
            op = make_op(worker)
            connection.ensure_connection()
            start_line.wait()
            begin, end = window["begin"], window["end"]
            n = 0
            while True:
                now = time.monotonic()
                if now >= end:
                    break
                try:
                    op(n)
                except ApplicationError:
                    if now >= begin:
                        refusals[worker] += 1
                else:
                    if time.monotonic() >= begin:
                        counts[worker] += 1
                n += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    now = time.monotonic()
    window["begin"], window["end"] = now + WARM_UP, now + WARM_UP + seconds
    start_line.wait()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{name}: {len(errors)} writer(s) failed") from errors[0]
    return {"rate": sum(counts) / seconds, "done": sum(counts), "refused": sum(refusals)}


def commit_latency(samples: int = 300) -> float:
    """Median microseconds of one autocommit single-row INSERT from one writer: what one commit costs now.

    A hot account's transfers commit one after another (each holds the row lock until its WAL is
    flushed), so their rate is bounded by about 1 / this; it is printed to put the figures in context.
    """
    from django.db import connection
    from django.utils import timezone

    timings = []
    with connection.cursor() as cursor:
        for n in range(samples):
            start = time.perf_counter()
            cursor.execute(
                "INSERT INTO bench_insert (key, amount, created_at) VALUES (%s, %s, %s)",
                [f"probe:{time.time_ns()}:{n}", 1, timezone.now()],
            )
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wallets", type=int, default=1000)
    parser.add_argument(
        "--template",
        default="",
        help="copy this database (e.g. one loaded with seed_demo --scale district) instead of starting empty",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("set DATABASE_URL=postgres://…/yc_bench (the database is dropped and re-created)")
    name = recreate_database(url, args.template)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from points.ledger import verify_ledger
    from points.models import Account, AccountKind
    from points.services import points_transfer

    copied = f" (a copy of {args.template})" if args.template else ""
    print(f"Preparing {name}{copied}: migrate, {args.wallets} wallets …", flush=True)
    call_command("migrate", verbosity=0)
    hot_id, community_id = build_world(args.wallets, args.writers, args.seconds, args.rounds)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
    connection.close()

    def baseline(worker: int):
        def op(n: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_insert (key, amount, created_at) VALUES (%s, %s, %s)",
                    [f"insert:{run}:{worker}:{n}", 1, timezone.now()],
                )

        return op

    def uniform(worker: int):
        wallets = list(
            Account.objects.filter(kind=AccountKind.WALLET, area_id=community_id)
        )  # the scratch ones
        rng = random.Random(worker)

        def op(n: int) -> None:
            source, destination = rng.sample(wallets, 2)
            points_transfer(
                source=source,
                destination=destination,
                amount=1,
                key=f"u:{run}:{worker}:{n}",
                kind="manual_award",
            )

        return op

    def hot(worker: int):
        wallets = list(
            Account.objects.filter(kind=AccountKind.WALLET, area_id=community_id)
        )  # the scratch ones
        issuing = Account.objects.get(pk=hot_id)
        rng = random.Random(1000 + worker)

        def op(n: int) -> None:
            points_transfer(
                source=issuing,
                destination=rng.choice(wallets),
                amount=1,
                key=f"h:{run}:{worker}:{n}",
                kind="earning",
            )

        return op

    print(
        f"PostgreSQL {server} (synchronous_commit={synchronous_commit}), {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {args.writers} writer threads, {args.seconds:g} s per phase, "
        f"{args.rounds} rounds",
        flush=True,
    )
    results: dict[str, list[dict]] = {"baseline": [], "uniform": [], "hot": []}
    phases = {"baseline": baseline, "uniform": uniform, "hot": hot}
    latencies = []
    for run in range(1, args.rounds + 1):
        latencies.append(commit_latency())
        connection.close()
        print(
            f"  round {run}  one writer's commit: {latencies[-1]:.0f} µs; load average {load()}", flush=True
        )
        for phase, make_op in phases.items():
            result = run_phase(phase, args.writers, args.seconds, make_op)
            results[phase].append(result)
            print(
                f"  round {run}  {phase:8}  {result['rate']:9.0f} /s  ({result['done']} done, {result['refused']} refused)",
                flush=True,
            )

    median = {phase: statistics.median(r["rate"] for r in runs) for phase, runs in results.items()}
    per_round = [
        (
            results["uniform"][i]["rate"] / results["baseline"][i]["rate"],
            results["hot"][i]["rate"] / results["uniform"][i]["rate"],
        )
        for i in range(args.rounds)
    ]
    uniform_ratio = median["uniform"] / median["baseline"]
    hot_ratio = median["hot"] / median["uniform"]
    print()
    print("median over rounds")
    print(f"  baseline  single-row INSERT transactions        {median['baseline']:9.0f} /s")
    print(f"  uniform   points_transfer, random wallets        {median['uniform']:9.0f} /s")
    print(f"  hot       points_transfer, one source account    {median['hot']:9.0f} /s")
    print(
        f"  uniform / baseline = {uniform_ratio:.2f}  (goal ≥ 0.40)   per round: {', '.join(f'{u:.2f}' for u, _ in per_round)}"
    )
    print(
        f"  hot / uniform      = {hot_ratio:.2f}  (goal ≥ 0.60)   per round: {', '.join(f'{h:.2f}' for _, h in per_round)}"
    )
    print(
        f"  one writer's commit (median of rounds): {statistics.median(latencies):.0f} µs; load average now {load()}"
    )

    report = verify_ledger()
    connection.close()
    print(f"verify_ledger: {report.summary()}")
    for breach in report.breaches[:20]:
        print(f"  {breach}")
    goals_met = uniform_ratio >= 0.4 and hot_ratio >= 0.6
    sys.exit(0 if report.ok and goals_met else 1)


if __name__ == "__main__":
    main()
