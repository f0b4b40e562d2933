"""Cover art on the player: the podcast's image in each file and as ``cover.jpg`` in its folder.

The image is read from the feed at fetch time and kept in the cache as a
JPEG of at most :data:`COVER_SIZE` pixels a side (small screens show no
more, and every copy carries it).  :class:`Artwork` embeds it in each copy
(a post step); :class:`Covers` writes ``cover.jpg`` beside the episodes once
per push (a finishing step) and removes the covers of folders it emptied.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from podsync.model import MediaItem
from podsync.player.guard import UnsafePath
from podsync.player.manifest import Manifest
from podsync.steps.ffmpeg import run
from podsync.stores.base import MediaStore, Transfer

COVER = "cover.jpg"
COVER_SIZE = 300
"""Pixels a side, at most, of the cover podsync puts on players."""
_JPEG = b"\xff\xd8\xff"
_COVER_NAME = re.compile(r"[0-9a-f]{16}\.jpg")


def cover_file(artwork_dir: Path, url: str) -> Path:
    """Where the cache keeps the cover made from the image at ``url``."""
    return artwork_dir / f"{hashlib.sha1(url.encode()).hexdigest()[:16]}.jpg"


def unused_covers(artwork_dir: Path, urls: Iterable[str]) -> list[Path]:
    """The covers in ``artwork_dir`` made from none of ``urls`` (the podcasts' images).

    Only files named as :func:`cover_file` names them are listed, regular files
    (not links); a cover being made (a hidden folder) is not.
    """
    wanted = {cover_file(artwork_dir, url).name for url in urls}
    try:
        with os.scandir(artwork_dir) as entries:
            found = [e for e in entries if _COVER_NAME.fullmatch(e.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(
        Path(e.path) for e in found if e.name not in wanted and e.is_file(follow_symlinks=False)
    )


def make_cover(ffmpeg: str | None, image: bytes, dest: Path) -> None:
    """Write ``image`` (any format ffmpeg reads) to ``dest`` as a small JPEG, atomically.

    Without ffmpeg a JPEG is kept as it is and any other image refused.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".cover-") as work:
        scaled = Path(work) / COVER
        if ffmpeg is None:
            if not image.startswith(_JPEG):
                raise ValueError("the image is not a JPEG, and resizing it needs ffmpeg")
            scaled.write_bytes(image)
        else:
            original = Path(work) / "image"
            original.write_bytes(image)
            size = f"min({COVER_SIZE}\\,iw):min({COVER_SIZE}\\,ih)"
            args = ["-i", str(original), "-frames:v", "1", "-vf"]
            args += [f"scale={size}:force_original_aspect_ratio=decrease"]
            args += ["-pix_fmt", "yuvj420p", "-q:v", "3", "-f", "image2", "-c:v", "mjpeg"]
            run(ffmpeg, [*args, str(scaled)], Transfer())
        os.replace(scaled, dest)


@dataclass(frozen=True)
class Artwork:
    """Embed the podcast's cover in each copy (MP3, M4A, Ogg, Opus, FLAC)."""

    covers: Mapping[str, Path]
    """Podcast title → its cover in the cache."""

    def process(self, item: MediaItem, path: Path) -> None:
        cover = self.covers.get(item.podcast)
        if cover is None:
            return
        try:
            data = cover.read_bytes()
        except FileNotFoundError:
            return
        embed(path, data)


def embed(path: Path, jpeg: bytes) -> None:
    """Put ``jpeg`` into the tags of the audio file at ``path`` as its front cover."""
    import mutagen
    from mutagen.flac import FLAC, Picture
    from mutagen.id3 import APIC, ID3
    from mutagen.mp4 import MP4, MP4Cover

    audio = mutagen.File(path)
    if audio is None:
        return
    if audio.tags is None:
        audio.add_tags()
    if isinstance(audio.tags, ID3):
        apic = APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=jpeg)
        audio.tags.setall("APIC", [apic])
        audio.save(v2_version=3)
        return
    if isinstance(audio, MP4):
        audio.tags["covr"] = [MP4Cover(jpeg, imageformat=MP4Cover.FORMAT_JPEG)]
        audio.save()
        return
    picture = Picture()
    picture.type, picture.mime, picture.desc, picture.data = 3, "image/jpeg", "Cover", jpeg
    if isinstance(audio, FLAC):
        audio.clear_pictures()
        audio.add_picture(picture)
    else:  # Vorbis comments (Ogg Vorbis, Opus)
        audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


@dataclass
class Covers:
    """Write ``cover.jpg`` in each folder that holds a podcast's episodes.

    Only covers podsync wrote are replaced or removed; a user's own
    ``cover.jpg`` is left alone (and reported in :attr:`skipped`).
    """

    root: Path
    folder: str
    manifest: Manifest
    covers: Mapping[str, Path]
    skipped: list[str] = field(default_factory=list)

    def finish(self, target: MediaStore) -> None:
        self.skipped.clear()
        player = self.manifest.player
        wanted: dict[str, Path] = {}
        for item in target.list():
            cover = self.covers.get(item.podcast)
            folder = posixpath.dirname(item.location)
            if cover is not None and cover.exists() and folder:
                wanted.setdefault(f"{folder}/{COVER}", cover)
        for relpath in sorted(p for p in self.manifest.others if posixpath.basename(p) == COVER):
            if relpath not in wanted:
                with contextlib.suppress(UnsafePath):
                    player.remove(relpath)  # a link or anything not a file is left alone
                self.manifest.forget(relpath)
                folder = posixpath.dirname(relpath)
                if folder and folder != self.folder:  # never the player's root or its folder
                    player.remove_folder(folder)  # once empty
        for relpath, cover in sorted(wanted.items()):
            if not self.manifest.write_own(relpath, cover.read_bytes()):
                self.skipped.append(relpath)  # the user's file of that name, or a link
