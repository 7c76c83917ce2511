"""Serve the demo: the web server, a real Celery worker and beat, side by side, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from config.celery import all_queues
from core.seeding import DEMO_PASSWORD


def demo_commands(addr: str) -> dict[str, list[str]]:
    """The demo's three processes: the web server, one worker for every kind of job, and beat."""
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", addr, "--noreload"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            # Every queue of CELERY_TASK_QUEUES (config/settings.py): the demo has one worker.
            "--queues",
            all_queues(),
        ],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
    }


class Command(BaseCommand):
    help = "Run the web server with a Celery worker and beat (the demo's embedded broker needs no server)."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, addr: str, **options):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        commands = demo_commands(addr)
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(f"\nThe platform is up at http://{addr}/  (back office: /admin/)")
        )
        self.stdout.write(
            f"Log in with any demo login above; the password is {DEMO_PASSWORD}. Ctrl-C stops all.\n"
        )

        stopping = False

        def stop(*_args):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the demo.")
                        stopping = True
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
