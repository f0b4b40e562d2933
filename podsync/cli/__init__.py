"""The ``podsync`` command: parse arguments, call the work, print the outcome.

Heavy modules (requests, feedparser) are imported by the commands that need
them, so ``podsync --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
from collections.abc import Sequence

from podsync.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, PodsyncError


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
    if args.verbose or args.log_level != "WARNING":
        _log_to_stderr(args)  # otherwise logging's last resort prints warnings alike
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.quiet and args.report and not getattr(args, "json", False):
            with contextlib.redirect_stdout(io.StringIO()):
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
    except KeyboardInterrupt:
        print("\npodsync: interrupted; nothing partial was left behind", file=sys.stderr)
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


def _log_to_stderr(args: argparse.Namespace) -> None:
    """Send podsync's log to stderr: warnings, or more with -v (``watch``: its events)."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    # A long-running watcher stamps its lines, except under systemd whose journal does.
    stamp = args.log_level == "INFO" and not os.environ.get("JOURNAL_STREAM")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(message)s" if stamp else "%(message)s", "%H:%M:%S")
    )
    log = logging.getLogger("podsync")
    log.addHandler(handler)
    if args.verbose:
        log.setLevel(logging.DEBUG)
    else:
        log.setLevel("WARNING" if args.quiet else args.log_level)
