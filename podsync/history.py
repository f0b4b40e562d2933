"""The history: every copy, delete, played mark and fetch, kept in the state database.

``podsync log`` shows it.  It is bounded: past the ``history.keep`` setting the
oldest events are dropped as new ones are recorded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from podsync.errors import UsageError
from podsync.sizes import human_size
from podsync.state import State

if TYPE_CHECKING:
    from podsync.sync import SyncResult

DEFAULT_KEEP = 20000


@dataclass(frozen=True)
class Event:
    """One thing podsync did (``outcome`` ok, failed, skipped or interrupted), and why."""

    action: str
    podcast: str = ""
    episode: str = ""
    device: str | None = None
    outcome: str = "ok"
    detail: str = ""
    at: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": rfc3339(self.at),
            "action": self.action,
            "device": self.device,
            "podcast": self.podcast,
            "episode": self.episode,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def rfc3339(stamp: float) -> str:
    """``stamp`` in local time as RFC 3339, which jq's ``fromdateiso8601`` and others read."""
    return datetime.fromtimestamp(stamp).astimezone().isoformat(timespec="seconds")


def record(state: State, events: Iterable[Event], keep: int = DEFAULT_KEEP) -> None:
    """Append ``events``, dropping the oldest beyond ``keep``, in one transaction."""
    rows = [(e.at, e.action, e.device, e.podcast, e.episode, e.outcome, e.detail) for e in events]
    if not rows:
        return
    state.write(
        "INSERT INTO history (at, action, device, podcast, episode, outcome, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
        then=f"DELETE FROM history WHERE id <= (SELECT MAX(id) FROM history) - {int(keep)}",
    )


_OUTCOMES = {"done": "ok", "cancelled": "interrupted"}


def task_events(result: SyncResult, device: str | None, copy: str = "copy") -> list[Event]:
    """An event per copy (named ``copy``) and delete of a run that started, and how it went."""
    items = {f"copy:{i.key}": (i, "") for i in result.plan.copies}
    items.update({f"delete:{i.key}": (i, why) for i, why in result.plan.deletes})
    found = []
    for task in result.tasks:
        if task.id not in items or task.started is None:
            continue  # a finishing step, or a task an interrupt stopped before it began
        item, why = items[task.id]
        state = task.state.value
        if task.kind == "delete":
            detail = task.error or f"{item.location} ({why})"
        else:
            detail = task.error or human_size(task.bytes)
        found.append(
            Event(
                copy if task.kind == "copy" else "delete",
                item.podcast,
                item.title,
                device,
                _OUTCOMES.get(state, state),
                detail,
                task.ended or task.started,
            )
        )
    return found


def events(state: State, device: str | None = None, since: float | None = None) -> list[Event]:
    """The events, oldest first; only ``device``'s, only from ``since`` on, when given."""
    where, args = ["1"], []
    if device is not None:
        where.append("device = ?")
        args.append(device)
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    rows = state.query(
        "SELECT action, podcast, episode, device, outcome, detail, at FROM history"
        f" WHERE {' AND '.join(where)} ORDER BY at, id",
        args,
    )
    return [Event(*row) for row in rows]


def rename_in_history(state: State, old: str, new: str) -> None:
    """A player renamed: its events carry the new name, so ``--device NEW`` finds them all."""
    state.write("UPDATE history SET device = ? WHERE device = ?", [(new, old)])


_AGO = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: float | None = None) -> float:
    """A ``--since`` value: an ISO date or date and time (local unless it says), or 3d/12h/30m."""
    text = text.strip()
    ago = _AGO.match(text)
    if ago:
        delta = timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
        return (now if now is not None else time.time()) - delta.total_seconds()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected a date like 2026-11-24, '2026-11-24 18:00' or 3d"
        ) from None
    return (when if when.tzinfo else when.astimezone()).timestamp()
