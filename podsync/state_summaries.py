"""Read-only summaries of the state database: counts per podcast and per player, who
holds which episode, and the keys episodes had or have.  :class:`podsync.state.State`
has them; they are here to keep that module to its writes and core queries."""

from __future__ import annotations

from collections.abc import Iterable

from podsync.model import LogPosition, PodcastCounts


class Summaries:
    """Queries for status, list and the cache's clean (a base of ``State``)."""

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        raise NotImplementedError

    def query(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        """Rows of a read-only query, for a module with a table of its own (the history)."""
        return self._rows(sql, args)

    def podcast_summary(self) -> dict[int, PodcastCounts]:
        """Per podcast id: episodes known, cached, played, and the cache's bytes."""
        return {
            r[0]: PodcastCounts(*r[1:])
            for r in self._rows(
                "SELECT podcast_id, COUNT(*), COUNT(cache_path), COUNT(played_at),"
                " COALESCE(SUM(cache_size), 0) FROM episodes GROUP BY podcast_id"
            )
        }

    def device_podcast_counts(self) -> dict[tuple[str, int], int]:
        """Per (device id, podcast id): the episodes on that player at its last sync."""
        return {
            (r[0], r[1]): r[2]
            for r in self._rows(
                "SELECT f.device_id, e.podcast_id, COUNT(*) FROM device_files f"
                " JOIN episodes e ON e.key = f.episode_key GROUP BY f.device_id, e.podcast_id"
            )
        }

    def device_keys(self) -> set[str]:
        """The episodes some player held at its last sync."""
        return {r[0] for r in self._rows("SELECT DISTINCT episode_key FROM device_files")}

    def players_of(self) -> dict[str, list[str]]:
        """Per episode key: the names of the players that held it at their last sync."""
        held: dict[str, list[str]] = {}
        for key, name in self._rows(
            "SELECT f.episode_key, d.name FROM device_files f JOIN devices d ON d.id = f.device_id"
            " ORDER BY d.name"
        ):
            held.setdefault(key, []).append(name)
        return held

    def device_file_counts(self) -> dict[str, int]:
        return {
            r[0]: r[1]
            for r in self._rows("SELECT device_id, COUNT(*) FROM device_files GROUP BY device_id")
        }

    def reopened(self) -> dict[str, float]:
        """Episodes marked not played here, with when (key → time)."""
        where = "played_at IS NULL AND reopened_at IS NOT NULL"
        return dict(self._rows(f"SELECT key, reopened_at FROM episodes WHERE {where}"))

    def episode_keys(self, *, cached: bool = False) -> set[str]:
        """The keys of every episode known (or only of the cached ones)."""
        where = " WHERE cache_path IS NOT NULL" if cached else ""
        return {r[0] for r in self._rows(f"SELECT key FROM episodes{where}")}

    def key_moves(self) -> dict[str, str]:
        """Old episode keys and the keys they became (after moves of their feeds)."""
        return dict(self._rows("SELECT old, new FROM key_moves"))

    def keys_by_guid(self, podcast_id: int) -> dict[str, str]:
        """The podcast's episodes' keys, by guid."""
        return dict(
            self._rows("SELECT guid, key FROM episodes WHERE podcast_id = ?", (podcast_id,))
        )

    def scrobbler_positions(self, device_id: str) -> dict[str, LogPosition]:
        """How far each of the player's scrobbler logs was read (log name → position)."""
        rows = self._rows("SELECT scrobbler_logs FROM devices WHERE id = ?", (device_id,))
        return LogPosition.decode(rows[0][0] if rows else "{}")
