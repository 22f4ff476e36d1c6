#!/usr/bin/env python
"""Django's command-line utility for Etalage."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.errors import run_cli

    run_cli(sys.argv)


if __name__ == "__main__":
    main()
