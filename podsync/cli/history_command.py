"""``podsync log``: the history, as a table or as JSON."""

from __future__ import annotations

import argparse
import time

from podsync.errors import EXIT_OK, UsageError


def cmd_log(args: argparse.Namespace) -> int:
    from podsync.app import App
    from podsync.cli.commands import print_json, terminal_columns
    from podsync.cli.table import format_table
    from podsync.history import events, parse_since

    since = parse_since(args.since) if args.since else None
    with App.open() as app:
        found = events(app.state, args.device, since)
        known = app.state.device(args.device) if args.device is not None else True
        if not known and not events(app.state, args.device):
            raise UsageError(f"no device named {args.device!r} in the history")
    if args.json:
        return print_json({"events": [e.to_json() for e in found]})
    if not found:
        print("Nothing in the history yet." if since is None else "Nothing since then.")
        return EXIT_OK
    rows = [("WHEN", "ACTION", "DEVICE", "EPISODE", "RESULT")]
    for e in found:
        what = " — ".join(part for part in (e.podcast, e.episode) if part)
        result = e.outcome if not e.detail else f"{e.outcome}: {e.detail}"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.at))
        rows.append((when, e.action, e.device or "", what, result))
    print("\n".join(format_table(rows, width=terminal_columns(), shrink=(3, 4))))
    return EXIT_OK
