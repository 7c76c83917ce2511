"""Chinese is the first language: every string marked for translation has a zh-hans translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

from tests.conftest import need

ROOT = Path(__file__).resolve().parent.parent
PO = Path("locale/zh_Hans/LC_MESSAGES/django.po")
SKIP_DIRS = {".venv", "node_modules", "build", "var", ".git", "tests", "test-artifacts", ".pytest_cache"}


def test_every_marked_string_has_a_chinese_translation(tmp_path):
    need(shutil.which("xgettext") is not None, "GNU gettext (xgettext) is needed to extract messages")
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=lambda d, names: [n for n in names if n in SKIP_DIRS])
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-location"],
        cwd=copy,
        # The copy leaves tests/ out: extract with the platform's settings, not the test run's.
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    catalogue = polib.pofile(str(copy / PO))
    missing = [e.msgid for e in catalogue if not e.translated() and not e.obsolete]
    fuzzy = [e.msgid for e in catalogue if "fuzzy" in e.flags]
    assert not missing, f"{len(missing)} string(s) without a Chinese translation, e.g. {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy translation(s), e.g. {fuzzy[:10]}"
