"""Switch from gPodder in one command: its subscriptions, downloaded files and played marks.

    source = GpodderHome.locate(None, os.environ)   # $GPODDER_HOME or ~/gPodder
    result = import_gpodder(app, source)

gPodder keeps a SQLite ``Database`` in its home folder (``podcast`` and
``episode`` tables) and its files in ``Downloads/<podcast folder>/<file>``
(``$GPODDER_DOWNLOAD_DIR`` moves them).  The database is opened read-only;
gPodder's files are hard-linked into the cache where the file system allows,
else copied, and never changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from podsync.app import App
from podsync.errors import UsageError
from podsync.feeds.parse import media_extension
from podsync.model import FeedEntry, MediaItem
from podsync.stores.base import Transfer
from podsync.stores.cache import CacheStore

STATE_DOWNLOADED, STATE_DELETED = 1, 2
"""gPodder's episode states (0 is "normal": listed, not downloaded)."""


@dataclass(frozen=True)
class GpodderHome:
    """Where one gPodder user keeps the database and the downloads."""

    home: Path
    downloads: Path

    @property
    def database(self) -> Path:
        return self.home / "Database"

    @classmethod
    def locate(cls, home: Path | None, env: Mapping[str, str]) -> GpodderHome:
        """``home``, else ``$GPODDER_HOME``, else ``~/gPodder``; downloads as gPodder finds them."""
        if home is None:
            home = Path(env.get("GPODDER_HOME") or Path.home() / "gPodder")
        home = home.expanduser().absolute()
        downloads = env.get("GPODDER_DOWNLOAD_DIR")
        found = cls(home, Path(downloads).expanduser() if downloads else home / "Downloads")
        if not found.database.is_file():
            raise UsageError(f"no gPodder database at {found.database}")
        return found


@dataclass
class GpodderImport:
    """What an import took over."""

    added: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    episodes: int = 0
    linked: int = 0
    copied: int = 0
    played: int = 0
    missing: list[str] = field(default_factory=list)
    """Files gPodder lists as downloaded that are not there."""
    outside: list[str] = field(default_factory=list)
    """Files gPodder lists at paths that leave its download folder (not imported)."""
    files: list[tuple[MediaItem, Path]] = field(default_factory=list)
    """Each downloaded episode and gPodder's file of it (to find gPodder's copies on a player)."""


def _played(state: int, is_new: int, last_playback: int) -> bool:
    """gPodder's "played": not new any more, once downloaded or once played."""
    return not is_new and (state in (STATE_DOWNLOADED, STATE_DELETED) or last_playback > 0)


def _inside(downloads: Path, folder: str, filename: str) -> Path | None:
    """gPodder's file ``folder/filename``, or None when that path leaves ``downloads``.

    gPodder's database is read as untrusted: an absolute path, a ``..`` or a
    link that leads out of the download folder is not followed.
    """
    relative = Path(str(folder), str(filename))
    if relative.is_absolute() or ".." in relative.parts or "/" in str(filename):
        return None
    root = downloads.resolve()
    file = (downloads / relative).resolve()
    return file if file.is_relative_to(root) and file != root else None


def import_gpodder(app: App, source: GpodderHome) -> GpodderImport:
    """Subscribe to gPodder's feeds and take over its episodes, files and played marks."""
    result = GpodderImport()
    try:
        db = sqlite3.connect(f"file:{source.database}?mode=ro", uri=True)
        try:
            podcasts = db.execute(
                "SELECT id, url, title, download_folder FROM podcast ORDER BY id"
            ).fetchall()
            episodes = db.execute(
                "SELECT podcast_id, guid, title, url, mime_type, file_size, published, state,"
                " is_new, download_filename, last_playback FROM episode ORDER BY published"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"cannot read the gPodder database {source.database}: {exc}") from None

    cache = CacheStore(app.home.episodes_dir, app.state)
    cached = {e.key for e in app.state.episodes(cached=True)}
    # Played before this import: the cache let them go (or will), so their files stay out.
    finished = app.state.played_keys()
    for gp_id, url, title, folder in podcasts:
        podcast = app.state.podcast_by_url(url)
        if podcast is None:
            podcast = app.state.add_podcast(url, title)
            result.added.append(title or url)
        else:
            result.known.append(podcast.title or url)
        mine = [e for e in episodes if e[0] == gp_id]
        entries = [
            FeedEntry(
                guid=guid,
                title=ep_title or guid,
                author="",
                url=ep_url,
                mime=mime or "",
                size=size or None,
                ext=media_extension(ep_url, mime or ""),
                published=float(published or 0),
            )
            for _, guid, ep_title, ep_url, mime, size, published, *_ in mine
        ]
        result.episodes += app.state.upsert_entries(podcast, entries)
        keys = app.state.keys_by_guid(podcast.id)
        played = []
        for entry, (*_, state, is_new, filename, last_playback) in zip(entries, mine, strict=True):
            key = keys.get(entry.guid)
            if key is None:
                continue  # the same episode under a feed subscribed by another address
            if _played(state, is_new, last_playback):
                played.append(key)
            if state != STATE_DOWNLOADED or not filename or key in finished:
                continue
            file = _inside(source.downloads, folder or "", filename)
            if file is None:
                result.outside.append(f"{folder}/{filename}")
                continue
            if not file.is_file():
                if key not in cached:
                    result.missing.append(str(file))
                continue
            item = MediaItem(
                key,
                podcast.title or title,
                entry.title,
                entry.published,
                entry.url,
                entry.size,
                entry.ext,
            )
            result.files.append((item, file))
            if key in cached:
                continue
            if cache.adopt(item, file, Transfer()):
                result.linked += 1
            else:
                result.copied += 1
            cached.add(key)
        result.played += app.state.mark_played(played)
    return result
