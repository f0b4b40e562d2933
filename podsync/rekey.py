"""Re-keying episodes: when a feed's identity changes, and when a feed changes guids.

Both run inside a transaction of :class:`podsync.state.State`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from podsync.identity import episode_key, feed_identity, without_query
from podsync.model import FeedEntry


def identity_of(db: sqlite3.Connection, podcast_id: int) -> str:
    """The podcast's feed identity."""
    return db.execute("SELECT identity FROM podcasts WHERE id = ?", (podcast_id,)).fetchone()[0]


def follow_move(db: sqlite3.Connection, podcast_id: int, url: str) -> None:
    """The feed moved to ``url`` for good: one known by its URL is known by the new one."""
    if identity_of(db, podcast_id).startswith("url:"):
        set_identity(db, podcast_id, feed_identity(url))


def set_identity(db: sqlite3.Connection, podcast_id: int, identity: str) -> None:
    """Give the podcast ``identity`` and re-key its episodes, recording each move."""
    db.execute("UPDATE podcasts SET identity = ? WHERE id = ?", (identity, podcast_id))
    moves = [
        (key, new)
        for key, guid in db.execute(
            "SELECT key, guid FROM episodes WHERE podcast_id = ?", (podcast_id,)
        )
        if (new := episode_key(identity, guid)) != key
    ]
    db.executemany("INSERT OR REPLACE INTO key_moves (old, new) VALUES (?, ?)", moves)
    db.executemany("UPDATE OR IGNORE episodes SET key = ?2 WHERE key = ?1", moves)
    db.executemany("UPDATE device_files SET episode_key = ?2 WHERE episode_key = ?1", moves)


def follow_guids(db: sqlite3.Connection, podcast_id: int, entries: list[FeedEntry]) -> None:
    """Give known episodes whose guid changed their new guid (their enclosure URL without the query
    is the same)."""
    guids = {e.guid for e in entries}
    rows = db.execute(
        "SELECT guid, url FROM episodes WHERE podcast_id = ?", (podcast_id,)
    ).fetchall()
    known = {r[0] for r in rows}
    orphans = [r for r in rows if r[0] not in guids]
    if not orphans or guids <= known:
        return
    by_url = _unique((without_query(r[1]), r[0]) for r in orphans)
    for e in entries:
        old = None if e.guid in known else by_url.pop(without_query(e.url), None)
        if old is not None:
            db.execute(
                "UPDATE episodes SET guid = ? WHERE podcast_id = ? AND guid = ?",
                (e.guid, podcast_id, old),
            )


def _unique(pairs: Iterable[tuple[object, str]]) -> dict:
    """The pairs as a dict, without the keys that occur more than once."""
    seen: dict = {}
    twice = set()
    for key, value in pairs:
        if key in seen:
            twice.add(key)
        seen[key] = value
    return {k: v for k, v in seen.items() if k not in twice}
