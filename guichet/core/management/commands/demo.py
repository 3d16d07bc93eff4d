"""`guichet demo`: set up the demo database and serve it. Safe to run again: existing data is kept."""

import importlib

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create and migrate the database, compile translations, load the demo territory and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="set everything up, then stop")

    def handle(self, *args, host, port, no_serve, **options):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("compilemessages", verbosity=0, ignore=[".venv", "node_modules"])
        for line in demo_load():
            self.stdout.write(line)
        if not no_serve:
            self.stdout.write(self.style.SUCCESS(f"Guichet : http://{host}:{port}/"))
            call_command("runserver", f"{host}:{port}", use_reloader=False)


def demo_load() -> list[str]:
    """Run every installed app's ``demo.load()`` in INSTALLED_APPS order; each returns lines to print."""
    lines: list[str] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        lines.extend(module.load())
    return lines
