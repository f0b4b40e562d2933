"""The command functions: open the app, call the work, print the outcome.

Each imports what it needs when it runs, so ``podsync --help`` loads none of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.cli.table import terminal_columns
from podsync.errors import EXIT_FAILED, EXIT_OK, PodsyncError, UsageError
from podsync.sizes import plural

if TYPE_CHECKING:
    from podsync.app import App
    from podsync.watch.install import Files


def _open() -> App:
    from podsync.app import App

    return App.open()


def cmd_subscribe(args: argparse.Namespace) -> int:
    from podsync.fetch import subscribe

    status = EXIT_OK
    with _open() as app:
        for url in args.urls:
            try:
                podcast, new = subscribe(app, url)
            except PodsyncError as exc:
                _error(str(exc))
                status = max(status, exc.exit_code)
                continue
            print(f"Subscribed to {podcast.title or podcast.url} ({plural(new, 'episode')})")
    return status


def cmd_list(args: argparse.Namespace) -> int:
    from podsync.cli.status import podcast_rows
    from podsync.cli.table import format_table

    with _open() as app:
        rows = podcast_rows(app)
    if args.json:
        return print_json({"podcasts": [row.to_json() for row in rows]})
    if not rows:
        print("No subscriptions yet; add one with: podsync subscribe URL")
        return EXIT_OK
    table = [("PODCAST", "EPISODES", "CACHED", "PLAYED", "STATUS")]
    for row in rows:
        status = row.status if not row.error else f"{row.status}: {row.error}"
        counts = row.counts
        table.append((row.title, str(counts.known), str(counts.cached), str(counts.played), status))
    print("\n".join(format_table(table, numeric=(1, 2, 3), width=terminal_columns())))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from podsync.cli.status import gather, render

    with _open() as app:
        status = gather(app)
    if args.json:
        return print_json(status.to_json())
    print(render(status, terminal_columns(), sys.stdout.isatty()))
    return EXIT_OK


def cmd_fetch(args: argparse.Namespace) -> int:
    from podsync.cli.progress import Progress
    from podsync.cli.report import fetch_json, print_fetch
    from podsync.fetch import fetch
    from podsync.library import resolve_podcasts

    with _open() as app:
        if not app.state.podcasts():
            if args.json:
                return print_json(
                    {"dry_run": args.dry_run, "ok": True, "feeds": [], "downloads": None}
                )
            print("No subscriptions yet; add one with: podsync subscribe URL")
            return EXIT_OK
        podcasts = resolve_podcasts(app, args.podcasts) if args.podcasts else None
        progress = Progress("fetching", enabled=False if args.quiet or args.json else None)
        report = fetch(
            app,
            progress,
            download=not args.refresh_only,
            podcasts=podcasts,
            dry_run=args.dry_run,
        )
    if args.json:
        print_json(fetch_json(report))
    else:
        print_fetch(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_import(args: argparse.Namespace) -> int:
    if (args.file is None) == (args.gpodder is None):
        raise UsageError("give either an OPML file or --gpodder [GPODDER_HOME]")
    if args.device is not None and args.gpodder is None:
        raise UsageError("--device goes with --gpodder")
    if args.gpodder is not None:
        home = None if args.gpodder is True else given_path(args.gpodder, "GPODDER_HOME")
        return _import_gpodder(home, args.device)
    from podsync.feeds.opml import import_outlines, parse_opml

    file = given_path(args.file, "FILE.opml")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None
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


def _import_gpodder(home: Path | None, device_name: str | None) -> int:
    import os

    from podsync.feeds.gpodder import GpodderHome, import_gpodder
    from podsync.player.adopt import adopt_copies
    from podsync.player.devices import push_lock, resolve
    from podsync.player.guard import Player
    from podsync.player.lock import player_lock
    from podsync.player.manifest import Manifest
    from podsync.text import clean_text

    source = GpodderHome.locate(home, os.environ)
    with _open() as app:
        player = resolve(app.state, device_name)[0] if device_name else None
        result = import_gpodder(app, source)
        if player is not None:
            device = Player(player[1])
            with push_lock(app.home.locks_dir, player[0]), player_lock(device):
                adopted = adopt_copies(player[1], Manifest.load(player[1], device), result.files)
    print(
        f"Imported from gPodder ({source.home}): {len(result.added)} podcasts"
        f" ({len(result.known)} already subscribed), {result.episodes} episodes,"
        f" {result.linked + result.copied} files ({result.linked} hard-linked,"
        f" {result.copied} copied), {result.played} played."
    )
    if player is not None:
        print(f"Took over {len(adopted)} of gPodder's copies on {player[0].name}.")
    for path in result.missing:
        print(
            f"podsync: warning: gPodder lists {clean_text(path)}, which is missing", file=sys.stderr
        )
    for path in result.outside:
        print(
            f"podsync: warning: gPodder lists {clean_text(path)}, outside its download folder"
            f" {source.downloads}; not imported",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from podsync.feeds.opml import format_opml, subscriptions
    from podsync.fileio import write_user_file

    with _open() as app:
        data = format_opml(subscriptions(app.state))
    if args.file is None:
        sys.stdout.buffer.write(data)
    else:
        file = given_path(args.file, "FILE")
        try:
            write_user_file(file, data)
        except OSError as exc:
            raise PodsyncError(f"cannot write {file}: {exc.strerror}") from None
    return EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from podsync.cli.progress import Progress
    from podsync.cli.report import print_push, push_error_json, push_json
    from podsync.player.devices import resolve
    from podsync.push import push

    if args.explain and not args.dry_run:
        raise UsageError("--explain goes with --dry-run")
    status = EXIT_OK
    pushes = []
    with _open() as app:
        target = None if args.target is None else str(given_path(args.target, "NAME|MOUNTPOINT"))
        try:
            targets = resolve(app.state, target)
        except PodsyncError as exc:
            if not args.json:
                raise
            _error(str(exc))
            print_json({"ok": False, "error": str(exc), "pushes": []})
            return exc.exit_code
        for device, path in targets:
            try:
                report = push(
                    app,
                    device,
                    path,
                    Progress("syncing", enabled=False if args.quiet or args.json else None),
                    dry_run=args.dry_run,
                    delete=not args.no_delete,
                )
                status = max(status, EXIT_OK if report.ok else EXIT_FAILED)
                if args.json:
                    pushes.append(push_json(report))
                else:
                    print_push(report, explain=args.explain)
                if args.eject and not args.dry_run:
                    from podsync.player.eject import eject

                    ejected = eject(path)
                    if not args.json:
                        print(ejected)
            except PodsyncError as exc:
                _error(f"{device.name}: {exc}")
                status = max(status, exc.exit_code)
                pushes.append(push_error_json(device, path, str(exc)))
    if args.json:
        errors = [p["error"] for p in pushes if p["error"]]
        print_json(
            {"ok": status == EXIT_OK, "error": errors[0] if errors else None, "pushes": pushes}
        )
    return status


def cmd_mark_played(args: argparse.Namespace) -> int:
    from podsync.history import Event, record
    from podsync.player.played import select_episodes

    with _open() as app:
        episodes = select_episodes(app.state.episodes(), args.podcast, args.episodes)
        if not episodes:
            print(
                f"podsync: error: no episode matches {args.podcast!r} "
                f"{' '.join(map(repr, args.episodes))}".rstrip(),
                file=sys.stderr,
            )
            if args.json:
                print_json({"dry_run": args.dry_run, "played": not args.undo, "episodes": []})
            return EXIT_FAILED
        keys = [e.key for e in episodes]
        action = "unplayed" if args.undo else "played"
        if not args.dry_run:
            if args.undo:
                app.state.mark_unplayed(keys)
            else:
                app.state.mark_played(keys)
            events = [Event(action, e.podcast, e.title, detail="marked by hand") for e in episodes]
            record(app.state, events, app.config.get("history", "keep"))
    if args.json:
        marked = [{"podcast": e.podcast, "title": e.title} for e in episodes]
        return print_json({"dry_run": args.dry_run, "played": not args.undo, "episodes": marked})
    verb = "not played" if args.undo else "played"
    podcasts = len({e.podcast_id for e in episodes})
    count = f"{plural(len(episodes), 'episode')} of {plural(podcasts, 'podcast')}"
    head = f"Would mark {count} as {verb}" if args.dry_run else f"Marked {count} as {verb}"
    print(f"{head}:")
    for episode in sorted(episodes, key=lambda e: (e.podcast.casefold(), -e.published)):
        print(f"  {episode.podcast} — {episode.title}")
    return EXIT_OK


def cmd_device_remove(args: argparse.Namespace) -> int:
    from podsync.player.devices import unregister

    with _open() as app:
        device = unregister(app.state, args.name)
    print(f"Forgot {device.name}; the episodes on it stay there.")
    return EXIT_OK


def cmd_device_add(args: argparse.Namespace) -> int:
    from podsync.player.devices import register
    from podsync.player.profiles import check_profile

    profile = check_profile(args.profile)
    with _open() as app:
        folder = app.config.get("push", "folder") if args.folder is None else args.folder
        mountpoint = given_path(args.mountpoint, "MOUNTPOINT")
        device, warning = register(
            app.state, mountpoint, args.name, folder, profile, force=args.force
        )
    if warning:
        print(f"podsync: warning: {warning}", file=sys.stderr)
    kind = f", profile {profile}" if profile else ""
    print(f"Registered {device.name} at {device.path} (episodes go to {device.folder}/{kind}).")
    return EXIT_OK


def cmd_device_repair(args: argparse.Namespace) -> int:
    from podsync.player.devices import push_lock, resolve
    from podsync.player.guard import Player
    from podsync.player.lock import player_lock
    from podsync.player.manifest import Manifest
    from podsync.player.repair import repair

    with _open() as app:
        ((device, path),) = resolve(app.state, args.name)
        player = Player(path)
        with push_lock(app.home.locks_dir, device), player_lock(player):
            manifest = Manifest.load(path, player)
            dates = {e.key: e.published for e in app.state.episodes()}
            report = repair(path, device.folder, manifest, dates)
            manifest.save()
    print(f"{device.name} ({path}): " + "; ".join(report.describe()) + ".")
    return EXIT_OK


def cmd_device_list(args: argparse.Namespace) -> int:
    from podsync.cli.status import device_rows, last_sync
    from podsync.cli.table import format_table

    with _open() as app:
        rows = device_rows(app)
    if args.json:
        return print_json({"devices": [row.to_json() for row in rows]})
    if not rows:
        print("No devices registered; add one with: podsync device add MOUNTPOINT --name NAME")
        return EXIT_OK
    table = [("DEVICE", "CONNECTED AT", "EPISODES", "LAST SYNC")]
    for row in rows:
        where = str(row.path) if row.path else "not connected"
        table.append((row.device.name, where, str(row.episodes), last_sync(row.device)))
    print("\n".join(format_table(table, numeric=(2,), width=terminal_columns())))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    from podsync.cli.config_command import edit, show
    from podsync.config import Config
    from podsync.home import Home

    path = Home.from_env().config_file
    if args.path:
        print(path)
        return EXIT_OK
    if args.edit:
        saved = edit(path)
        print(f"{path}: {'saved' if saved else 'not changed'}")
        return EXIT_OK
    print(show(Config.load(path)), end="")
    return EXIT_OK


def cmd_completion(args: argparse.Namespace) -> int:
    from podsync.cli.completion import script

    print(script(args.shell), end="")
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    from podsync.ui.server import page_for_watch
    from podsync.watch.watcher import Watcher

    with _open() as app, page_for_watch(app) as (push, fetch):
        Watcher(app, push, fetch).run()
    return EXIT_OK


def cmd_ui(args: argparse.Namespace) -> int:
    from podsync.ui.server import run_ui

    return run_ui(args.port, browser=not args.no_browser)


def _udev_files(args: argparse.Namespace) -> tuple[Files, Path]:
    """The rule and unit for the registered players; the folder to stage a rule in."""
    import os

    from podsync.watch.install import render

    with _open() as app:
        root = None if args.root is None else given_path(args.root, "--root")
        return render(app.state.devices(), root, dict(os.environ)), app.home.state_dir


def cmd_udev_install(args: argparse.Namespace) -> int:
    from podsync.watch.install import install, may_write

    files, state_dir = _udev_files(args)
    if args.print:
        print(f"# {files.rule}\n{files.rule_text}\n# {files.unit}\n{files.unit_text}", end="")
        return EXIT_OK
    system = args.root is None
    done = install(files, state_dir, system=system, rule_writable=may_write(files.rule))
    for line in done.lines:
        print(line)
    if done.by_hand:
        print(
            "podsync: error: the watcher service is not enabled; finish by hand with:\n"
            f"  {done.by_hand}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def cmd_udev_uninstall(args: argparse.Namespace) -> int:
    from podsync.watch.install import uninstall

    files, _ = _udev_files(args)
    for line in uninstall(files, system=args.root is None):
        print(line)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from podsync.cli.demo import run_demo

    return run_demo(None if args.dir is None else given_path(args.dir, "--dir"))


def _error(message: str) -> None:
    """Print one error line (its text may come from a server: cleaned)."""
    from podsync.text import MAX_MESSAGE, clean_text

    print(f"podsync: error: {clean_text(message, MAX_MESSAGE)}", file=sys.stderr)


def given_path(text: str, what: str) -> Path:
    """A path argument as given; an empty one is refused (it would mean this folder)."""
    if not text:
        raise UsageError(f"{what} is empty; give a path (. is this folder)")
    return Path(text)


def print_json(data: object) -> int:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))
    return EXIT_OK
