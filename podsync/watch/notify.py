"""Desktop notifications through the freedesktop notification service, when there is one.

``notify-send`` is used when installed, else ``gdbus`` talks to the service
directly.  A notification that cannot be shown is only logged: it is never a
reason for a sync to fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

log = logging.getLogger("podsync.watch")

_BUS = "org.freedesktop.Notifications"


def command(summary: str, body: str) -> list[str] | None:
    """The command that shows the notification here, or None when nothing can."""
    if notify_send := shutil.which("notify-send"):
        return [notify_send, "--app-name=podsync", "--icon=multimedia-player", summary, body]
    gdbus = shutil.which("gdbus")
    if gdbus and os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return [
            gdbus,
            "call",
            "--session",
            f"--dest={_BUS}",
            "--object-path=/org/freedesktop/Notifications",
            f"--method={_BUS}.Notify",
            "podsync",
            "0",
            "multimedia-player",
            summary,
            body,
            "[]",
            "{}",
            "5000",
        ]
    return None


def notify(summary: str, body: str) -> None:
    """Show a notification; log (and otherwise ignore) any failure."""
    argv = command(summary, body)
    if argv is None:
        log.debug("no notification service: %s", summary)
        return
    try:
        subprocess.run(argv, capture_output=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("notification not shown (%s): %s", exc, summary)
