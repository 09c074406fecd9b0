"""The ``studio`` command: no sub-command opens the window; sub-commands run headless."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio import APP_NAME, __version__

if TYPE_CHECKING:
    from studio.core.redaction import Redactor


BATCH_WORKER = "--batch-worker"  # studio.api.batch_worker.FLAG (not imported: the window's path stays short)
#: Options that open the window. A command line of nothing else is parsed without the sub-commands' parsers,
#: which take longer to build (~8 ms) than anything else the command does before the window.
WINDOW_OPTIONS = frozenset({"--smoke", "--smoke-window", "-v", "-vv", "-vvv", "--verbose"})


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The ``studio`` command's parser; ``commands=False`` leaves the sub-commands out (the window's path)."""
    parser = argparse.ArgumentParser(
        prog="studio",
        description=f"{APP_NAME}: live captions, batch transcription and voice previews. "
                    "With no command, opens the studio's window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--smoke", action="store_true",
                        help="check the installation: open the main window, build every workspace, speak and "
                             "transcribe a sentence on the built-in engine, then quit (status 0 if all worked)")
    parser.add_argument("--smoke-window", action="store_true",
                        help="open the main window, wait until it is on screen, then quit (the start-up benchmark)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log more to standard error (-v: progress, -vv: protocol detail; keys are masked)")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    serve = subcommands.add_parser(
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
    serve.add_argument("--engine", choices=("builtin", "scripted"), default="builtin",
                       help="recognise with Whisper and speak with eSpeak NG (builtin, the default when installed), "
                            "or use the scripted recogniser and tone voices (scripted; implied by --script)")
    _add_transcribe_parser(subcommands)
    _add_jobs_parser(subcommands)
    _add_speak_parser(subcommands)
    return parser


def _window(smoke: str) -> int:
    import gc

    # Start-up allocates much and frees almost nothing: cyclic collections before the window shows are
    # wasted time (~5 % of it). studio.app.run enables the collector again once the window is exposed.
    gc.disable()
    import studio.preload  # noqa: F401 - before PySide6: see its docstring
    from studio.app import run  # Qt is imported only when a window is wanted

    return run(smoke=smoke)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == [BATCH_WORKER]:  # the window's batch worker process (studio.api.batch_worker), not for people
        from studio.api.batch_worker import main as batch_worker

        return batch_worker()
    if all(a in WINDOW_OPTIONS for a in arguments):
        # The window's options need no parser: building one (its help formatter's regular expressions, the
        # terminal-size lookup) is start-up time the window does not use.
        return _window("full" if "--smoke" in arguments else "window" if "--smoke-window" in arguments else "")
    args = build_parser().parse_args(arguments)
    if args.command is None:
        return _window("full" if args.smoke else "window" if args.smoke_window else "")
    redactor = _log_to_stderr(args.verbose)
    if args.command == "serve":
        return serve(args)
    if args.command == "transcribe":
        return transcribe(args, redactor)
    if args.command == "jobs":
        return jobs(args, redactor)
    if args.command == "speak":
        return speak(args, redactor)
    return 2


def _log_to_stderr(verbosity: int) -> Redactor:
    """Headless commands log to standard error, through the same redaction as the app's log file."""
    import logging

    from studio import logs
    from studio.core.redaction import Redactor

    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    redactor = Redactor()
    logs.configure(None, redactor, level=level, console_level=level)
    return redactor


def serve(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: the window's start-up never pays for asyncio (~40 ms)
    import signal

    from studio.local.scripted import ScriptedRecognizer
    from studio.local.server import LocalServer, ServerConfig

    keys = list(args.api_key)
    if not keys and not args.no_auth and os.environ.get("SPEECHMATICS_API_KEY"):
        keys = [os.environ["SPEECHMATICS_API_KEY"]]
    if args.script is not None and not args.script.is_file():
        print(f"studio serve: no such script file: {args.script}", file=sys.stderr)
        return 2
    config = ServerConfig(api_keys=frozenset(keys), require_auth=bool(keys))
    from studio.local.availability import probe

    if args.script is None and args.engine == "builtin" and probe().installed:
        from studio.local.engine import build_recognizers, make_synthesizer

        realtime, batch = build_recognizers()
        server = LocalServer(config=config, recognizer=realtime, batch_recognizer=batch,
                             synthesizer=make_synthesizer())
        engine = f"Whisper ({probe().model}) and eSpeak NG"
    else:
        recognizer = ScriptedRecognizer(args.script) if args.script else ScriptedRecognizer()
        server = LocalServer(config=config, recognizer=recognizer, batch_recognizer=recognizer)
        engine = "scripted recogniser and tone voices"

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
        print(f"  engine:   {engine}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        try:
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(run_until_stopped())
    return 0


# -- studio transcribe / studio jobs (the work is in studio.services.headless) ------------------------------

_FORMATS = ("txt", "srt", "vtt", "json", "docx")


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [fmt for fmt in formats if fmt not in _FORMATS]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"choose from {','.join(_FORMATS)} (comma-separated), not {text!r}")
    return formats


def _add_transcribe_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "transcribe", help="transcribe media files to txt, srt, vtt, json or docx",
        description="Transcribes each FILE (any audio or video file) and writes OUT/<name>.<format> for every "
                    "format asked for. Realtime mode streams the decoded audio at its own pace (or as fast as "
                    "the service allows with --fast); batch mode uploads the file as a job and waits for it. "
                    "A file that fails gets one line on standard error and the others are still done; the exit "
                    "status is 1 if any failed.")
    command.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio or video files")
    command.add_argument("--mode", choices=("realtime", "batch"), default="realtime",
                         help="stream the audio (realtime, the default) or upload the file as a job (batch)")
    command.add_argument("--engine", choices=("local", "speechmatics"),
                         help="the built-in engine, or Speechmatics (default: as in the studio's settings; "
                              "Speechmatics when an API key or --url is given)")
    command.add_argument("--url", metavar="URL",
                         help="the Speechmatics-compatible server (ws[s]:// or http[s]://HOST[:PORT]/v2); "
                              "default: SPEECHMATICS_RT_URL/SPEECHMATICS_BATCH_URL, else the settings' region")
    command.add_argument("--language", default="en", help="language code (default en; batch also takes auto)")
    command.add_argument("--diarization", choices=("none", "speaker", "channel"), default="none",
                         help="label speakers, or each channel of the file (default none)")
    command.add_argument("--operating-point", choices=("standard", "enhanced"), help="accuracy/speed trade-off")
    command.add_argument("--max-delay", type=float, metavar="S",
                         help="realtime: seconds the service may wait before finalising words (0.7 to 4)")
    command.add_argument("--vocab", nargs="+", action="extend", default=[], metavar="WORD",
                         help="words and names to expect (custom vocabulary)")
    command.add_argument("--format", type=_formats, default=("txt",), metavar="FORMATS", dest="formats",
                         help="comma-separated output formats: txt,srt,vtt,json,docx (default txt)")
    command.add_argument("--out", type=Path, default=Path(), metavar="DIR",
                         help="folder for the outputs (default: the current folder)")
    command.add_argument("--fast", action="store_true",
                         help="realtime: send the audio as fast as the service acknowledges it")


def _add_jobs_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("jobs", help="list, inspect, fetch or delete batch jobs",
                                  description="Batch jobs on the Speechmatics service (or the --url server).")
    command.add_argument("--url", metavar="URL", help="the batch service (default: as for studio transcribe)")
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="recent jobs, newest first")
    listing.add_argument("--limit", type=int, metavar="N", help="at most N jobs (1 to 100)")
    listing.add_argument("--include-deleted", action="store_true", help="also list deleted jobs")
    actions.add_parser("get", help="a job's details, as JSON").add_argument("job_id", metavar="ID")
    transcript = actions.add_parser("transcript", help="a finished job's transcript, on standard output")
    transcript.add_argument("job_id", metavar="ID")
    transcript.add_argument("--format", choices=("json", "txt", "srt"), default="json",
                            help="json-v2 (default), plain text or subtitles")
    delete = actions.add_parser("delete", help="delete a job and its files")
    delete.add_argument("job_id", metavar="ID")
    delete.add_argument("--force", action="store_true", help="also delete a job that is still running")


def transcribe(args: argparse.Namespace, redactor: Redactor) -> int:
    from studio.services.headless import TranscribeRequest, run_transcribe
    from studio.services.transcribe import TranscribeOptions

    options = TranscribeOptions(mode=args.mode, language=args.language, diarization=args.diarization,
                                operating_point=args.operating_point, max_delay=args.max_delay,
                                vocab=tuple(args.vocab), fast=args.fast)
    request = TranscribeRequest(tuple(args.files), options, args.formats, args.out, args.engine, args.url)
    return _run("transcribe", run_transcribe(request, env=os.environ, redactor=redactor,
                                             stdout=sys.stdout, stderr=sys.stderr))


def jobs(args: argparse.Namespace, redactor: Redactor) -> int:
    from studio.services.headless import JobsRequest, run_jobs

    request = JobsRequest(args.action, getattr(args, "job_id", ""), getattr(args, "format", "json"),
                          getattr(args, "force", False), getattr(args, "limit", None),
                          getattr(args, "include_deleted", False), args.url)
    return _run("jobs", run_jobs(request, env=os.environ, redactor=redactor, stdout=sys.stdout, stderr=sys.stderr))


# -- studio speak (the work is in studio.services.speak) ----------------------------------------------------

def _add_speak_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "speak", help="text to speech: save it as WAV or PCM, or play it",
        description="Speaks TEXT (or the text of --file, or standard input) in a voice and writes it to --out "
                    "as it arrives, and/or plays it on the default output device with --play. On the built-in "
                    "engine every eSpeak NG voice is there under its own name (en-gb, fr-fr, de…) as well as "
                    "sarah, theo, megan and jack.")
    command.add_argument("text", nargs="?", metavar="TEXT", help="what to say ('-' or nothing: standard input)")
    command.add_argument("--file", type=Path, metavar="FILE", help="read the text from FILE ('-': standard input)")
    command.add_argument("--voice", default="sarah", help="sarah (default), theo, megan, jack, or a built-in voice")
    command.add_argument("--out", type=Path, metavar="FILE", help="write the audio here (.wav, or .pcm for raw)")
    command.add_argument("--format", choices=("wav_16000", "pcm_16000", "wav", "pcm"), dest="output_format",
                         help="wav_16000 (a WAV file) or pcm_16000 (bare 16 kHz 16-bit samples); default: from "
                              "--out's extension, else wav_16000")
    command.add_argument("--engine", choices=("local", "speechmatics"),
                         help="the built-in engine, or Speechmatics (default: as in the studio's settings)")
    command.add_argument("--url", metavar="URL", help="a Speechmatics-compatible text-to-speech server "
                                                      "(default: SPEECHMATICS_TTS_URL, else the settings' region)")
    command.add_argument("--play", action="store_true", help="play it on the default output device as it arrives")
    command.add_argument("--device", metavar="NAME", help="with --play: the output device (see --list-devices)")
    command.add_argument("--list-devices", action="store_true", help="list the output devices and quit")


def _speak_text(args: argparse.Namespace) -> str | None:
    """The text to speak, or None after saying on stderr why there is none."""
    if args.text is not None and args.file is not None:
        print("studio speak: give TEXT or --file, not both", file=sys.stderr)
        return None
    if args.file is not None and str(args.file) != "-":
        try:
            return str(args.file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"studio speak: {args.file} cannot be read ({getattr(exc, 'strerror', None) or exc})",
                  file=sys.stderr)
            return None
    if args.text is not None and args.text != "-":
        return str(args.text)
    if args.text is None and args.file is None and sys.stdin.isatty():
        print("studio speak: give the TEXT to speak (or --file FILE, or pipe it in)", file=sys.stderr)
        return None
    return sys.stdin.read()


def speak(args: argparse.Namespace, redactor: Redactor) -> int:
    if args.list_devices:
        from studio.audio.capture import AudioUnavailableError
        from studio.audio.playback import list_output_devices

        try:
            for device in list_output_devices():
                print(f"{'*' if device.is_default else ' '} {device.name}  ({device.host_api}, "
                      f"{device.default_samplerate:.0f} Hz)")
        except AudioUnavailableError as exc:
            print(f"studio speak: {exc}", file=sys.stderr)
            return 1
        return 0
    text = _speak_text(args)
    if text is None:
        return 2
    from studio.services.speak import FORMAT_ALIASES, SpeakRequest, run_speak

    request = SpeakRequest(text, args.voice, args.out,
                           FORMAT_ALIASES[args.output_format] if args.output_format else None, args.engine,
                           args.url, args.play, args.device)
    return _run("speak", run_speak(request, env=os.environ, redactor=redactor, stdout=sys.stdout, stderr=sys.stderr))


def _run(name: str, work: Coroutine[Any, Any, int]) -> int:
    """Runs a headless command. Ctrl+C or SIGTERM cancels it, so its sessions and built-in server are closed
    on the way out; the status is then 130."""
    import asyncio
    import signal

    def interrupted() -> int:
        print(f"\nstudio {name}: interrupted", file=sys.stderr)
        return 130

    async def cancellable() -> int:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        terminated = False

        def terminate() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        loop.add_signal_handler(signal.SIGTERM, terminate)
        try:
            return await work
        except asyncio.CancelledError:
            if terminated:
                return interrupted()
            raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(cancellable())
    except KeyboardInterrupt:  # Ctrl+C: asyncio.run cancelled the command, then raised this
        return interrupted()
