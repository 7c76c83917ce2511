"""Copy the front-end libraries' dist files from node_modules/ into build/vendor/ (served as static "vendor/...").

The libraries come from the npm registry through package-lock.json (`npm ci`); only the files the
pages load are copied, each with its licence, so nothing third-party is committed to the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# package → [(source inside the package, destination inside build/vendor/<package dir>)].
# Source maps are copied too: the minified files name them, and the manifest storage of
# `collectstatic` refuses a reference to a file that does not exist.
VENDOR_FILES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "bootstrap": (
        "bootstrap",
        [
            ("dist/css/bootstrap.min.css", "css/bootstrap.min.css"),
            ("dist/css/bootstrap.min.css.map", "css/bootstrap.min.css.map"),
            ("dist/js/bootstrap.bundle.min.js", "js/bootstrap.bundle.min.js"),
            ("dist/js/bootstrap.bundle.min.js.map", "js/bootstrap.bundle.min.js.map"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    "bootstrap-icons": (
        "bootstrap-icons",
        [
            ("font/bootstrap-icons.min.css", "bootstrap-icons.min.css"),
            ("font/fonts/bootstrap-icons.woff2", "fonts/bootstrap-icons.woff2"),
            ("font/fonts/bootstrap-icons.woff", "fonts/bootstrap-icons.woff"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    "htmx.org": (
        "htmx",
        [
            ("dist/htmx.min.js", "htmx.min.js"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    # Charts of the dashboards: the whole library (no bundler), one file.
    "echarts": (
        "echarts",
        [
            ("dist/echarts.min.js", "echarts.min.js"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    # The Party-and-people map (党群地图); tiles come from a configurable server, or none.
    "leaflet": (
        "leaflet",
        [
            ("dist/leaflet.js", "leaflet.js"),
            ("dist/leaflet.js.map", "leaflet.js.map"),
            ("dist/leaflet.css", "leaflet.css"),
            ("dist/images/marker-icon.png", "images/marker-icon.png"),
            ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
            ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
            ("dist/images/layers.png", "images/layers.png"),
            ("dist/images/layers-2x.png", "images/layers-2x.png"),
            ("LICENSE", "LICENSE"),
        ],
    ),
    "leaflet.markercluster": (
        "leaflet.markercluster",
        [
            ("dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
            ("dist/leaflet.markercluster.js.map", "leaflet.markercluster.js.map"),
            ("dist/MarkerCluster.css", "MarkerCluster.css"),
            ("dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"),
            ("MIT-LICENCE.txt", "LICENSE"),
        ],
    ),
}


class Command(BaseCommand):
    help = "Copy the front-end libraries from node_modules/ (installed by `npm ci`) into build/vendor/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--node-modules",
            default=str(settings.BASE_DIR / "node_modules"),
            help="Where `npm ci` installed the packages (default: node_modules/ next to manage.py).",
        )
        parser.add_argument(
            "--dest",
            default=str(settings.BASE_DIR / "build" / "vendor"),
            help="Where to put the files (default: build/vendor/, served as static 'vendor/').",
        )

    def handle(self, *args, **options):
        node_modules = Path(options["node_modules"])
        dest = Path(options["dest"])
        pinned = self._pinned_versions(settings.BASE_DIR / "package.json")

        if not node_modules.is_dir():
            raise CommandError(
                f"{node_modules} does not exist. Install the front-end packages first: run `npm ci` "
                "in the project directory (or `make assets`, which also provides Node when it is missing)."
            )

        staging = dest.with_name(dest.name + ".tmp")
        if staging.exists():
            shutil.rmtree(staging)
        copied = 0
        for package, (target_dir, files) in VENDOR_FILES.items():
            package_dir = node_modules / package
            version = self._installed_version(package_dir, package)
            wanted = pinned.get(package)
            if wanted is not None and wanted != version:
                raise CommandError(
                    f"node_modules has {package} {version} but package.json pins {wanted}. Run `npm ci` again."
                )
            for source, target in files:
                src = package_dir / source
                if not src.is_file():
                    raise CommandError(f"{src} is missing from {package} {version}. Run `npm ci` again.")
                out = staging / target_dir / target
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, out)
                copied += 1
            self.stdout.write(f"  {package} {version}")

        # Swap in the new tree at once, so a failed run never leaves a half-filled vendor folder.
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(dest)
        self.stdout.write(self.style.SUCCESS(f"Copied {copied} files into {dest}."))

    @staticmethod
    def _pinned_versions(package_json: Path) -> dict[str, str]:
        if not package_json.is_file():
            return {}
        return json.loads(package_json.read_text(encoding="utf-8")).get("dependencies", {})

    @staticmethod
    def _installed_version(package_dir: Path, package: str) -> str:
        manifest = package_dir / "package.json"
        if not manifest.is_file():
            raise CommandError(
                f"The npm package {package!r} is not installed in {package_dir.parent}. "
                "Run `npm ci` in the project directory (or `make assets`)."
            )
        return json.loads(manifest.read_text(encoding="utf-8"))["version"]
