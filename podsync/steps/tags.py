"""Tag the player's copy so players (and Rockbox's scrobbler log) show the episode."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.model import MediaItem
from podsync.names import episode_date
from podsync.player.ownership import FEED_TAG, KEY_TAG, MP4_PREFIX
from podsync.stores.base import Header

if TYPE_CHECKING:
    from mutagen.id3 import ID3

ID3V1_SIZE = 128


@dataclass(frozen=True)
class Tagger:
    """Write album = podcast, title, artist = author (else podcast), date, genre Podcast,
    and podsync's identity (the episode key and the feed's identity).

    MP3 (ID3v2.3, which old players read), MP4/M4A and Ogg (Vorbis, Opus) and
    FLAC are tagged; anything mutagen does not recognise is copied untouched.
    For a plain MP3, :meth:`header` renders the new tag so the copy writes it
    and then the audio in one pass; other files are tagged by :meth:`process`
    on the copy before it gets its final name.  The cache's original is never
    changed.
    """

    def header(self, item: MediaItem, source: Path) -> Header | None:
        """The tag to write in place of ``source``'s own ID3v2 tag, or None to use ``process``.

        Only for an MP3 whose audio starts right after its ID3v2 tag (or at the
        start) and that has no ID3v1 tag at the end, which mutagen would update.
        """
        if item.ext != "mp3":
            return None
        import mutagen
        from mutagen.id3 import ID3

        with open(source, "rb") as handle:
            skip = _id3v2_length(handle.read(10))
            handle.seek(skip)
            if not _mpeg_frame(handle.read(2)):
                return None
            size = handle.seek(0, io.SEEK_END)
            if size >= skip + ID3V1_SIZE:
                handle.seek(size - ID3V1_SIZE)
                if handle.read(3) == b"TAG":
                    return None
            handle.seek(0)
            try:
                tags = ID3(handle, load_v1=False) if skip else ID3()
            except mutagen.MutagenError:
                return None
        self._set(tags, item)
        tags.update_to_v23()
        rendered = io.BytesIO()
        tags.save(rendered, v1=0, v2_version=3)
        return Header(rendered.getvalue(), skip)

    def _set(self, tags: ID3, item: MediaItem) -> None:
        from mutagen.id3 import TALB, TCON, TDRC, TIT2, TPE1, TXXX

        tags.setall("TALB", [TALB(encoding=3, text=[item.podcast])])
        tags.setall("TIT2", [TIT2(encoding=3, text=[item.title])])
        tags.setall("TPE1", [TPE1(encoding=3, text=[artist(item)])])
        if item.published > 0:
            tags.setall("TDRC", [TDRC(encoding=3, text=[episode_date(item.published)])])
        tags.setall("TCON", [TCON(encoding=3, text=["Podcast"])])
        for name, value in identity(item):
            tags.setall(f"TXXX:{name}", [TXXX(encoding=3, desc=name, text=[value])])

    def process(self, item: MediaItem, path: Path) -> None:
        """Tag the file at ``path`` in place (any format mutagen knows)."""
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
            audio["artist"] = [artist(item)]
            if item.published > 0:
                audio["date"] = [episode_date(item.published)]
            audio["genre"] = ["Podcast"]
            if isinstance(audio.tags, EasyID3):
                audio.save(v2_version=3)
            else:
                audio.save()
            self._set_identity(item, path)
        except mutagen.MutagenError:
            return  # unreadable as audio: copied as it is

    def _set_identity(self, item: MediaItem, path: Path) -> None:
        """Write podsync's identity (see :mod:`podsync.player.ownership`) into the tags."""
        import mutagen
        from mutagen.id3 import ID3
        from mutagen.mp4 import MP4FreeForm, MP4Tags

        audio = mutagen.File(path)
        if audio is None or audio.tags is None:
            return
        tags = audio.tags
        if isinstance(tags, ID3):
            self._set(tags, item)
            audio.save(v2_version=3)
            return
        for name, value in identity(item):
            if isinstance(tags, MP4Tags):
                tags[MP4_PREFIX + name] = [MP4FreeForm(value.encode())]
            else:  # Vorbis comments (Ogg Vorbis, Opus, FLAC) and the like
                tags[name] = [value]
        audio.save()


def identity(item: MediaItem) -> list[tuple[str, str]]:
    """The tags that say the file is podsync's copy of ``item`` (name, value)."""
    pairs = [(KEY_TAG, item.key)]
    if item.feed:
        pairs.append((FEED_TAG, item.feed))
    return pairs


def artist(item: MediaItem) -> str:
    """The artist tag: the author, else the podcast (Rockbox logs no track without one)."""
    return item.author or item.podcast


def _id3v2_length(head: bytes) -> int:
    """Bytes taken by the ID3v2 tag that ``head`` (a file's first 10 bytes) starts, or 0."""
    if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _mpeg_frame(head: bytes) -> bool:
    """Whether ``head`` starts an MPEG audio frame (sync bits set, a layer given)."""
    return len(head) == 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0
