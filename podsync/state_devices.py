"""The players' rows in the state database: registration, identity and each push's record.

:class:`podsync.state.State` has these queries; they are here to keep that module to
podcasts and episodes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager

from podsync.model import Device, Identity, LogPosition

_DEVICE_COLUMNS = (
    "id, name, path, folder, last_sync_at, last_result, fs_uuid, fs_label, serial, profile"
)


def _device(row: tuple) -> Device:
    return Device(*row[:6], identity=Identity(*row[6:9]), profile=row[9])


class DeviceRecords:
    """The registered players and what each held at its last push (a base of ``State``)."""

    def _rows(self, sql: str, args: Iterable[object] = ()) -> list[tuple]:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def add_device(
        self, device_id: str, name: str, path: str, folder: str, profile: str | None = None
    ) -> Device:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO devices (id, name, path, folder, added_at, profile)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (device_id, name, path, folder, time.time(), profile),
            )
        device = self.device(name)
        assert device is not None
        return device

    def device(self, name: str) -> Device | None:
        rows = self._rows(f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE name = ?", (name,))
        return _device(rows[0]) if rows else None

    def devices(self) -> list[Device]:
        return [
            _device(r) for r in self._rows(f"SELECT {_DEVICE_COLUMNS} FROM devices ORDER BY name")
        ]

    def record_sync(
        self,
        device_id: str,
        path: str,
        result: str,
        files: Iterable[tuple[str, str, int]] | None,
    ) -> None:
        """Remember a finished push: where the device was, how it went, what it holds.

        Only the rows that differ from the last push are written, so a push
        that changed nothing costs one read and one small update; ``files``
        None leaves them as they are.
        """
        with self._transaction() as db:
            db.execute(
                "UPDATE devices SET path = ?, last_sync_at = ?, last_result = ? WHERE id = ?",
                (path, time.time(), result, device_id),
            )
            if files is None:
                return
            wanted = set(files)
            held = set(
                db.execute(
                    "SELECT path, episode_key, size FROM device_files WHERE device_id = ?",
                    (device_id,),
                )
            )
            db.executemany(
                "DELETE FROM device_files WHERE device_id = ? AND path = ?",
                [(device_id, f[0]) for f in held - wanted],
            )
            db.executemany(
                "INSERT INTO device_files (device_id, path, episode_key, size) VALUES (?, ?, ?, ?)",
                [(device_id, *f) for f in wanted - held],
            )

    def set_scrobbler_positions(self, device_id: str, positions: dict[str, LogPosition]) -> None:
        data = LogPosition.encode(positions)
        with self._transaction() as db:
            db.execute("UPDATE devices SET scrobbler_logs = ? WHERE id = ?", (data, device_id))

    def set_identity(self, device_id: str, identity: Identity) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE devices SET fs_uuid = ?, fs_label = ?, serial = ? WHERE id = ?",
                (identity.fs_uuid, identity.fs_label, identity.serial, device_id),
            )

    def remove_device(self, device_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM devices WHERE id = ?", (device_id,))

    def rename_device(self, device_id: str, name: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE devices SET name = ? WHERE id = ?", (name, device_id))
