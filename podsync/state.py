"""The state database: podcasts, episodes, devices and what podsync put on them.

SQLite in WAL mode with a versioned schema (``PRAGMA user_version``); each
migration runs in one transaction, and a database written by a newer podsync
is refused untouched.  One connection is shared by the worker threads behind
a lock; every write is its own short transaction, so a crash loses at most
the write in flight and never corrupts the file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from podsync.errors import StateError
from podsync.identity import episode_key, feed_identity
from podsync.model import Episode, FeedEntry, MediaItem, Podcast
from podsync.rekey import follow_guids, follow_move, identity_of, set_identity
from podsync.schema import open_database
from podsync.state_devices import DeviceRecords
from podsync.state_summaries import Summaries
from podsync.text import MAX_AUTHOR, MAX_MESSAGE, clean_text

_PODCAST_COLUMNS = "id, url, title, etag, last_modified, status, error"
_EPISODE_COLUMNS = (
    "e.key, e.podcast_id, p.title, e.guid, e.title, e.author, e.url, e.size, e.ext,"
    " e.published, e.cache_path"
)


class State(Summaries, DeviceRecords):
    """The state database.  Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        try:
            self._db = open_database(path)
        except sqlite3.DatabaseError as exc:
            raise StateError(f"cannot open state database {path}: {exc}") from None

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._reported():
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        with self._lock, self._reported():
            return self._db.execute(sql, tuple(args)).fetchall()

    @contextmanager
    def _reported(self) -> Iterator[None]:
        """Turn a database failure (damaged file, locked too long) into a clear error."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"state database {self.path}: {exc} (if it is damaged, move it away to start "
                "afresh: the cache and the players keep their files)"
            ) from None

    # podcasts

    def add_podcast(self, url: str, title: str) -> Podcast:
        """Subscribe to the feed at ``url`` (known by its URL until it names a guid)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO podcasts (url, title, added_at, identity) VALUES (?, ?, ?, ?)",
                (url, clean_text(title), time.time(), feed_identity(url)),
            )
        podcast = self.podcast_by_url(url)
        assert podcast is not None
        return podcast

    def podcast_by_url(self, url: str) -> Podcast | None:
        return self._podcast("url", url)

    def podcast_by_identity(self, identity: str) -> Podcast | None:
        """The podcast whose feed has this stable identity (see :mod:`podsync.identity`)."""
        return self._podcast("identity", identity)

    def _podcast(self, column: str, value: str) -> Podcast | None:
        rows = self._rows(f"SELECT {_PODCAST_COLUMNS} FROM podcasts WHERE {column} = ?", (value,))
        return Podcast(*rows[0]) if rows else None

    def podcasts(self) -> list[Podcast]:
        """The subscriptions (not the podcasts unsubscribed from)."""
        return [
            Podcast(*r)
            for r in self._rows(
                f"SELECT {_PODCAST_COLUMNS} FROM podcasts"
                " WHERE status != 'unsubscribed' ORDER BY title COLLATE NOCASE, id"
            )
        ]

    def refreshed_at(self) -> dict[int, float | None]:
        """Per podcast id: when it was last refreshed (None: never)."""
        return {r[0]: r[1] for r in self._rows("SELECT id, refreshed_at FROM podcasts")}

    def unsubscribe(self, podcast_id: int) -> None:
        """Stop following a podcast; its episodes stay known so players can drop them."""
        with self._transaction() as db:
            db.execute(
                "UPDATE podcasts SET status = 'unsubscribed', error = NULL, etag = NULL,"
                " last_modified = NULL WHERE id = ?",
                (podcast_id,),
            )

    def resubscribe(self, podcast_id: int) -> None:
        """Follow a podcast unsubscribed from again (the next fetch reads it)."""
        with self._transaction() as db:
            db.execute("UPDATE podcasts SET status = 'ok' WHERE id = ?", (podcast_id,))

    def unsubscribed_keys(self) -> frozenset[str]:
        """The episodes of podcasts unsubscribed from: they leave every player."""
        return frozenset(
            r[0]
            for r in self._rows(
                "SELECT e.key FROM episodes e JOIN podcasts p ON p.id = e.podcast_id"
                " WHERE p.status = 'unsubscribed'"
            )
        )

    def rename_podcast(self, podcast_id: int, title: str) -> None:
        """Give a podcast the title ``title``, which refreshing its feed keeps."""
        with self._transaction() as db:
            db.execute(
                "UPDATE podcasts SET title = ?, renamed = 1 WHERE id = ?", (title, podcast_id)
            )

    def record_refresh(
        self,
        podcast_id: int,
        *,
        title: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
    ) -> None:
        """Remember the outcome of refreshing one feed."""
        with self._transaction() as db:
            if error is not None:
                db.execute(
                    "UPDATE podcasts SET status = 'error', error = ?, refreshed_at = ?"
                    " WHERE id = ?",
                    (clean_text(error, MAX_MESSAGE), time.time(), podcast_id),
                )
                return
            db.execute(
                "UPDATE podcasts SET status = 'ok', error = NULL, refreshed_at = ?,"
                " etag = ?, last_modified = ?,"
                " title = CASE renamed WHEN 1 THEN title ELSE COALESCE(?, title) END WHERE id = ?",
                (time.time(), etag, last_modified, clean_text(title or "") or None, podcast_id),
            )

    def set_image_url(self, podcast_id: int, url: str | None) -> None:
        """Remember the feed's image (its artwork), as the feed gave it."""
        with self._transaction() as db:
            db.execute(
                "UPDATE podcasts SET image_url = ? WHERE id = ? AND image_url IS NOT ?",
                (url, podcast_id, url),
            )

    def image_urls(self) -> dict[str, str]:
        """Podcast title → the feed's image URL, for the podcasts that have one."""
        return dict(self._rows("SELECT title, image_url FROM podcasts WHERE image_url IS NOT NULL"))

    def mark_gone(self, podcast_id: int, reason: str) -> None:
        """The feed was removed for good: keep its episodes, stop refreshing it."""
        with self._transaction() as db:
            db.execute(
                "UPDATE podcasts SET status = 'gone', error = ?, refreshed_at = ? WHERE id = ?",
                (clean_text(reason, MAX_MESSAGE), time.time(), podcast_id),
            )

    def move_podcast(self, podcast_id: int, url: str) -> None:
        """Follow a permanent redirect: the feed lives at ``url`` from now on.

        A feed known by its URL is known by the new one from now on: its
        episodes get the keys every computer subscribed there gives them.
        """
        with self._transaction() as db:
            db.execute("UPDATE podcasts SET url = ? WHERE id = ?", (url, podcast_id))
            follow_move(db, podcast_id, url)

    def set_feed_guid(self, podcast_id: int, url: str, guid: str) -> None:
        """The feed names its ``podcast:guid`` (an empty one changes nothing)."""
        if guid.strip() and self._podcast("identity", feed_identity(url, guid)) is None:
            with self._transaction() as db:
                set_identity(db, podcast_id, feed_identity(url, guid))

    def upsert_entries(self, podcast: Podcast, entries: Iterable[FeedEntry]) -> int:
        """Insert new episodes and refresh known ones; return how many were new.

        Titles and authors are cleaned (:func:`clean_text`) on the way in, whoever read them.
        An entry whose guid changed (broken feeds make a new one at every fetch) is the
        episode it was, found by its enclosure URL without the query (title and date are
        not trusted to tell two episodes apart): it takes the new guid and keeps its key.
        """
        entries = [
            replace(e, title=clean_text(e.title), author=clean_text(e.author, MAX_AUTHOR))
            for e in entries
        ]
        with self._transaction() as db:
            identity = identity_of(db, podcast.id)
            follow_guids(db, podcast.id, entries)
            new = db.executemany(
                "INSERT INTO episodes (key, podcast_id, guid, title, author, url, mime, size,"
                " ext, published) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [
                    (
                        episode_key(identity, e.guid),
                        podcast.id,
                        e.guid,
                        e.title,
                        e.author,
                        e.url,
                        e.mime,
                        e.size,
                        e.ext,
                        e.published,
                    )
                    for e in entries
                ],
            ).rowcount
            # Only rows that differ are written: an unchanged episode moves no generation.
            db.executemany(
                "UPDATE episodes SET (title, author, url, mime, size, published) ="
                " (?1, ?2, ?3, ?4, ?5, ?6) WHERE podcast_id = ?7 AND guid = ?8"
                " AND (title, author, url, mime, size, published) IS NOT (?1, ?2, ?3, ?4, ?5, ?6)",
                [
                    (e.title, e.author, e.url, e.mime, e.size, e.published, podcast.id, e.guid)
                    for e in entries
                ],
            )
        return new

    # episodes

    def episodes(self, *, cached: bool | None = None, offered: bool = False) -> list[Episode]:
        """Episodes, all or only those (not) ``cached``; ``offered``: not of gone feeds."""
        where = {
            None: "1",
            True: "e.cache_path IS NOT NULL",
            False: "e.cache_path IS NULL",
        }[cached]
        if offered:
            where += " AND p.status NOT IN ('gone', 'unsubscribed')"
        return [
            Episode(*r)
            for r in self._rows(
                f"SELECT {_EPISODE_COLUMNS} FROM episodes e JOIN podcasts p ON p.id = e.podcast_id"
                f" WHERE {where}"
            )
        ]

    def cached_items(self) -> list[MediaItem]:
        """Every cached episode, as the cache store lists it (size None where not recorded)."""
        return [
            MediaItem(*r)
            for r in self._rows(
                "SELECT e.key, p.title, e.title, e.published, e.cache_path, e.cache_size, e.ext,"
                " e.author, p.identity FROM episodes e JOIN podcasts p ON p.id = e.podcast_id"
                " WHERE e.cache_path IS NOT NULL"
            )
        ]

    def forget_cached(self, keys: Iterable[str]) -> None:
        """Record, in one transaction, that these episodes are no longer in the cache."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE episodes SET cache_path = NULL, cache_size = NULL, cached_at = NULL"
                " WHERE key = ?",
                [(k,) for k in keys],
            )

    def cache_paths(self) -> set[str]:
        return {
            r[0] for r in self._rows("SELECT cache_path FROM episodes WHERE cache_path IS NOT NULL")
        }

    def set_cached(self, key: str, path: str | None, size: int | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE episodes SET cache_path = ?, cache_size = ?, cached_at = ? WHERE key = ?",
                (path, size, time.time() if path else None, key),
            )

    def mark_played(self, keys: Iterable[str], when: float | None = None) -> int:
        """Mark episodes as listened to; return how many were not already."""
        stamp = time.time() if when is None else when
        with self._transaction() as db:
            return db.executemany(
                "UPDATE episodes SET played_at = ? WHERE key = ? AND played_at IS NULL",
                [(stamp, key) for key in keys],
            ).rowcount

    def mark_unplayed(self, keys: Iterable[str], when: float | None = None) -> None:
        """Mark episodes as not listened to (at ``when``), for the players to hear of it."""
        stamp = time.time() if when is None else when
        with self._transaction() as db:
            db.executemany(
                "UPDATE episodes SET played_at = NULL, reopened_at = ? WHERE key = ?",
                [(stamp, k) for k in keys],
            )

    def reopen(self, marks: Mapping[str, float]) -> None:
        """Take marks "not played" (key → when) from elsewhere; a later "played" wins."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE episodes SET played_at = NULL, reopened_at = ?1 WHERE key = ?2"
                " AND (played_at IS NULL OR played_at < ?1)"
                " AND (reopened_at IS NULL OR reopened_at < ?1)",
                list((when, key) for key, when in marks.items()),
            )

    def played_keys(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT key FROM episodes WHERE played_at IS NOT NULL")}

    def integrity_check(self) -> str:
        return self._rows("PRAGMA integrity_check")[0][0]

    def write(self, sql: str, rows: Iterable[Iterable[object]], then: str = "") -> None:
        """Run ``sql`` for each of ``rows``, then ``then``, in one transaction (the history)."""
        with self._transaction() as db:
            db.executemany(sql, [tuple(r) for r in rows])
            if then:
                db.execute(then)
