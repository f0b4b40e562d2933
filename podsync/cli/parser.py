"""The ``podsync`` command line's grammar: every command, its options and its help."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from podsync import __version__
from podsync.cli import commands, history_command, library_commands
from podsync.errors import EXIT_OK
from podsync.player.profiles import PROFILES

Handler = Callable[[argparse.Namespace], int]


def completes(action: argparse.Action, kind: str) -> None:
    """Mark what ``action`` takes, for shell completion: devices, podcasts, files, dirs,
    device-or-dir (see :mod:`podsync.cli.completion`)."""
    action.complete_as = kind  # type: ignore[attr-defined]


def _help_of(parser: argparse.ArgumentParser) -> Handler:
    """A handler for a command group run without a subcommand: its help."""

    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return EXIT_OK

    return show


def verbosity_options(parser: argparse.ArgumentParser, suffix: str = "") -> None:
    """-v/-q, stored as ``verbose``/``quiet`` plus ``suffix``."""
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        dest=f"verbose{suffix}",
        help="log on stderr what is done and why (-vv: more)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        dest=f"quiet{suffix}",
        help="print only errors and warnings (they go to stderr)",
    )


def dry_run_option(sub: argparse.ArgumentParser, what: str) -> None:
    sub.add_argument("-n", "--dry-run", action="store_true", help=f"{what}; change nothing")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a port (1 to 65535): {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podsync",
        description="Keep portable media players filled with podcasts: fetch feeds into a "
        "local cache, then push new episodes to your player and remove the old.",
        epilog="Run 'podsync COMMAND --help' for a command's options. "
        "Exit status: 0 ok, 1 something failed, 2 usage or config error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"podsync {__version__}")
    # The same options before the command (``podsync -v list``) as after it; main() adds them.
    verbosity_options(parser, "_before")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    verbosity_options(common)
    common.set_defaults(report=True, log_level="WARNING")

    def command(
        name: str,
        handler: Handler | None,
        help_text: str,
        group: argparse._SubParsersAction | None = None,
    ) -> argparse.ArgumentParser:
        sub = (group or subcommands).add_parser(
            name, help=help_text.split(";")[0], description=help_text, parents=[common]
        )
        sub.set_defaults(handler=handler or _help_of(sub))
        return sub

    def root_option(sub: argparse.ArgumentParser) -> None:
        completes(
            sub.add_argument(
                "--root",
                metavar="DIR",
                help="work under DIR instead of / (for packaging)",
            ),
            "dirs",
        )

    def podcasts_argument(
        sub: argparse.ArgumentParser, nargs: str | None, help_text: str, dest: str = "podcasts"
    ) -> None:
        completes(
            sub.add_argument(dest, nargs=nargs, metavar="PODCAST", help=help_text), "podcasts"
        )

    def json_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--json", action="store_true", help="print JSON (the shape is in docs/usage.md)"
        )

    sub = command("subscribe", commands.cmd_subscribe, "subscribe to podcast feeds")
    sub.add_argument("urls", nargs="+", metavar="URL", help="feed address (http or https)")
    sub = command(
        "list",
        library_commands.cmd_list,
        "list podcasts with their episode counts; with PODCAST, its episodes and their "
        "state (new, cached, on which players, played, finished)",
    )
    sub.set_defaults(report=False)
    podcasts_argument(sub, "*", "a podcast's title, a glob like 'Tech*', or its feed URL")
    json_option(sub)
    sub = command(
        "status",
        commands.cmd_status,
        "show podcasts, players and the cache at a glance, and what the next push would do",
    )
    sub.set_defaults(report=False)
    json_option(sub)
    sub = command(
        "fetch", commands.cmd_fetch, "refresh feeds and download new episodes into the cache"
    )
    podcasts_argument(sub, "*", "only these podcasts (title, glob or feed URL; default: all)")
    sub.add_argument(
        "--refresh-only", action="store_true", help="refresh the feeds, download nothing"
    )
    dry_run_option(sub, "refresh the feeds, then print what would be downloaded")
    json_option(sub)
    sub = command(
        "unsubscribe",
        library_commands.cmd_unsubscribe,
        "forget podcasts: their cached files are deleted, and their episodes leave each "
        "player at its next push (only files podsync put there)",
    )
    podcasts_argument(sub, "+", "a podcast's title, a glob like 'Tech*', or its feed URL")
    sub = command(
        "rename",
        library_commands.cmd_rename,
        "give a podcast a title of your own, which refreshing its feed keeps",
    )
    podcasts_argument(sub, None, "a podcast's title, a glob or its feed URL", "podcast")
    sub.add_argument("title", metavar="NEW", help="the new title")
    sub = command(
        "clean",
        library_commands.cmd_clean,
        "delete cached episodes no player and no fetch still wants, conversions no player's "
        "settings want and covers no podcast uses (done after every fetch and push anyway); "
        "says how much it freed",
    )
    dry_run_option(sub, "say what would be deleted")

    sub = command(
        "import",
        commands.cmd_import,
        "subscribe to the feeds of an OPML file, or switch from gPodder",
    )
    completes(
        sub.add_argument("file", nargs="?", metavar="FILE.opml", help="an OPML file"),
        "files",
    )
    sub.add_argument(
        "--gpodder",
        nargs="?",
        const=True,
        metavar="GPODDER_HOME",
        help="take over gPodder's subscriptions, downloaded files and played marks "
        "(default home: $GPODDER_HOME, else ~/gPodder; downloads: $GPODDER_DOWNLOAD_DIR, "
        "else HOME/Downloads)",
    )
    completes(
        sub.add_argument(
            "--device",
            metavar="NAME",
            help="with --gpodder: take over gPodder's copies on this registered player (same "
            "size and title), so podsync does not copy them again",
        ),
        "devices",
    )
    sub = command("export", commands.cmd_export, "write the subscriptions as OPML")
    sub.set_defaults(report=False)  # the OPML is the output, -q or not
    completes(
        sub.add_argument(
            "file", nargs="?", metavar="FILE", help="where to write (default: stdout)"
        ),
        "files",
    )

    sub = command("push", commands.cmd_push, "copy new episodes to players and delete old ones")
    completes(
        sub.add_argument(
            "target",
            nargs="?",
            metavar="NAME|MOUNTPOINT",
            help="a registered device (default: every connected one)",
        ),
        "device-or-dir",
    )
    dry_run_option(sub, "print what would be copied and deleted")
    sub.add_argument(
        "--explain",
        action="store_true",
        help="with --dry-run: also each episode not going to the player, and the filter "
        "that keeps it off",
    )
    sub.add_argument("--no-delete", action="store_true", help="copy only; delete nothing")
    sub.add_argument(
        "--eject", action="store_true", help="then flush, unmount and power off the player"
    )
    json_option(sub)

    sub = command(
        "mark-played",
        commands.cmd_mark_played,
        "mark episodes as played (or not); PODCAST and EPISODE match alike: part of the "
        "title, or a glob like 'Tech*', any case",
    )
    completes(
        sub.add_argument("podcast", metavar="PODCAST", help="part of a podcast's title, or a glob"),
        "podcasts",
    )
    sub.add_argument(
        "episodes",
        nargs="*",
        metavar="EPISODE",
        help="part of an episode's title, or a glob (default: every episode of the podcasts)",
    )
    sub.add_argument("--undo", action="store_true", help="mark them as not played")
    dry_run_option(sub, "print which episodes would be marked")
    json_option(sub)

    device = command("device", None, "register and list players")
    actions = device.add_subparsers(title="device commands", metavar="ACTION")
    sub = command(
        "add",
        commands.cmd_device_add,
        "register the player (or folder) mounted at MOUNTPOINT; writes a small .podsync/ "
        "marker on it",
        actions,
    )
    completes(sub.add_argument("mountpoint", metavar="MOUNTPOINT"), "dirs")
    sub.add_argument("--name", required=True, help="a short name to refer to it by")
    sub.add_argument(
        "--folder",
        help="folder on the player for podcasts (default: the push.folder setting, 'Podcasts')",
    )
    sub.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        help="defaults for this kind of player (settings in the config file still win): "
        + "; ".join(f"{name}: {what}" for name, (what, _) in sorted(PROFILES.items())),
    )
    sub.add_argument(
        "--force", action="store_true", help="register even / or your home folder as a player"
    )
    sub = command(
        "list", commands.cmd_device_list, "list registered players; where they are mounted", actions
    )
    sub.set_defaults(report=False)
    json_option(sub)
    sub = command(
        "remove",
        commands.cmd_device_remove,
        "forget a registered player; its files stay on it, and a later 'device add' takes "
        "them over again",
        actions,
    )
    completes(sub.add_argument("name", metavar="NAME"), "devices")
    sub = command(
        "rename",
        library_commands.cmd_device_rename,
        "give a registered player a new name; its files and history stay",
        actions,
    )
    completes(sub.add_argument("old", metavar="OLD"), "devices")
    sub.add_argument("new", metavar="NEW")
    sub = command(
        "repair",
        commands.cmd_device_repair,
        "rebuild the player's manifest from the files that carry podsync's identity in their "
        "tags (a push does this by itself when the manifest is missing or unreadable)",
        actions,
    )
    completes(sub.add_argument("name", metavar="NAME"), "devices")

    sub = command(
        "log",
        history_command.cmd_log,
        "show the history: every copy, delete, played mark and fetch, newest last",
    )
    sub.set_defaults(report=False)
    completes(sub.add_argument("--device", metavar="NAME", help="only this player's"), "devices")
    sub.add_argument(
        "--since", metavar="DATE", help="only from DATE on (2026-11-24, '2026-11-24 18:00', 3d)"
    )
    json_option(sub)

    sub = command(
        "watch",
        commands.cmd_watch,
        "sync each registered player when it is plugged in; runs until stopped, -v logs "
        "every event",
    )
    sub.set_defaults(log_level="INFO")

    sub = command(
        "ui",
        commands.cmd_ui,
        "open podsync's web page in the browser: the watcher's, or served here until Ctrl-C "
        "(on 127.0.0.1 only)",
    )
    sub.add_argument(
        "--port", type=_port, help="port on 127.0.0.1 (default: the watch.ui_port setting, 8385)"
    )
    sub.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening it"
    )

    udev = command("udev", None, "install the udev rule and user service for auto-sync")
    actions = udev.add_subparsers(title="udev commands", metavar="ACTION")
    sub = command(
        "install",
        commands.cmd_udev_install,
        "write the udev rule for the registered players and the systemd user unit "
        "that runs 'podsync watch'; run it again after 'podsync device add'",
        actions,
    )
    sub.add_argument(
        "--print", action="store_true", help="show the two files instead of writing them"
    )
    root_option(sub)
    sub = command(
        "uninstall",
        commands.cmd_udev_uninstall,
        "remove what 'podsync udev install' wrote",
        actions,
    )
    root_option(sub)

    sub = command(
        "config",
        commands.cmd_config,
        "show the config file's path and the settings in effect (defaults, the file, "
        "per-device overrides)",
    )
    sub.set_defaults(report=False)
    sub.add_argument("--edit", action="store_true", help="open the file in $EDITOR, then check it")
    sub.add_argument("--path", action="store_true", help="print only the file's path")

    sub = command(
        "completion",
        commands.cmd_completion,
        "print a shell completion script (see docs/usage.md to install it)",
    )
    sub.set_defaults(report=False)
    sub.add_argument("shell", choices=("bash", "zsh", "fish"))

    sub = command(
        "demo",
        commands.cmd_demo,
        "run the whole path offline: a local feed, fetch, push to a demo player folder",
    )
    completes(
        sub.add_argument("--dir", help="keep the demo here (default: a new temporary folder)"),
        "dirs",
    )
    return parser
