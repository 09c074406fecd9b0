"""The ``studio`` command: no sub-command opens the window; sub-commands run headless."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

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
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more to standard error (-v: progress, -vv: protocol detail; keys are masked)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    serve = commands.add_parser(
        "serve", help="run the local Speechmatics-compatible server (realtime, batch, TTS, temporary keys)",
        description="Runs the studio's local server until interrupted, so the official SDKs, curl or the "
                    "studio itself can talk to it. It speaks the Speechmatics realtime, batch and TTS "
                    "protocols on loopback.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    auth = serve.add_mutually_exclusive_group()
    auth.add_argument("--api-key", action="append", default=[], metavar="KEY",
                      help="accept this API key (repeatable; default: SPEECHMATICS_API_KEY if set, else any key)")
    auth.add_argument("--no-auth", action="store_true", help="accept requests without a key")
    serve.add_argument("--script", type=Path, metavar="FILE",
                       help="replay this JSON-lines session ({ts, audio_ts, payload} per line) for realtime")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from studio.app import run  # Qt is imported only when a window is wanted

        return run(smoke=args.smoke)
    _log_to_stderr(args.verbose)
    if args.command == "serve":
        return serve(args)
    return 2


def _log_to_stderr(verbosity: int) -> None:
    """Headless commands log to standard error, through the same redaction as the app's log file."""
    import logging

    from studio import logs
    from studio.core.redaction import Redactor

    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logs.configure(None, Redactor(), level=level, console_level=level)


def serve(args: argparse.Namespace) -> int:
    from studio.local.scripted import ScriptedRecognizer
    from studio.local.server import LocalServer, ServerConfig

    keys = list(args.api_key)
    if not keys and not args.no_auth and os.environ.get("SPEECHMATICS_API_KEY"):
        keys = [os.environ["SPEECHMATICS_API_KEY"]]
    if args.script is not None and not args.script.is_file():
        print(f"studio serve: no such script file: {args.script}", file=sys.stderr)
        return 2
    recognizer = ScriptedRecognizer(args.script) if args.script else ScriptedRecognizer()
    config = ServerConfig(api_keys=frozenset(keys), require_auth=bool(keys))
    server = LocalServer(config=config, recognizer=recognizer, batch_recognizer=recognizer)

    async def run_until_stopped() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            urls = await server.start(args.host, args.port)
        except OSError as exc:
            print(f"studio serve: cannot listen on {args.host}:{args.port} ({exc.strerror})", file=sys.stderr)
            raise SystemExit(1) from None
        print(f"{APP_NAME} local server {__version__}", flush=True)
        print(f"  realtime: {urls.realtime}", flush=True)
        print(f"  batch:    {urls.batch}", flush=True)
        print(f"  tts:      {urls.tts}", flush=True)
        print(f"  keys:     {urls.management}/v1/api_keys", flush=True)
        print(f"  auth:     {'API key required' if keys else 'any key (or none) accepted'}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        try:
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(run_until_stopped())
    return 0
