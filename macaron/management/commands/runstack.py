"""`make run`: migrate, load demo data, then run web + Celery worker + Celery beat together.

The three are separate OS processes; Ctrl-C (or SIGTERM) stops all of them, then the embedded
Postgres this process holds stops with it. Data stays under var/ for the next run.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, call_command

from macaron.startup import startup_prepare

STOP_GRACE_S = 10


class Command(BaseCommand):
    help = "Run the whole platform locally: web server, Celery worker and Celery beat."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, host: str, port: int, **options):
        call_command("migrate", interactive=False, verbosity=0)
        shown = startup_prepare()  # the demo login (accounts), the demo community (community)

        var = Path(settings.BASE_DIR) / "var"
        var.mkdir(exist_ok=True)
        env = {**os.environ, "DATABASE_URL": settings.DATABASE_URL, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "macaron",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "-n",
                "worker@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "macaron",
                "beat",
                "-l",
                "info",
                "-s",
                str(var / "celerybeat-schedule"),
            ],
        }
        processes = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env)
            for name, cmd in commands.items()
        }
        self.stdout.write(self.style.SUCCESS(f"\nMacaron is running on http://{host}:{port}/"))
        for line in shown:
            self.stdout.write(line)
        self.stdout.write("Web, worker and beat are running; press Ctrl-C to stop them all.\n")

        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stopping:
            exited = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if exited:
                self.stderr.write(f"Stopping: {exited} exited.")
                break
            time.sleep(0.5)
        self._stop(processes)

    def _stop(self, processes: dict[str, subprocess.Popen]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.stdout.write("Stopped web, worker and beat.")
