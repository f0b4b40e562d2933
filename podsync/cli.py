"""The ``podsync`` command: parse arguments, call the work, print the outcome.

Heavy modules (requests, feedparser) are imported by the commands that need
them, so ``podsync --help`` starts fast.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from podsync import __version__
from podsync.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, PodsyncError

if TYPE_CHECKING:
    from podsync.app import App
    from podsync.udev import Files

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return EXIT_OK
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return args.handler(args)
    except PodsyncError as exc:
        print(f"podsync: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a player unplugged or a disk failing mid-run
        where = f": {exc.filename}" if exc.filename else ""
        print(f"podsync: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\npodsync: interrupted; nothing partial was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


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

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("subscribe", cmd_subscribe, "subscribe to podcast feeds")
    sub.add_argument("urls", nargs="+", metavar="URL", help="feed address (http or https)")
    command("list", cmd_list, "list podcasts with their episode counts")
    command("fetch", cmd_fetch, "refresh feeds and download new episodes into the cache")

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
    sub = actions.add_parser(
        "add",
        help="register the player mounted at MOUNTPOINT",
        description="Register the player (or folder) mounted at "
        "MOUNTPOINT; writes a small .podsync/ marker on it.",
    )
    sub.add_argument("mountpoint", type=Path, metavar="MOUNTPOINT")
    sub.add_argument("--name", required=True, help="a short name to refer to it by")
    sub.add_argument(
        "--folder",
        help="folder on the player for podcasts (default: the push.folder setting, 'Podcasts')",
    )
    sub.set_defaults(handler=cmd_device_add)
    sub = actions.add_parser(
        "list",
        help="list registered players",
        description="List registered players and where they are mounted.",
    )
    sub.set_defaults(handler=cmd_device_list)
    sub = actions.add_parser(
        "remove",
        help="forget a registered player",
        description="Forget a registered player. Its files stay on it; a later "
        "'device add' takes them over again.",
    )
    sub.add_argument("name", metavar="NAME")
    sub.set_defaults(handler=cmd_device_remove)

    sub = command(
        "watch",
        cmd_watch,
        "sync each registered player when it is plugged in (runs until stopped)",
    )
    sub.add_argument("-v", "--verbose", action="store_true", help="log every event, not just syncs")

    udev = command("udev", _udev_help, "install the udev rule and user service for auto-sync")
    actions = udev.add_subparsers(title="udev commands", metavar="ACTION")
    for name, handler, text in (
        (
            "install",
            cmd_udev_install,
            "write the udev rule for the registered players and the systemd user unit "
            "that runs 'podsync watch'; run it again after 'podsync device add'",
        ),
        ("uninstall", cmd_udev_uninstall, "remove what 'podsync udev install' wrote"),
    ):
        sub = actions.add_parser(name, help=text.split(";")[0], description=text)
        sub.add_argument(
            "--root", type=Path, metavar="DIR", help="work under DIR instead of / (for packaging)"
        )
        if name == "install":
            sub.add_argument(
                "--print", action="store_true", help="show the two files instead of writing them"
            )
        sub.set_defaults(handler=handler)

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
    with _open() as app:
        podcasts = app.state.podcasts()
        if not podcasts:
            print("No subscriptions yet; add one with: podsync subscribe URL")
            return EXIT_OK
        counts = app.state.counts()
        rows = [("PODCAST", "EPISODES", "CACHED", "STATUS")]
        for p in podcasts:
            known, cached = counts.get(p.id, (0, 0))
            status = p.status if not p.error else f"{p.status}: {p.error}"
            rows.append((p.title or p.url, str(known), str(cached), status))
        _table(rows)
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    from podsync.fetch import fetch
    from podsync.progress import Progress
    from podsync.report import print_fetch

    with _open() as app:
        if not app.state.podcasts():
            print("No subscriptions yet; add one with: podsync subscribe URL")
            return EXIT_OK
        report = fetch(app, Progress("fetching"))
    print_fetch(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_push(args: argparse.Namespace) -> int:
    from podsync.devices import resolve
    from podsync.eject import eject
    from podsync.progress import Progress
    from podsync.push import push
    from podsync.report import print_push

    status = EXIT_OK
    with _open() as app:
        for device, path in resolve(app.state, args.target):
            try:
                report = push(
                    app,
                    device,
                    path,
                    Progress("syncing"),
                    dry_run=args.dry_run,
                    delete=not args.no_delete,
                )
                print_push(report)
                status = max(status, EXIT_OK if report.ok else EXIT_FAILED)
                if args.eject and not args.dry_run:
                    print(eject(path))
            except PodsyncError as exc:
                print(f"podsync: error: {device.name}: {exc}", file=sys.stderr)
                status = max(status, exc.exit_code)
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
    import time

    from podsync.devices import locate

    with _open() as app:
        devices = app.state.devices()
        if not devices:
            print("No devices registered; add one with: podsync device add MOUNTPOINT --name NAME")
            return EXIT_OK
        files = app.state.device_file_counts()
        rows = [("DEVICE", "CONNECTED AT", "EPISODES", "LAST SYNC")]
        for d in devices:
            where = locate(d)
            last = (
                (
                    time.strftime("%Y-%m-%d %H:%M", time.localtime(d.last_sync_at))
                    + f" ({d.last_result})"
                )
                if d.last_sync_at
                else "never"
            )
            rows.append(
                (d.name, str(where) if where else "not connected", str(files.get(d.id, 0)), last)
            )
        _table(rows)
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    import logging
    import os

    from podsync.watcher import Watcher, push_outcome

    handler = logging.StreamHandler(sys.stderr)
    # Under systemd the journal stamps each line already.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    handler.setFormatter(logging.Formatter(f"{stamp}%(message)s", "%H:%M:%S"))
    log = logging.getLogger("podsync")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
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


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
