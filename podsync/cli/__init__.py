"""The ``podsync`` command: parse arguments, call the work, print the outcome.

Heavy modules (requests, feedparser) are imported by the commands that need
them, so ``podsync --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from podsync.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Interrupted,
    PodsyncError,
)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from podsync.cli.parser import build_parser

    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see cli.completion)
        from podsync.cli.completion import autocomplete

        autocomplete(parser)
    for arg in argv:
        if not _is_utf8(arg):
            print(
                f"podsync: error: {_shown(arg)} is not UTF-8 text; podsync keeps "
                "names and paths as text (rename it)",
                file=sys.stderr,
            )
            return EXIT_USAGE
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_OK
    # -v and -q count the same before the command (``podsync -v list``) and after it.
    args.verbose += args.verbose_before
    args.quiet = args.quiet or args.quiet_before
    _log_to_stderr(args)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.quiet and args.report and not getattr(args, "json", False):
            # -q silences what went well; errors and warnings go to stderr all the same.
            with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
                return args.handler(args)
        return args.handler(args)
    except PodsyncError as exc:
        from podsync.text import MAX_MESSAGE, clean_text

        print(f"podsync: error: {clean_text(str(exc), MAX_MESSAGE)}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (``podsync list | head``): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:  # a player unplugged or a disk failing mid-run
        where = f": {exc.filename}" if exc.filename else ""
        print(f"podsync: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        # A run says what it finished and what resumes; elsewhere each write stands alone.
        said = f"; {exc}" if isinstance(exc, Interrupted) else ""
        print(f"\npodsync: interrupted{said}", file=sys.stderr)
        return EXIT_INTERRUPTED


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 arrive as lone surrogates
        return False
    return True


def _shown(arg: str) -> str:
    """An argument that cannot be printed, as its bytes."""
    return repr(os.fsencode(arg))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class _Formatter(logging.Formatter):
    """Warnings as ``podsync: warning: ...``; what -v tells, as it is (a watcher stamps it)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"podsync: {record.levelname.lower()}: {text}"
        return text


def _log_to_stderr(args: argparse.Namespace) -> None:
    """Send podsync's log to stderr: warnings; with -v what is done and why; -vv more.

    ``watch`` logs its events without -v (its log_level is INFO).
    """
    handler = logging.StreamHandler(sys.stderr)
    # A long-running watcher stamps its lines, except under systemd whose journal does.
    stamp = args.log_level == "INFO" and not os.environ.get("JOURNAL_STREAM")
    handler.setFormatter(
        _Formatter("%(asctime)s %(message)s" if stamp else "%(message)s", "%H:%M:%S")
    )
    base = logging.WARNING if args.quiet else logging.getLevelName(args.log_level)
    level = max(logging.DEBUG, base - 10 * args.verbose)
    log = logging.getLogger("podsync")
    log.handlers[:] = [handler]  # one handler, however often main() runs in a process
    log.setLevel(level)
    log.propagate = False
    if args.verbose >= 2:  # -vv: also each HTTP connection and request line
        urllib3 = logging.getLogger("urllib3")
        urllib3.handlers[:] = [handler]
        urllib3.setLevel(logging.DEBUG)
