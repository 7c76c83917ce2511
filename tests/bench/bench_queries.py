"""Query counts of every list page, list API and admin list, at two sizes of the district: equal.

Not a test (pytest collects test_*.py only). Run from the repository root:

    .venv/bin/python tests/bench/bench_queries.py            # --small 0.01 --large district

For each size it uses a PostgreSQL database of its own (`yc_bench_queries_<size>`, created when
missing, on the server of DATABASE_URL or 127.0.0.1 as user postgres), migrates it and loads the
district with `seed_demo --scale <size>` (skipped when that database already has it). Then, in a
child process per database, it signs in as the district administrator, a street administrator, a
community secretary, a Party member, a resident and a unit contact, and GETs:

  - every page of the URL configuration that takes no argument (the admin and the API aside),
  - every list endpoint of the OpenAPI schema (GET, no path parameter),
  - every admin change list (as the district administrator),

counting the SQL queries of each request. It prints a table of (URL, user, status, queries small,
queries large) and exits 1 when any request answered 200 at both sizes with different counts, or
500 at either. `--json FILE` also writes the measurements.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

USERS = {
    # role: how to find the login in the scale district (community.demo_scale names them)
    "district_admin": "scale_qu",
    "street_admin": "scale_jd1",
    "secretary": "scale_sj1",
    "member": "scale_dy",  # prefix: the first member login
    "resident": "scale_jm",  # prefix: the first resident login
    "unit_contact": "scale_dw1",
}
SKIPPED_PREFIXES = ("/admin/", "/api/", "/i18n/", "/accounts/logout", "/static/", "/media/", "/__")


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return url.rsplit("/", 1)[0]


def _database_for(size: str) -> str:
    return "yc_bench_queries_" + size.replace(".", "_")


def prepare(size: str) -> str:
    """The database URL for `size`, created, migrated and seeded."""
    import psycopg2
    from psycopg2 import sql

    name = _database_for(size)
    url = f"{_server_url()}/{name}"
    server = _server_url()
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    env = {**os.environ, "DATABASE_URL": url}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "seed_demo", "--scale", size], cwd=ROOT, env=env, check=True)
    return url


def _page_urls() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    urls: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = str(pattern.pattern)
            if "<" in route or "(" in route:
                continue  # takes an argument
            route = route.lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern):
                urls.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted({u for u in urls if not u.startswith(SKIPPED_PREFIXES)})


def _api_urls() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, ops in schema["paths"].items() if "{" not in path and "get" in ops)


def _admin_urls() -> list[str]:
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    urls = []
    for model in admin.site._registry:
        try:
            urls.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        except NoReverseMatch:
            continue
    return sorted(urls)


def _rows(response) -> int | None:
    """How many rows an API list answered with (its first page), None for a page."""
    if response.status_code != 200 or "json" not in response.get("Content-Type", ""):
        return None
    data = json.loads(response.content)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return len(data["results"])
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict) and isinstance(data.get("features"), list):
        return len(data["features"])
    return None


def _login(role: str, prefix: str):
    """The role's login: for members and residents the first one with rows in each of their lists
    (orders, sign-ups, claims; orders placed, issues raised), so that no list is empty at one size
    and not at the other; otherwise the first login of the prefix."""
    from django.db.models import Exists, OuterRef

    from community.models import User
    from councils.models import Issue
    from volunteers.models import ServiceOrder, Signup, WishClaim

    users = User.objects.filter(username__startswith=prefix).order_by("pk")
    if role == "member":
        busy = users.filter(
            Exists(ServiceOrder.objects.filter(member=OuterRef("pk"))),
            Exists(Signup.objects.filter(user=OuterRef("pk"))),
            Exists(WishClaim.objects.filter(user=OuterRef("pk"))),
        )
    elif role == "resident":
        busy = users.filter(
            Exists(ServiceOrder.objects.filter(ordered_by=OuterRef("pk"))),
            Exists(Issue.objects.filter(raised_by=OuterRef("pk"))),
        )
    else:
        busy = users
    return busy.first() or users.first()


def measure() -> dict[str, dict]:
    """In this process's database: {"<url> as <role>": {"status": ..., "queries": ...}}."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    results: dict[str, dict] = {}
    pages, apis, admins = _page_urls(), _api_urls(), _admin_urls()
    for role, login in USERS.items():
        user = _login(role, login)
        if user is None:
            sys.exit(f"no {role} login ({login}…) in this database: was it seeded with seed_demo --scale?")
        client = Client()
        client.force_login(user)
        targets = pages + apis + (admins if role == "district_admin" else [])
        for url in targets:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            results[f"{url} as {role}"] = {
                "status": response.status_code,
                "queries": len(queries),
                "rows": _rows(response),
            }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default="0.01")
    parser.add_argument("--large", default="district")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--from-json", type=Path, help="compare the measurements a --json run wrote")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return 0

    measured = json.loads(args.from_json.read_text()) if args.from_json else {}
    for size in () if args.from_json else (args.small, args.large):
        url = prepare(size)
        out = subprocess.run(
            [sys.executable, __file__, "--measure"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        measured[size] = json.loads(out.strip().splitlines()[-1])

    small, large = measured[args.small], measured[args.large]
    bad, empty, estimated = [], [], []
    print(f"{'request':<70} {'status':>9} {args.small:>8} {args.large:>8}")
    for key in sorted(small):
        a, b = small[key], large.get(key, {"status": None, "queries": None})
        status = f"{a['status']}/{b['status']}"
        differs = a["status"] == b["status"] == 200 and a["queries"] != b["queries"]
        failed = 500 in (a["status"], b["status"])
        mark = ""
        if differs and 0 in (a.get("rows"), b.get("rows")):
            # A list empty at one size fetches no related rows there: not a comparison of sizes.
            empty.append(key)
            mark = "  (empty at one size: not compared)"
        elif differs and key.startswith("/admin/") and a["queries"] == b["queries"] + 1:
            # The whole table's total: counted at the small size, PostgreSQL's estimate at the large
            # one (core/admin_paging.py, ADR 0010): one query fewer, whatever the size beyond it.
            estimated.append(key)
            mark = "  (estimated total at the large size)"
        elif differs:
            bad.append(key)
            mark = "  <-- differs"
        elif failed:
            bad.append(key)
            mark = "  <-- 500"
        rows = "" if a.get("rows") is None else f"  rows {a['rows']}/{b.get('rows')}"
        print(f"{key:<70} {status:>9} {a['queries']:>8} {b['queries']:>8}{rows}{mark}")
    compared = sum(1 for k in small if small[k]["status"] == 200 and large.get(k, {}).get("status") == 200)
    print(
        f"\n{compared} requests answered 200 at both sizes; {len(bad)} differ or fail; "
        f"{len(empty)} lists empty at one size (not compared); {len(estimated)} admin lists with the "
        "estimated total at the large size (one query fewer)."
    )
    if args.json:
        args.json.write_text(json.dumps(measured, ensure_ascii=False, indent=1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
