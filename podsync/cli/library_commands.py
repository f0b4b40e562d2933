"""The library's commands: unsubscribe, rename, clean, one podcast's episodes, device rename.

Like :mod:`podsync.cli.commands`, each imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from podsync.errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from podsync.app import App
    from podsync.model import Podcast


def _open() -> App:
    from podsync.app import App

    return App.open()


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    from podsync.library import resolve_podcasts, unsubscribe
    from podsync.sizes import human_size, plural

    with _open() as app:
        podcasts = resolve_podcasts(app, args.podcasts)
        freed = unsubscribe(app, podcasts)
        players = bool(app.state.devices())
    for podcast in podcasts:
        print(f"Unsubscribed from {podcast.title or podcast.url}")
    print(f"Deleted {plural(len(freed.items), 'cached episode')} ({human_size(freed.bytes)}).")
    if players:
        print("Their episodes leave each player at its next push.")
    return EXIT_OK


def cmd_rename(args: argparse.Namespace) -> int:
    from podsync.errors import UsageError
    from podsync.library import rename_podcast, resolve_podcasts

    with _open() as app:
        found = resolve_podcasts(app, [args.podcast])
        if len(found) > 1:
            names = ", ".join(p.title for p in found)
            raise UsageError(f"{args.podcast!r} matches {len(found)} podcasts ({names}); name one")
        podcast = rename_podcast(app, found[0], args.title)
    print(f"Renamed {found[0].title or found[0].url!r} to {podcast.title!r}.")
    return EXIT_OK


def cmd_device_rename(args: argparse.Namespace) -> int:
    from podsync.player.devices import rename

    with _open() as app:
        device = rename(app.state, args.old, args.new)
        overrides = args.old in app.config.devices
        installed = app.config.path is not None
    print(f"Renamed {args.old} to {device.name}; its files and history stay.")
    if overrides:
        print(
            f"podsync: warning: the config file still has [devices.{args.old}.*] settings; "
            f"rename them to [devices.{device.name}.*]",
            file=sys.stderr,
        )
    if installed:
        print("If you use auto-sync, run 'podsync udev install' again.")
    return EXIT_OK


def cmd_clean(args: argparse.Namespace) -> int:
    from podsync.library import clean
    from podsync.sizes import human_size, plural

    with _open() as app:
        freed = clean(app, dry_run=args.dry_run)
    if freed.busy:
        print(f"podsync: error: not cleaned: {freed.busy}; it cleans when done", file=sys.stderr)
        return EXIT_FAILED
    verb = "Would delete" if args.dry_run else "Deleted"
    for item in sorted(freed.items, key=lambda i: (i.podcast.casefold(), -i.published)):
        print(f"  {item.label}")
    for path in freed.conversions:
        print(f"  conversion {path.parent.name}/{path.name}")
    for path in freed.covers:
        print(f"  cover {path.name}")
    counts = [plural(len(freed.items), "cached episode")]
    if freed.conversions:
        counts.append(plural(len(freed.conversions), "conversion"))
    if freed.covers:
        counts.append(plural(len(freed.covers), "cover"))
    print(f"{verb} {', '.join(counts)}, {human_size(freed.bytes)} freed.")
    return EXIT_OK


def episode_rows(app: App, podcast: Podcast) -> list[dict[str, Any]]:
    """Each episode of ``podcast``, newest first, with its state."""
    played = app.state.played_keys()
    players = app.state.players_of()
    rows = []
    episodes = [e for e in app.state.episodes() if e.podcast_id == podcast.id]
    for e in sorted(episodes, key=lambda e: (-e.published, e.title)):
        on = players.get(e.key, [])
        if e.key in played:
            state = "played" if e.cache_path or on else "finished"
        else:
            state = "cached" if e.cache_path else ("on a player" if on else "new")
        rows.append(
            {
                "title": e.title,
                "published": _date(e.published),
                "state": state,
                "cached": e.cache_path is not None,
                "played": e.key in played,
                "players": on,
                "size": e.size,
                "key": e.key,
            }
        )
    return rows


def _date(stamp: float) -> str | None:
    return time.strftime("%Y-%m-%d", time.gmtime(stamp)) if stamp else None


def cmd_list(args: argparse.Namespace) -> int:
    """``podsync list``: the podcasts; ``podsync list PODCAST…``: the episodes of each."""
    from podsync.cli.commands import cmd_list, print_json
    from podsync.cli.table import format_table, terminal_columns

    if not args.podcasts:
        return cmd_list(args)
    from podsync.library import resolve_podcasts

    with _open() as app:
        podcasts = resolve_podcasts(app, args.podcasts)
        listed = [(p, episode_rows(app, p)) for p in podcasts]
    if args.json:
        return print_json(
            {"podcasts": [{"title": p.title, "url": p.url, "episodes": r} for p, r in listed]}
        )
    for n, (podcast, rows) in enumerate(listed):
        if n:
            print()
        print(f"{podcast.title or podcast.url} ({podcast.url})")
        table = [("PUBLISHED", "STATE", "ON", "EPISODE")]
        for row in rows:
            on = ", ".join(row["players"]) or "-"
            table.append((row["published"] or "-", row["state"], on, row["title"]))
        print("\n".join(format_table(table, width=terminal_columns())))
    return EXIT_OK
