"""Folder changes through watchdog (inotify on Linux): new players in the automount
folders, new episodes in the cache.

watchdog is imported here only, when ``podsync watch`` starts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Callback = Callable[[str, Path], None]
"""Called from watchdog's thread with the kind of change and the path it concerns."""


class FolderWatch:
    """Watches folders and reports created, moved-in and deleted entries."""

    def __init__(self) -> None:
        from watchdog.observers import Observer

        self._observer: Any = Observer()

    def add(self, folder: Path, callback: Callback, *, recursive: bool = False) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("created", "deleted"):
                    callback(event.event_type, Path(str(event.src_path)))
                elif event.event_type == "moved":
                    callback("deleted", Path(str(event.src_path)))
                    callback("created", Path(str(event.dest_path)))

        self._observer.schedule(Handler(), str(folder), recursive=recursive)

    def start(self) -> None:
        self._observer.start()

    def stop(self) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join()
