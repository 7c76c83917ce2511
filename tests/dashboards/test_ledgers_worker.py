"""Against a real worker: a large ledger asked for on the page goes through the outbox, the worker makes
it with its progress reaching the total, the file downloads, and the same job delivered again builds
nothing more. On PostgreSQL, four builds started at once make one file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.models import OutboxMessage
from core.outbox import enqueue
from dashboards import services
from dashboards.models import ExportState, LedgerExport
from tests.concurrency import run_together
from tests.dashboards.test_ledgers_support import add_rows, this_year

# Registers the fixture here (tests/dashboards has no conftest.py of this part); taken with
# getfixturevalue so that no test argument shadows the import.
from tests.worker import celery_worker  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_files(media: Path) -> list[Path]:
    return sorted((media / "ledgers").rglob("*.xlsx")) if (media / "ledgers").exists() else []


@pytest.mark.worker
def test_a_large_ledger_is_made_by_the_worker_once_and_downloaded(
    request, district, settings, tmp_path, monkeypatch
):
    media = tmp_path / "media"
    # The worker is another process: it writes the file where this one will read it.
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    settings.MEDIA_ROOT = media
    settings.LEDGER_SYNC_ROWS = 10
    add_rows("orders", district, 40)
    worker = request.getfixturevalue("celery_worker")
    client = Client()
    client.force_login(district.secretary1)

    response = client.post(
        reverse("dashboards:ledger_request"), {"kind": "orders", "area": district.community1.pk}
    )

    assert response.status_code == 302
    export = LedgerExport.objects.get()
    assert export.state in (ExportState.QUEUED, ExportState.RUNNING, ExportState.DONE)
    message = OutboxMessage.objects.get(task_name="dashboards.build_ledger")
    assert message.args == [export.pk] and message.sent_at is not None  # relayed on commit
    worker.wait_for_tasks([message.celery_task_id])
    made = LedgerExport.objects.get(pk=export.pk)
    assert worker.task_outcomes(message.celery_task_id) == ["succeeded"]
    assert (made.state, made.rows_done, made.rows_total, made.percent) == ("done", 40, 40, 100)

    # The same job delivered again (a retry, a second relay) finds it made and builds nothing.
    again = enqueue("dashboards.build_ledger", export.pk)
    worker.wait_for_tasks([again.celery_task_id])
    assert worker.task_outcomes(again.celery_task_id) == ["succeeded"]
    same = LedgerExport.objects.get(pk=export.pk)
    assert (same.file.name, same.finished_at, same.attempts) == (made.file.name, made.finished_at, 1)
    assert ledger_files(media) == [media / made.file.name]

    download = client.get(reverse("dashboards:ledger_download", args=[export.pk]))
    assert download.status_code == 200
    book = load_workbook(media / made.file.name)
    assert book.active["A3"].value == "序号"  # asked for in Chinese, the platform's first language
    assert book.active.max_row == 3 + 40


@pytest.mark.usefixtures("require_postgres")
def test_four_builds_started_at_once_make_one_file(district, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.LEDGER_SYNC_ROWS = 0
    add_rows("orders", district, 30)
    export = services.ledger_request(
        actor=district.secretary1, kind="orders", area=district.community1, period=this_year()
    )
    builds = []
    lock = threading.Lock()
    real_write = services.write_ledger

    def slow_write(*args, **kwargs):
        with lock:
            builds.append(1)
        time.sleep(0.5)  # long enough for the others to find it claimed
        return real_write(*args, **kwargs)

    monkeypatch.setattr(services, "write_ledger", slow_write)

    results, errors = run_together(4, lambda n: services.ledger_build(export.pk).state)

    assert errors == []
    assert builds == [1]
    assert results.count(ExportState.DONE) >= 1
    assert set(results) <= {ExportState.DONE, ExportState.RUNNING}
    done = LedgerExport.objects.get(pk=export.pk)
    assert (done.state, done.rows_total, done.attempts) == ("done", 30, 1)
    assert ledger_files(tmp_path) == [tmp_path / done.file.name]
    assert connection.vendor == "postgresql"
