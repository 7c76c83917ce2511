"""Compile the project's .po catalogues to .mo with polib: pure Python, so no GNU gettext is needed.

Looks in LOCALE_PATHS and in the locale/ folder of every app that lives in this project (third-party
apps ship their own .mo files). Like `msgfmt --check-format`, a translation whose %-placeholders
differ from its msgid is refused: it would break the page that shows it.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

CATALOGUE_NAMES = ("django.po", "djangojs.po")
# %(name)s, %s, %d, … but not a literal "%%".
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0\- +]*\d*(?:\.\d+)?[sdifgeExXoc]")


def locale_dirs() -> list[Path]:
    base = Path(settings.BASE_DIR).resolve()
    dirs = [Path(p) for p in settings.LOCALE_PATHS]
    for app in apps.get_app_configs():
        app_path = Path(app.path).resolve()
        if app_path.is_relative_to(base) and ".venv" not in app_path.parts:
            dirs.append(app_path / "locale")
    seen: set[Path] = set()
    unique = []
    for d in dirs:
        resolved = d.resolve()
        if resolved not in seen and resolved.is_dir():
            seen.add(resolved)
            unique.append(resolved)
    return unique


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def placeholder_errors(po: polib.POFile, path: Path) -> list[str]:
    errors = []
    for entry in po.translated_entries():
        if "python-format" not in entry.flags and "%" not in entry.msgid:
            continue
        if entry.msgid_plural:
            # A language with one plural form may drop the count ("%(count)s") from the singular.
            wanted = set(_placeholders(entry.msgid_plural)) | set(_placeholders(entry.msgid))
            for index, text in entry.msgstr_plural.items():
                if not set(_placeholders(text)) <= wanted:
                    errors.append(f"{path}:{entry.linenum}: msgstr[{index}] has placeholders the msgid lacks")
        elif _placeholders(entry.msgstr) != _placeholders(entry.msgid):
            errors.append(
                f"{path}:{entry.linenum}: placeholders differ: msgid {_placeholders(entry.msgid)} "
                f"vs msgstr {_placeholders(entry.msgstr)}"
            )
    return errors


class Command(BaseCommand):
    help = "Compile every locale/**/django.po of the project to .mo (with polib; no gettext needed)."

    def handle(self, *args, **options):
        catalogues = [
            po_path
            for directory in locale_dirs()
            for name in CATALOGUE_NAMES
            for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{name}"))
        ]
        if not catalogues:
            self.stdout.write("No translation catalogues (.po) found; nothing to compile.")
            return

        problems: list[str] = []
        compiled = 0
        for po_path in catalogues:
            try:
                po = polib.pofile(str(po_path), encoding="utf-8")
            except (OSError, ValueError) as exc:
                problems.append(f"{po_path}: cannot be read: {exc}")
                continue
            errors = placeholder_errors(po, po_path)
            if errors:
                problems.extend(errors)
                continue
            po.save_as_mofile(str(po_path.with_suffix(".mo")))
            compiled += 1
            if options["verbosity"] > 1:
                self.stdout.write(f"  {po_path} ({po.percent_translated()}% translated)")

        if problems:
            raise CommandError("Some translations could not be compiled:\n" + "\n".join(problems))
        self.stdout.write(self.style.SUCCESS(f"Compiled {compiled} translation catalogue(s)."))
