"""The install-time commands: vendor_assets (npm → build/vendor) and compile_translations (.po → .mo)."""

from __future__ import annotations

import gettext
import json
from io import StringIO

import polib
import pytest
from django.core.management import CommandError, call_command

from core.management.commands.vendor_assets import VENDOR_FILES


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- vendor_assets ----------------------------------------------------------------------------


def fake_node_modules(root, versions=None):
    for package, (_target, files) in VENDOR_FILES.items():
        package_dir = root / package
        version = (versions or {}).get(package, "1.0.0")
        package_dir.mkdir(parents=True)
        (package_dir / "package.json").write_text(json.dumps({"name": package, "version": version}))
        for source, _dest in files:
            (package_dir / source).parent.mkdir(parents=True, exist_ok=True)
            (package_dir / source).write_text(f"/* {package} {source} */")
    return root


def test_vendor_assets_fails_clearly_without_node_modules(tmp_path):
    with pytest.raises(CommandError, match="npm ci"):
        run("vendor_assets", node_modules=str(tmp_path / "node_modules"), dest=str(tmp_path / "vendor"))


def test_vendor_assets_copies_only_the_listed_files(tmp_path, settings):
    settings.BASE_DIR = tmp_path  # no package.json here: no version pins to compare
    node_modules = fake_node_modules(tmp_path / "node_modules")
    (node_modules / "bootstrap" / "scss").mkdir()
    (node_modules / "bootstrap" / "scss" / "_variables.scss").write_text("")
    dest = tmp_path / "build" / "vendor"
    dest.mkdir(parents=True)
    (dest / "stale.js").write_text("left from an older version")

    run("vendor_assets", node_modules=str(node_modules), dest=str(dest))

    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert "bootstrap/css/bootstrap.min.css" in copied
    assert "bootstrap-icons/fonts/bootstrap-icons.woff2" in copied
    assert "htmx/htmx.min.js" in copied
    assert "htmx/LICENSE" in copied
    assert "stale.js" not in copied
    assert not any("scss" in path for path in copied)


def test_vendor_assets_refuses_a_version_other_than_the_pinned_one(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {"htmx.org": "2.0.0"}}))
    node_modules = fake_node_modules(tmp_path / "node_modules", {"htmx.org": "1.9.0"})

    with pytest.raises(CommandError, match="pins 2.0.0"):
        run("vendor_assets", node_modules=str(node_modules), dest=str(tmp_path / "vendor"))


# --- compile_translations ---------------------------------------------------------------------


def write_po(path, entries, plural_forms="nplurals=1; plural=0;"):
    path.parent.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Plural-Forms": plural_forms}
    for entry in entries:
        po.append(entry)
    po.save(str(path))


def test_compile_translations_without_catalogues_is_fine(tmp_path, settings):
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    assert "nothing to compile" in run("compile_translations")


def test_compile_translations_writes_mo_files_gettext_can_read(tmp_path, settings):
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    po_path = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    write_po(
        po_path,
        [
            polib.POEntry(msgid="Sign in", msgstr="登录"),
            polib.POEntry(msgid="Hello %(name)s", msgstr="您好，%(name)s", flags=["python-format"]),
            polib.POEntry(msgid="Draft", msgstr="草稿", flags=["fuzzy"]),
        ],
    )

    assert "Compiled 1" in run("compile_translations")

    with open(po_path.with_suffix(".mo"), "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Sign in") == "登录"
    assert catalogue.gettext("Hello %(name)s") % {"name": "王"} == "您好，王"
    assert catalogue.gettext("Draft") == "Draft"  # fuzzy entries are not used, as with msgfmt


def test_compile_translations_refuses_broken_placeholders(tmp_path, settings):
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    po_path = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    write_po(
        po_path, [polib.POEntry(msgid="Hello %(name)s", msgstr="您好，%(nom)s", flags=["python-format"])]
    )

    with pytest.raises(CommandError, match="placeholders differ"):
        run("compile_translations")
    assert not po_path.with_suffix(".mo").exists()
