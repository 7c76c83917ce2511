"""HTTP load on the busiest pages and APIs, against gunicorn on loopback, at two sizes of the district.

Not a test (pytest collects test_*.py only). Run from the repository root:

    .venv/bin/python tests/bench/bench_http.py      # --small demo --large district --seconds 15

For each size it uses the database `tests/bench/bench_queries.py` prepares (`yc_bench_queries_<size>`,
created, migrated and seeded when missing; "demo" is the small demo district of `seed_demo`), starts
gunicorn with production settings (DEBUG off, persistent connections) and production's
`config/gunicorn.conf.py` with `--workers` workers on a free loopback port, and measures, for the
trivial view `/robots.txt` (no query) and the ten busiest pages and APIs of the platform (the public
portal, the 亮约 board, the council results, the wish wall, the map and its points, a contract's
public page, a member's "my service", a secretary's dashboard and the stats API):

  1. saturation: `--clients` closed-loop clients (keep-alive connections, one request in flight
     each) for `--seconds`: requests/s, and the ratio to the trivial view's (goal ≥ 0.4);
  2. half of saturation: an open loop at half the small size's saturation rate of that request
     for `--seconds`: p50/p95/p99 latency (goal p95 ≤ 200 ms, p99 ≤ 500 ms) and errors (goal 0);
     the same absolute rate at the large size, and the ratio of the large p95 to the small p95
     (goal ≤ 1.5).

It prints one table per size and the ratios, and exits 1 when a goal is missed. Client and server
share the machine's cores: compare ratios measured in one run, not absolute figures across runs.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TRIVIAL = "/robots.txt"
# The server's settings (and the sessions', whose hash is keyed by SECRET_KEY): production ones, with the
# API's throttles lifted (the benchmark measures the application, not the rate limit).
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "CONN_MAX_AGE": "600",
    "LOG_LEVEL": "ERROR",
    "THROTTLE_ANON": "1000000/min",
    "THROTTLE_USER": "1000000/min",
}


@dataclass
class Target:
    name: str
    path: str
    login: str = ""  # username prefix of the login that asks, "" for a visitor


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def targets(url: str) -> list[Target]:
    """The ten requests, resolved against the database at `url` (ids of real rows, logins)."""
    out = (
        subprocess.run(
            [sys.executable, __file__, "--resolve"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR"},
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return [Target(*row.split("|")) for row in out.split(";")]


def resolve() -> str:
    import django

    django.setup()
    from community.models import Area, AreaKind, Person, RoleGrant
    from contracts.selectors import public_contracts

    district = Area.objects.filter(kind=AreaKind.DISTRICT).order_by("pk").first()
    contract = public_contracts().first()
    secretary = RoleGrant.objects.filter(role="community_secretary").order_by("pk").first()
    district_admin = RoleGrant.objects.filter(role="district_admin").order_by("pk").first()
    member = (
        Person.objects.filter(party_member__isnull=False, user__isnull=False)
        .order_by("pk")
        .select_related("user")
        .first()
    )
    rows = [
        ("portal", "/", ""),
        ("亮约 board", "/contracts/", ""),
        ("contract page", f"/contracts/{contract.pk}/" if contract else "/contracts/", ""),
        ("council results", "/councils/board/", ""),
        ("wish wall", "/volunteers/wishes/", member.user.username),
        ("map", "/dashboards/map/", ""),
        ("map points API", "/api/v1/map-points/", ""),
        ("my service", "/volunteers/", member.user.username),
        ("dashboard", f"/dashboards/{secretary.area_id}/", secretary.user.username),
        ("stats API", f"/api/v1/stats/?area={district.pk}", district_admin.user.username),
    ]
    return ";".join("|".join(r) for r in rows)


def sessions(url: str, logins: set[str]) -> dict[str, str]:
    """A session cookie value per login (made in the database, as a sign-in would)."""
    if not logins:
        return {}
    out = (
        subprocess.run(
            [sys.executable, __file__, "--sessions", ",".join(sorted(logins))],
            cwd=ROOT,
            env={**os.environ, **SERVER_ENV, "DATABASE_URL": url},
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return dict(pair.split("=", 1) for pair in out.split(","))


def make_sessions(logins: str) -> str:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from community.models import User

    pairs = []
    for login in logins.split(","):
        user = User.objects.get(username=login)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "community.backends.PhoneOrUsernameBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        pairs.append(f"{login}={store.session_key}")
    return ",".join(pairs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"),
        "VAR_DIR": "/tmp/yc-bench-var",
    }
    # Production settings serve the collected, hashed static files.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            # Production's settings (worker class, threads, timeouts, preloading), except what the
            # command line below sets: the address, the number of workers, no access log on the
            # console (its lines are still formatted), no worker replaced in the middle of a phase.
            "--config",
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--access-logfile",
            os.devnull,
            "--max-requests",
            "0",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


LAST_ERROR: dict[str, str] = {}


def _request(conn: http.client.HTTPConnection, path: str, cookie: str) -> bool:
    headers = {"Accept-Language": "zh-hans", "Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        LAST_ERROR[path] = f"{response.status} {response.getheader('Location', '')} {body[:200]!r}"
    return response.status == 200


def closed_loop(port: int, path: str, cookie: str, clients: int, seconds: float) -> Sample:
    sample = Sample()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, errors = [], 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                ok = _request(conn, path, cookie)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                errors += 1
        with lock:
            sample.latencies.extend(mine)
            sample.errors += errors

    threads = [threading.Thread(target=client) for _ in range(clients)]
    begun = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sample.seconds = time.monotonic() - begun
    return sample


def open_loop(port: int, path: str, cookie: str, rate: float, seconds: float, workers: int = 16) -> Sample:
    """Requests sent at `rate` per second (each at its planned time, whatever the last one took)."""
    sample = Sample()
    lock = threading.Lock()
    begun = time.monotonic()
    total = int(rate * seconds)
    counter = iter(range(total))

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            planned = begun + index / rate
            delay = planned - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                ok = _request(conn, path, cookie)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            # Latency from the planned time: waiting for a free client counts (no coordinated omission).
            took = time.monotonic() - planned
            with lock:
                if ok:
                    sample.latencies.append(took)
                else:
                    sample.errors += 1

    threads = [threading.Thread(target=client) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sample.seconds = time.monotonic() - begun
    return sample


def run_size(size: str, args, half_rates: dict[str, float] | None) -> dict[str, dict]:
    from bench_queries import prepare

    url = prepare(size)
    wanted = targets(url)
    cookies = sessions(url, {t.login for t in wanted if t.login})
    server, port = start_server(url, args.workers)
    results: dict[str, dict] = {}
    try:
        for target in [Target("trivial view", TRIVIAL), *wanted]:
            cookie = cookies.get(target.login, "")
            closed_loop(port, target.path, cookie, args.clients, 2)  # warm up the workers' caches
            saturated = closed_loop(port, target.path, cookie, args.clients, args.seconds)
            rate = (half_rates or {}).get(target.name) or saturated.rate / 2
            half = open_loop(port, target.path, cookie, rate, args.seconds)
            results[target.name] = {
                "path": target.path,
                "saturation_rps": saturated.rate,
                "saturation_errors": saturated.errors,
                "half_rate": rate,
                "p50": half.percentile(50),
                "p95": half.percentile(95),
                "p99": half.percentile(99),
                "errors": half.errors,
            }
            print(
                f"  [{size}] {target.name:<16} {target.path:<40} {saturated.rate:7.1f} req/s saturated; "
                f"at {rate:6.1f}/s p50 {half.percentile(50):6.1f} p95 {half.percentile(95):6.1f} "
                f"p99 {half.percentile(99):6.1f} ms, errors {half.errors + saturated.errors}"
                + (f" (last: {LAST_ERROR[target.path]})" if target.path in LAST_ERROR else ""),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default="demo")
    parser.add_argument("--large", default="district")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--resolve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sessions", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.resolve:
        print(resolve())
        return 0
    if args.sessions:
        print(make_sessions(args.sessions))
        return 0

    print(
        f"gunicorn -c config/gunicorn.conf.py --workers {args.workers}; {args.clients} clients; "
        f"{args.seconds:g} s per phase",
        flush=True,
    )
    small = run_size(args.small, args, None)
    large = run_size(args.large, args, {name: row["half_rate"] for name, row in small.items()})

    failures = []
    print(
        f"\n{'request':<16} {'rps/trivial':>11} {'p95 ' + args.large:>14} {'p99':>8} {'p95 ratio':>9} errors"
    )
    for size, table in ((args.small, small), (args.large, large)):
        trivial = table["trivial view"]["saturation_rps"]
        for name, row in table.items():
            ratio = row["saturation_rps"] / trivial if trivial else 0
            errors = row["errors"] + row["saturation_errors"]
            if name != "trivial view" and ratio < 0.4:
                failures.append(f"{size} {name}: requests/s {ratio:.2f} of the trivial view's (goal ≥ 0.4)")
            if row["p95"] > 200 or row["p99"] > 500:
                failures.append(
                    f"{size} {name}: p95 {row['p95']:.0f} ms, p99 {row['p99']:.0f} ms at half saturation"
                )
            if errors:
                failures.append(f"{size} {name}: {errors} errors")
    for name, row in large.items():
        ratio = row["p95"] / small[name]["p95"] if small[name]["p95"] else float("inf")
        print(
            f"{name:<16} {row['saturation_rps'] / large['trivial view']['saturation_rps']:>11.2f} "
            f"{row['p95']:>12.1f}ms {row['p99']:>6.1f}ms {ratio:>9.2f} {row['errors']}"
        )
        if ratio > 1.5:
            failures.append(f"{name}: p95 {args.large} / {args.small} = {ratio:.2f} (goal ≤ 1.5)")
    print("\n" + ("\n".join(failures) if failures else "every goal met"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
