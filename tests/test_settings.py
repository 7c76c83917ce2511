"""Settings come from the environment; the defaults need no server; production settings pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_are_sqlite_and_a_serverless_broker():
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.LANGUAGE_CODE, s.TIME_ZONE)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "zh-hans",
        "Asia/Shanghai",
    ]


def test_environment_selects_postgres_and_redis():
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND)",
        DATABASE_URL="postgres://u:p@db.internal:5432/yc",
        REDIS_URL="redis://cache.internal:6379/2",
        EMAIL_URL="smtp+tls://a:b@mail.internal:587",
    )
    assert result.returncode == 0, result.stderr
    engine, name, broker, cache, email = result.stdout.split()
    assert engine == "django.db.backends.postgresql" and name == "yc"
    assert broker == "redis://cache.internal:6379/2"
    assert cache.endswith("RedisCache")
    assert email == "django.core.mail.backends.smtp.EmailBackend"


def test_production_refuses_the_development_secret_key():
    result = run_python("import django; django.setup()", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "a-real-production-secret-" + "x9Kq" * 12,
            "ALLOWED_HOSTS": "gongjian.example.gov.cn",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
