from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import embedded_postgres


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL server used when DATABASE_URL is unset."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action: str, **options) -> None:
        pgdata = settings.DATABASES["default"].get("EMBEDDED_PGDATA")
        if not pgdata:
            raise CommandError("DATABASE_URL is set: there is no embedded server to manage")
        pgdata = Path(pgdata)
        if action == "stop":
            stopped = embedded_postgres.stop(pgdata)
            self.stdout.write("stopped" if stopped else "not running")
            return
        pid = embedded_postgres.running_pid(pgdata)
        self.stdout.write(f"running (pid {pid}) in {pgdata}" if pid else f"not running ({pgdata})")
