"""The production shape: gunicorn's settings (config/gunicorn.conf.py), the image and compose that use
them, and the database switch for PgBouncer."""

from __future__ import annotations

import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CORES = len(os.sched_getaffinity(0))


def load_gunicorn_conf(monkeypatch, web_concurrency: str | None) -> dict:
    if web_concurrency is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", web_concurrency)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_runs_two_workers_per_core_plus_one_without_web_concurrency(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, None)
    assert conf["workers"] == 2 * CORES + 1


@pytest.mark.parametrize("value, workers", [("3", 3), (" 12 ", 12), ("", 2 * CORES + 1)])
def test_gunicorn_takes_its_workers_from_web_concurrency(monkeypatch, value, workers):
    assert load_gunicorn_conf(monkeypatch, value)["workers"] == workers


def test_gunicorn_refuses_no_workers(monkeypatch):
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        load_gunicorn_conf(monkeypatch, "0")


def test_gunicorn_settings_are_sane(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, None)
    assert conf["wsgi_app"] == "config.wsgi:application"
    assert conf["worker_class"] == "sync" and conf["threads"] >= 1
    assert 0 < conf["keepalive"] < conf["timeout"]
    assert 0 < conf["graceful_timeout"] <= conf["timeout"]
    # Workers are replaced now and then, never all at once.
    assert 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["preload_app"] is True and callable(conf["pre_fork"])
    assert "%(M)s" in conf["access_log_format"] and conf["accesslog"] == "-"


def test_gunicorn_knows_every_setting_of_the_file():
    # gunicorn silently ignores a name it does not know (a typo such as `keep_alive`): ask it what it read.
    result = subprocess.run(
        [GUNICORN, "--config", str(GUNICORN_CONF), "--print-config"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "WEB_CONCURRENCY": "7"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    printed = dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))
    conf = runpy.run_path(str(GUNICORN_CONF))
    helpers = {"os", "cores", "worker_count"}
    ours = {name for name in conf if not name.startswith("_") and name not in helpers}
    assert ours <= set(printed), f"not gunicorn settings: {ours - set(printed)}"
    assert printed["workers"] == "7"
    assert printed["worker_class"] == "sync" and printed["preload_app"] == "True"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_serves_the_platform_and_logs_each_request_with_its_time(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [GUNICORN, "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=5) as response:
                        assert response.status == 200
                        break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.3)
        finally:
            server.terminate()
            server.wait(timeout=40)
    assert re.search(r'"GET /robots.txt HTTP/1.1" 200 \d+ \d+ms', log.read_text()), log.read_text()


def test_loading_the_application_opens_no_connection_a_forked_worker_would_share():
    # preload_app imports config.wsgi in gunicorn's master before forking the workers.
    code = (
        "import config.wsgi; from django.db import connections; "
        "print(sorted(alias for alias in connections for c in [connections[alias]] if c.connection is not None))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_image_and_compose_serve_with_the_gunicorn_settings():
    cmd = re.search(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE).group(1)
    assert yaml.safe_load(cmd) == ["gunicorn", "--config", "config/gunicorn.conf.py"]
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["command"] == ["gunicorn", "--config", "config/gunicorn.conf.py"]
    assert "WEB_CONCURRENCY" in web["environment"] and web["environment"]["WEB_CONCURRENCY"] is None
    # `docker compose stop` waits for gunicorn's graceful shutdown before killing.
    grace = int(web["stop_grace_period"].removesuffix("s"))
    assert grace > runpy.run_path(str(GUNICORN_CONF))["graceful_timeout"]


def settings_value(expression: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DISABLE_SERVER_SIDE_CURSORS"}}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("value, expected", [(None, "False"), ("0", "False"), ("1", "True")])
def test_server_side_cursors_can_be_disabled_for_pgbouncer_transaction_pooling(value, expected):
    env = {"DATABASE_URL": "postgres://u:p@pgbouncer.internal:6432/yc"}
    if value is not None:
        env["DISABLE_SERVER_SIDE_CURSORS"] = value
    assert settings_value("s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']", **env) == expected
