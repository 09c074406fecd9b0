"""Entry point of the PyInstaller bundle: the same `studio` command as the installed package."""

from studio.cli import main

raise SystemExit(main())
