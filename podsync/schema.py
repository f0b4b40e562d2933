"""The state database's schema: one migration per version, applied in order.

A migration is appended, never edited: databases in the field are at every
version.  ``PRAGMA user_version`` holds how many have run.  Each runs in one
transaction with its version bump; a database written by a newer podsync is
refused through a read-only connection, untouched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from podsync.errors import StateError
from podsync.identity import episode_key, feed_identity
from podsync.text import clean_text

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE podcasts (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        etag TEXT,
        last_modified TEXT,
        status TEXT NOT NULL DEFAULT 'ok',
        error TEXT,
        added_at REAL NOT NULL,
        refreshed_at REAL
    );
    CREATE TABLE episodes (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        podcast_id INTEGER NOT NULL REFERENCES podcasts(id) ON DELETE CASCADE,
        guid TEXT NOT NULL,
        title TEXT NOT NULL,
        author TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL,
        mime TEXT NOT NULL DEFAULT '',
        size INTEGER,
        ext TEXT NOT NULL DEFAULT 'mp3',
        published REAL NOT NULL DEFAULT 0,
        cache_path TEXT,
        cache_size INTEGER,
        cached_at REAL,
        UNIQUE (podcast_id, guid)
    );
    CREATE INDEX episodes_cached ON episodes (cache_path) WHERE cache_path IS NOT NULL;
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        path TEXT NOT NULL,
        folder TEXT NOT NULL,
        added_at REAL NOT NULL,
        last_sync_at REAL,
        last_result TEXT
    );
    CREATE TABLE device_files (
        device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        episode_key TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (device_id, path)
    );
    """,
    """
    ALTER TABLE episodes ADD COLUMN played_at REAL;
    ALTER TABLE devices ADD COLUMN fs_uuid TEXT;
    ALTER TABLE devices ADD COLUMN fs_label TEXT;
    ALTER TABLE devices ADD COLUMN serial TEXT;
    ALTER TABLE devices ADD COLUMN scrobbler_offset INTEGER NOT NULL DEFAULT 0;
    """,
    # Version 3 added a change counter for a "quick check" of pushes; version 4
    # removed it again (a planned push is fast enough, and always right).
    """
    CREATE TABLE generation (n INTEGER NOT NULL);
    INSERT INTO generation VALUES (0);
    CREATE TRIGGER podcasts_added AFTER INSERT ON podcasts
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER podcasts_changed AFTER UPDATE OF url, title, status ON podcasts
        WHEN OLD.url IS NOT NEW.url OR OLD.title IS NOT NEW.title
            OR OLD.status IS NOT NEW.status
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER podcasts_removed AFTER DELETE ON podcasts
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER episodes_added AFTER INSERT ON episodes
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER episodes_changed AFTER UPDATE ON episodes
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER episodes_removed AFTER DELETE ON episodes
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER devices_added AFTER INSERT ON devices
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER devices_changed AFTER UPDATE ON devices
        WHEN OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path
            OR OLD.folder IS NOT NEW.folder OR OLD.scrobbler_offset IS NOT NEW.scrobbler_offset
        BEGIN UPDATE generation SET n = n + 1; END;
    CREATE TRIGGER devices_removed AFTER DELETE ON devices
        BEGIN UPDATE generation SET n = n + 1; END;
    ALTER TABLE devices ADD COLUMN quick_check TEXT;
    """,
    """
    DROP TRIGGER podcasts_added;
    DROP TRIGGER podcasts_changed;
    DROP TRIGGER podcasts_removed;
    DROP TRIGGER episodes_added;
    DROP TRIGGER episodes_changed;
    DROP TRIGGER episodes_removed;
    DROP TRIGGER devices_added;
    DROP TRIGGER devices_changed;
    DROP TRIGGER devices_removed;
    DROP TABLE generation;
    ALTER TABLE devices DROP COLUMN quick_check;
    """,
    # Version 5: titles, authors and errors read before podsync cleaned them
    # (podsync.text.clean_text: no control characters, bounded length).
    """
    UPDATE podcasts SET title = clean_text(title, 500), error = clean_text(error, 1000)
        WHERE title IS NOT clean_text(title, 500) OR error IS NOT clean_text(error, 1000);
    UPDATE episodes SET title = clean_text(title, 500), author = clean_text(author, 200)
        WHERE title IS NOT clean_text(title, 500) OR author IS NOT clean_text(author, 200);
    """,
    # Version 6: a player's profile (podsync device add --profile) and a feed's image.
    """
    ALTER TABLE devices ADD COLUMN profile TEXT;
    ALTER TABLE podcasts ADD COLUMN image_url TEXT;
    """,
    # Version 7: a title the user chose (podsync rename) that refreshing the feed keeps.
    """
    ALTER TABLE podcasts ADD COLUMN renamed INTEGER NOT NULL DEFAULT 0;
    """,
    # The history `podsync log` shows: what was done, to what, where and why.
    """
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        action TEXT NOT NULL,
        device TEXT,
        podcast TEXT NOT NULL DEFAULT '',
        episode TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT 'ok',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX history_at ON history (at);
    """,
    # Version 9: where each scrobbler log was read, with a fingerprint of its start
    # (JSON: log name -> [offset, sha1 of its first bytes]); the old offset was
    # .scrobbler.log's, with no fingerprint.  And when an episode was last marked
    # not played, so the players it was finished on can be told.
    """
    ALTER TABLE devices ADD COLUMN scrobbler_logs TEXT NOT NULL DEFAULT '{}';
    UPDATE devices
        SET scrobbler_logs = json_object('.scrobbler.log', json_array(scrobbler_offset, ''));
    ALTER TABLE devices DROP COLUMN scrobbler_offset;
    ALTER TABLE episodes ADD COLUMN reopened_at REAL;
    """,
    # Version 10: stable identities.  A feed is known by its podcast:guid, else its
    # URL normalised; an episode's key hashes that and its guid, so two computers
    # that reach one feed by different URLs agree.  Old keys are kept in key_moves,
    # to re-key the manifests on the players.  (The functions: open_database.)
    """
    ALTER TABLE podcasts ADD COLUMN identity TEXT NOT NULL DEFAULT '';
    UPDATE podcasts SET identity = podsync_feed_identity(url);
    CREATE TABLE key_moves (old TEXT PRIMARY KEY, new TEXT NOT NULL);
    INSERT OR IGNORE INTO key_moves (old, new)
        SELECT e.key, podsync_episode_key(p.identity, e.guid)
        FROM episodes e JOIN podcasts p ON p.id = e.podcast_id;
    DELETE FROM key_moves WHERE old = new;
    UPDATE OR IGNORE episodes SET key = (SELECT new FROM key_moves WHERE old = episodes.key)
        WHERE key IN (SELECT old FROM key_moves);
    UPDATE device_files
        SET episode_key = (SELECT new FROM key_moves WHERE old = device_files.episode_key)
        WHERE episode_key IN (SELECT old FROM key_moves);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def open_database(path: Path) -> sqlite3.Connection:
    """Open the database at ``path`` (autocommit, shared by threads), migrated to this version."""
    refuse_newer(path)
    db = connect(path)
    migrate(db)
    return db


def connect(path: Path) -> sqlite3.Connection:
    """A connection to ``path`` with the SQL functions the migrations call: podsync's own
    rules for cleaning text and for feed and episode identities."""
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    db.create_function("clean_text", 2, clean_text, deterministic=True)
    db.create_function("podsync_feed_identity", 1, feed_identity, deterministic=True)
    db.create_function("podsync_episode_key", 2, episode_key, deterministic=True)
    return db


def refuse_newer(path: Path) -> None:
    """Check the schema version through a read-only connection, so a refusal writes nothing."""
    if not path.exists():
        return
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version = probe.execute("PRAGMA user_version").fetchone()[0]
    finally:
        probe.close()
    if version > SCHEMA_VERSION:
        raise StateError(
            f"state database {path} was written by a newer podsync "
            f"(schema {version}; this version knows {SCHEMA_VERSION}); it was not changed"
        )


def migrate(db: sqlite3.Connection, up_to: int | None = None) -> None:
    """Apply the missing migrations, each in its own transaction, up to schema ``up_to``
    (default: this version's)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    for number in range(version, SCHEMA_VERSION if up_to is None else up_to):
        try:
            db.executescript(
                f"BEGIN IMMEDIATE; {MIGRATIONS[number]};"
                f" PRAGMA user_version = {number + 1}; COMMIT;"
            )
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
