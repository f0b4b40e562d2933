"""Tag the player's copy so players (and Rockbox's scrobbler log) show the episode."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from podsync.model import MediaItem
from podsync.names import episode_date


@dataclass(frozen=True)
class Tagger:
    """Write album = podcast, title, artist = author, date and genre Podcast.

    MP3 (ID3v2.3, which old players read), MP4/M4A and Ogg (Vorbis, Opus) and
    FLAC are tagged; anything mutagen does not recognise is copied untouched.
    Runs on the copy before it gets its final name, never on the cache's original.
    """

    def process(self, item: MediaItem, path: Path) -> None:
        import mutagen
        from mutagen.easyid3 import EasyID3

        try:
            audio = mutagen.File(path, easy=True)
            if audio is None:
                return
            if audio.tags is None:
                audio.add_tags()
            audio["album"] = [item.podcast]
            audio["title"] = [item.title]
            if item.author:
                audio["artist"] = [item.author]
            if item.published > 0:
                audio["date"] = [episode_date(item.published)]
            audio["genre"] = ["Podcast"]
            if isinstance(audio.tags, EasyID3):
                audio.save(v2_version=3)
            else:
                audio.save()
        except mutagen.MutagenError:
            return  # unreadable as audio: copied as it is
