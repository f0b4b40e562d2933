"""The ``podsync`` command: parse arguments, call the work, print the outcome.

Heavy modules (requests, feedparser) are imported by the commands that need
them, so ``podsync --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podsync import __version__
from podsync.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, PodsyncError, UsageError

if TYPE_CHECKING:
    from podsync.app import App
    from podsync.udev import Files

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["__names"]:  # for the completion scripts: names, one per line
        return _print_names(argv[1:])
    parser = build_parser()
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
        print(f"podsync: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the reader went away (``podsync list | head``): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as exc:  # a player unplugged or a disk failing mid-run
        where = f": {exc.filename}" if exc.filename else ""
        print(f"podsync: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\npodsync: interrupted; nothing partial was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED


def _print_names(kinds: list[str]) -> int:
    from podsync.completion import names

    try:
        for kind in kinds:
            print("\n".join(names(kind)))
    except (PodsyncError, OSError):
        return EXIT_FAILED  # completing a name must never print an error into the command line
    return EXIT_OK


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _log_to_stderr(args: argparse.Namespace) -> None:
    """Send podsync's log to stderr: warnings, or more with -v (``watch``: its events)."""
    import logging
    import os

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podsync",
        description="Keep portable media players filled with podcasts: fetch feeds into a "
        "local cache, then push new episodes to your player and remove the old.",
        epilog="Run 'podsync COMMAND --help' for a command's options. "
        "Exit status: 0 ok, 1 something failed, 2 usage or config error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"podsync {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", help="say more, log details")
    common.add_argument("-q", "--quiet", action="store_true", help="print only errors and warnings")
    common.set_defaults(report=True, log_level="WARNING")

    def command(
        name: str, handler: Handler, help_text: str, group: argparse._SubParsersAction | None = None
    ) -> argparse.ArgumentParser:
        sub = (group or commands).add_parser(
            name, help=help_text.split(";")[0], description=help_text, parents=[common]
        )
        sub.set_defaults(handler=handler)
        return sub

    def json_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--json", action="store_true", help="print JSON (the shape is in docs/usage.md)"
        )

    sub = command("subscribe", cmd_subscribe, "subscribe to podcast feeds")
    sub.add_argument("urls", nargs="+", metavar="URL", help="feed address (http or https)")
    sub = command("list", cmd_list, "list podcasts with their episode counts")
    sub.set_defaults(report=False)
    json_option(sub)
    sub = command(
        "status",
        cmd_status,
        "show podcasts, players and the cache at a glance, and what the next push would do",
    )
    sub.set_defaults(report=False)
    json_option(sub)
    sub = command("fetch", cmd_fetch, "refresh feeds and download new episodes into the cache")
    sub.add_argument(
        "--refresh-only", action="store_true", help="refresh the feeds, download nothing"
    )

    sub = command(
        "import", cmd_import, "subscribe to the feeds of an OPML file, or switch from gPodder"
    )
    sub.add_argument("file", nargs="?", type=Path, metavar="FILE.opml", help="an OPML file")
    sub.add_argument(
        "--gpodder",
        nargs="?",
        const=True,
        metavar="GPODDER_HOME",
        help="take over gPodder's subscriptions, downloaded files and played marks "
        "(default home: $GPODDER_HOME, else ~/gPodder; downloads: $GPODDER_DOWNLOAD_DIR, "
        "else HOME/Downloads)",
    )
    sub = command("export", cmd_export, "write the subscriptions as OPML")
    sub.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="where to write (default: stdout)"
    )

    sub = command("push", cmd_push, "copy new episodes to players and delete old ones")
    sub.add_argument(
        "target",
        nargs="?",
        metavar="NAME|MOUNTPOINT",
        help="a registered device (default: every connected one)",
    )
    sub.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="print what would be copied and deleted, change nothing",
    )
    sub.add_argument("--no-delete", action="store_true", help="copy only; delete nothing")
    sub.add_argument(
        "--eject", action="store_true", help="then flush, unmount and power off the player"
    )
    json_option(sub)

    sub = command("mark-played", cmd_mark_played, "mark episodes as played (or not)")
    sub.add_argument("podcast", metavar="PODCAST", help="podcast title, or a glob like 'Tech*'")
    sub.add_argument(
        "episodes",
        nargs="*",
        metavar="EPISODE",
        help="part of an episode's title (default: every episode of the podcast)",
    )
    sub.add_argument("--undo", action="store_true", help="mark them as not played")

    device = command("device", _device_help, "register and list players")
    actions = device.add_subparsers(title="device commands", metavar="ACTION")
    sub = command(
        "add",
        cmd_device_add,
        "register the player (or folder) mounted at MOUNTPOINT; writes a small .podsync/ "
        "marker on it",
        actions,
    )
    sub.add_argument("mountpoint", type=Path, metavar="MOUNTPOINT")
    sub.add_argument("--name", required=True, help="a short name to refer to it by")
    sub.add_argument(
        "--folder",
        help="folder on the player for podcasts (default: the push.folder setting, 'Podcasts')",
    )
    sub = command(
        "list", cmd_device_list, "list registered players; where they are mounted", actions
    )
    sub.set_defaults(report=False)
    json_option(sub)
    sub = command(
        "remove",
        cmd_device_remove,
        "forget a registered player; its files stay on it, and a later 'device add' takes "
        "them over again",
        actions,
    )
    sub.add_argument("name", metavar="NAME")

    sub = command(
        "watch",
        cmd_watch,
        "sync each registered player when it is plugged in; runs until stopped, -v logs "
        "every event",
    )
    sub.set_defaults(log_level="INFO")

    udev = command("udev", _udev_help, "install the udev rule and user service for auto-sync")
    actions = udev.add_subparsers(title="udev commands", metavar="ACTION")
    sub = command(
        "install",
        cmd_udev_install,
        "write the udev rule for the registered players and the systemd user unit "
        "that runs 'podsync watch'; run it again after 'podsync device add'",
        actions,
    )
    sub.add_argument(
        "--print", action="store_true", help="show the two files instead of writing them"
    )
    sub.add_argument(
        "--root", type=Path, metavar="DIR", help="work under DIR instead of / (for packaging)"
    )
    sub = command(
        "uninstall", cmd_udev_uninstall, "remove what 'podsync udev install' wrote", actions
    )
    sub.add_argument(
        "--root", type=Path, metavar="DIR", help="work under DIR instead of / (for packaging)"
    )

    sub = command(
        "config",
        cmd_config,
        "show the config file's path and the settings in effect (defaults, the file, "
        "per-device overrides)",
    )
    sub.set_defaults(report=False)
    sub.add_argument("--edit", action="store_true", help="open the file in $EDITOR, then check it")
    sub.add_argument("--path", action="store_true", help="print only the file's path")

    sub = command(
        "completion",
        cmd_completion,
        "print a shell completion script (see docs/usage.md to install it)",
    )
    sub.set_defaults(report=False)
    sub.add_argument("shell", choices=("bash", "zsh", "fish"))

    sub = command(
        "demo",
        cmd_demo,
        "run the whole path offline: a local feed, fetch, push to a demo player folder",
    )
    sub.add_argument(
        "--dir", type=Path, help="keep the demo here (default: a new temporary folder)"
    )
    return parser


def _open() -> App:
    from podsync.app import App

    return App.open()


def _device_help(args: argparse.Namespace) -> int:
    build_parser().parse_args(["device", "--help"])
    return EXIT_OK


def cmd_subscribe(args: argparse.Namespace) -> int:
    from podsync.fetch import subscribe

    status = EXIT_OK
    with _open() as app:
        for url in args.urls:
            try:
                podcast, new = subscribe(app, url)
            except PodsyncError as exc:
                print(f"podsync: error: {exc}", file=sys.stderr)
                status = max(status, exc.exit_code)
                continue
            print(f"Subscribed to {podcast.title or podcast.url} ({new} episodes)")
    return status


def cmd_list(args: argparse.Namespace) -> int:
    from podsync.status import podcast_rows
    from podsync.table import format_table

    with _open() as app:
        rows = podcast_rows(app)
    if args.json:
        return _print_json({"podcasts": [row.to_json() for row in rows]})
    if not rows:
        print("No subscriptions yet; add one with: podsync subscribe URL")
        return EXIT_OK
    table = [("PODCAST", "EPISODES", "CACHED", "PLAYED", "STATUS")]
    for row in rows:
        status = row.status if not row.error else f"{row.status}: {row.error}"
        counts = row.counts
        table.append((row.title, str(counts.known), str(counts.cached), str(counts.played), status))
    print("\n".join(format_table(table, numeric=(1, 2, 3), width=_width())))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from podsync.status import gather, render

    with _open() as app:
        status = gather(app)
    if args.json:
        return _print_json(status.to_json())
    print(render(status, _width(), sys.stdout.isatty()))
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    from podsync.fetch import fetch
    from podsync.progress import Progress
    from podsync.report import print_fetch

    with _open() as app:
        if not app.state.podcasts():
            print("No subscriptions yet; add one with: podsync subscribe URL")
            return EXIT_OK
        report = fetch(app, Progress("fetching"), download=not args.refresh_only)
    print_fetch(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_import(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.gpodder is None):
        raise UsageError("give either an OPML file or --gpodder [GPODDER_HOME]")
    if args.gpodder is not None:
        return _import_gpodder(None if args.gpodder is True else Path(args.gpodder))
    from podsync.opml import import_outlines, parse_opml

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    outlines = parse_opml(data)
    with _open() as app:
        result = import_outlines(app.state, outlines)
    for outline in result.invalid:
        print(f"podsync: warning: skipped {outline.url!r}: not an http(s) URL", file=sys.stderr)
    print(
        f"Subscribed to {len(result.added)} of {len(outlines)} feeds from {args.file}"
        f" ({len(result.known)} already subscribed); 'podsync fetch' reads them."
    )
    return EXIT_FAILED if result.invalid else EXIT_OK


def _import_gpodder(home: Path | None) -> int:
    import os

    from podsync.gpodder import GpodderHome, import_gpodder

    source = GpodderHome.locate(home, os.environ)
    with _open() as app:
        result = import_gpodder(app, source)
    print(
        f"Imported from gPodder ({source.home}): {len(result.added)} podcasts"
        f" ({len(result.known)} already subscribed), {result.episodes} episodes,"
        f" {result.linked + result.copied} files ({result.linked} hard-linked,"
        f" {result.copied} copied), {result.played} played."
    )
    for path in result.missing:
        print(f"podsync: warning: gPodder lists {path}, which is missing", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from podsync.fileio import write_atomically
    from podsync.opml import format_opml, subscriptions

    with _open() as app:
        data = format_opml(subscriptions(app.state))
    if args.file is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomically(args.file, data)
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from podsync.devices import resolve
    from podsync.progress import Progress
    from podsync.push import push
    from podsync.report import print_push, push_error_json, push_json

    status = EXIT_OK
    pushes = []
    with _open() as app:
        for device, path in resolve(app.state, args.target):
            try:
                report = push(
                    app,
                    device,
                    path,
                    Progress("syncing", enabled=None if not (args.quiet or args.json) else False),
                    dry_run=args.dry_run,
                    delete=not args.no_delete,
                )
                status = max(status, EXIT_OK if report.ok else EXIT_FAILED)
                if args.json:
                    pushes.append(push_json(report))
                else:
                    print_push(report)
                if args.eject and not args.dry_run:
                    from podsync.eject import eject

                    ejected = eject(path)
                    if not args.json:
                        print(ejected)
            except PodsyncError as exc:
                print(f"podsync: error: {device.name}: {exc}", file=sys.stderr)
                status = max(status, exc.exit_code)
                pushes.append(push_error_json(device, path, str(exc)))
    if args.json:
        _print_json({"pushes": pushes})
    return status


def cmd_mark_played(args: argparse.Namespace) -> int:
    from podsync.played import select_episodes

    with _open() as app:
        episodes = select_episodes(app.state.episodes(), args.podcast, args.episodes)
        if not episodes:
            print(
                f"podsync: error: no episode matches {args.podcast!r} "
                f"{' '.join(args.episodes)}".rstrip(),
                file=sys.stderr,
            )
            return EXIT_FAILED
        keys = [e.key for e in episodes]
        if args.undo:
            app.state.mark_unplayed(keys)
        else:
            app.state.mark_played(keys)
    verb = "not played" if args.undo else "played"
    for episode in episodes:
        print(f"Marked {verb}: {episode.podcast} — {episode.title}")
    return EXIT_OK


def cmd_device_remove(args: argparse.Namespace) -> int:
    from podsync.devices import unregister

    with _open() as app:
        device = unregister(app.state, args.name)
    print(f"Forgot {device.name}; the episodes on it stay there.")
    return EXIT_OK


def cmd_device_add(args: argparse.Namespace) -> int:
    from podsync.devices import register

    with _open() as app:
        folder = args.folder or app.config.get("push", "folder")
        device = register(app.state, args.mountpoint, args.name, folder)
    print(f"Registered {device.name} at {device.path} (episodes go to {device.folder}/).")
    return EXIT_OK


def cmd_device_list(args: argparse.Namespace) -> int:
    from podsync.status import device_rows, last_sync
    from podsync.table import format_table

    with _open() as app:
        rows = device_rows(app)
    if args.json:
        return _print_json({"devices": [row.to_json() for row in rows]})
    if not rows:
        print("No devices registered; add one with: podsync device add MOUNTPOINT --name NAME")
        return EXIT_OK
    table = [("DEVICE", "CONNECTED AT", "EPISODES", "LAST SYNC")]
    for row in rows:
        where = str(row.path) if row.path else "not connected"
        table.append((row.device.name, where, str(row.episodes), last_sync(row.device)))
    print("\n".join(format_table(table, numeric=(2,), width=_width())))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    from podsync.config import Config
    from podsync.config_edit import edit, show
    from podsync.home import Home

    path = Home.from_env().config_file
    if args.path:
        print(path)
        return EXIT_OK
    if args.edit:
        edit(path)
        print(f"{path}: ok")
        return EXIT_OK
    print(show(Config.load(path)), end="")
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    from podsync.completion import script

    print(script(args.shell, build_parser()), end="")
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    from podsync.watcher import Watcher, push_outcome

    with _open() as app:
        Watcher(app, push_outcome).run()
    return EXIT_OK


def _udev_help(args: argparse.Namespace) -> int:
    build_parser().parse_args(["udev", "--help"])
    return EXIT_OK


def _udev_files(args: argparse.Namespace) -> tuple[Files, Path]:
    """The rule and unit for the registered players; the folder to stage a rule in."""
    import os

    from podsync.udev import render

    with _open() as app:
        return render(app.state.devices(), args.root, dict(os.environ)), app.home.state_dir


def cmd_udev_install(args: argparse.Namespace) -> int:
    from podsync.udev import install, may_write

    files, state_dir = _udev_files(args)
    if args.print:
        print(f"# {files.rule}\n{files.rule_text}\n# {files.unit}\n{files.unit_text}", end="")
        return EXIT_OK
    system = args.root is None
    for line in install(files, state_dir, system=system, rule_writable=may_write(files.rule)):
        print(line)
    return EXIT_OK


def cmd_udev_uninstall(args: argparse.Namespace) -> int:
    from podsync.udev import uninstall

    files, _ = _udev_files(args)
    for line in uninstall(files, system=args.root is None):
        print(line)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from podsync.demo import run_demo

    return run_demo(args.dir)


def _width() -> int:
    """The terminal's width; unlimited when the output is not a terminal."""
    from podsync.progress import terminal_width

    return terminal_width(sys.stdout) or 0


def _print_json(data: object) -> int:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK
