"""The `guichet` console script: Django's management commands with the settings preset."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if sys.argv[1:2] == ["demo"]:
        # The local demo runs in debug mode over plain HTTP, with a generated secret key (see settings).
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["guichet", *sys.argv[1:]])
