"""The ``studio`` command: no sub-command opens the window; sub-commands run headless."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from studio import APP_NAME, __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description=f"{APP_NAME}: live captions, batch transcription and voice previews. "
                    "With no command, opens the studio's window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--smoke", action="store_true",
                        help="open the main window, wait until it is on screen, then quit with status 0")
    parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from studio.app import run  # Qt is imported only when a window is wanted

        return run(smoke=args.smoke)
    return 0
