"""Conversion for players: what a player plays, and turning an episode into that with ffmpeg.

:class:`PlayerFormats` reads a player's ``[player]`` settings and says what
each episode needs (a :class:`Conversion`, or nothing).  :class:`Convert` is
the pre-processing step that does it: it runs on the TaskManager's convert
pool before the episode's copy is queued, and writes the converted file into
the cache (``converted/<settings hash>/<key>.<ext>``) in one atomic step, so
a killed run leaves no partial file under a name anyone reads.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.model import MediaItem
from podsync.steps.ffmpeg import measure_loudness, run
from podsync.stores.base import Transfer

if TYPE_CHECKING:
    from podsync.config import Config

ENCODERS: dict[str, tuple[str, str]] = {
    "mp3": ("libmp3lame", "mp3"),
    "m4a": ("aac", "ipod"),
    "ogg": ("libvorbis", "ogg"),
    "opus": ("libopus", "opus"),
    "flac": ("flac", "flac"),
}
"""A format a player may play (the file extension) → ffmpeg's encoder and container."""
_ALIASES = {"m4a": {"m4a", "m4b", "mp4", "aac"}, "ogg": {"ogg", "oga"}}
"""Extensions a format also covers (a player that plays M4A plays AAC in MP4)."""
_MAX_TEMPO = 2.0
"""The largest factor one ``atempo`` filter is sure to take; larger ones are chained."""


@dataclass(frozen=True)
class Conversion:
    """What to make of an episode: its format, bitrate, channels, speed and loudness."""

    ext: str
    bitrate: str = "128k"
    mono: bool = False
    speed: float = 1.0
    normalize: bool = False

    @property
    def digest(self) -> str:
        """Names the settings, so a conversion is reused by every player that wants the same."""
        text = f"{self.ext}|{self.bitrate}|{self.mono}|{self.speed:g}|{self.normalize}"
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    def describe(self, source_ext: str) -> str:
        """For the plan: ``opus → mp3 64k, mono, 1.5×, -16 LUFS``."""
        parts = [f"{source_ext} → {self.ext}" + ("" if self.ext == "flac" else f" {self.bitrate}")]
        if self.mono:
            parts.append("mono")
        if self.speed != 1:
            parts.append(f"{self.speed:g}× speed")
        if self.normalize:
            parts.append("loudness -16 LUFS")
        return ", ".join(parts)

    def filters(self) -> list[str]:
        """The speed change as ``atempo`` filters (pitch kept), each within its range."""
        chain, left = [], self.speed
        while left > _MAX_TEMPO:
            chain.append(f"atempo={_MAX_TEMPO:g}")
            left /= _MAX_TEMPO
        if left != 1:
            chain.append(f"atempo={left:.6g}")
        return chain

    def estimate(self, seconds: float | None, source_size: int) -> int:
        """The converted file's size in bytes, from the bitrate and the new duration."""
        if seconds is None or self.ext == "flac":
            return source_size
        rate = int(self.bitrate.rstrip("k")) * 1000 // 8
        return int(rate * seconds / self.speed * 1.02) + 4096

    def arguments(self, source: Path, dest: str, loudnorm: str | None) -> list[str]:
        """ffmpeg's arguments to write ``source`` converted into ``dest``."""
        encoder, container = ENCODERS[self.ext]
        chain = self.filters() + ([loudnorm] if loudnorm else [])
        args = ["-i", str(source), "-map", "0:a:0", "-map_chapters", "-1"]
        if self.mono:
            args += ["-ac", "1"]
        if chain:
            args += ["-af", ",".join(chain)]
        if loudnorm:  # loudnorm works at 192 kHz; come back to a rate every player takes
            args += ["-ar", "48000" if self.ext == "opus" else "44100"]
        args += ["-c:a", encoder]
        if self.ext != "flac":
            args += ["-b:a", self.bitrate]
        if self.ext == "mp3":
            args += ["-id3v2_version", "3", "-write_xing", "1"]
        return [*args, "-f", container, dest]


@dataclass(frozen=True)
class PlayerFormats:
    """A player's ``[player]`` settings: what it plays and what is done to every file."""

    formats: tuple[str, ...] = ()
    bitrate: str = "128k"
    mono: bool = False
    speed: float = 1.0
    normalize: bool = False

    @classmethod
    def from_config(cls, cfg: Config) -> PlayerFormats:
        return cls(
            tuple(cfg.get("player", "formats")),
            cfg.get("player", "bitrate"),
            cfg.get("player", "mono"),
            cfg.get("player", "speed"),
            cfg.get("player", "normalize"),
        )

    def plays(self, ext: str) -> bool:
        ext = ext.lower()
        return not self.formats or any(ext in _ALIASES.get(f, {f}) for f in self.formats)

    @property
    def processing(self) -> bool:
        """Whether every file is changed (speed, loudness, channels), whatever its format."""
        return self.mono or self.speed != 1 or self.normalize

    def conversion(self, item: MediaItem) -> Conversion | None:
        """What ``item`` needs before it goes to this player, or None to copy it as it is."""
        if self.plays(item.ext) and not self.processing:
            return None
        ext = item.ext.lower() if self.plays(item.ext) else self.formats[0]
        if ext not in ENCODERS:  # a format ffmpeg is not asked to write (m4b, mp4, oga)
            ext = next((f for f in self.formats if f in ENCODERS), "mp3")
        return Conversion(ext, self.bitrate, self.mono, self.speed, self.normalize)


@dataclass(frozen=True)
class Job:
    """One pending conversion: the cached source, what to make, and where it goes."""

    source: Path
    conversion: Conversion
    dest: Path
    source_ext: str
    seconds: float | None = None
    """The source's length, when it was read (for the conversion's progress)."""


@dataclass(frozen=True)
class Convert:
    """The pre-processing step that converts episodes (on the TaskManager's convert pool).

    ``jobs`` (episode key → :class:`Job`) is filled when the source is listed,
    before planning; an episode without a job is copied as it is.
    """

    ffmpeg: str
    jobs: Mapping[str, Job]

    def pending(self, item: MediaItem) -> str | None:
        job = self.jobs.get(item.key)
        if job is None or job.dest.exists():
            return None
        return job.conversion.describe(job.source_ext)

    def work(self, item: MediaItem, transfer: Transfer) -> None:
        """Convert ``item``; its progress is counted in its planned size (``item.size``)."""
        job = self.jobs[item.key]
        if not job.dest.exists():
            meter = Meter(transfer, item.size or 0, job.seconds, job.conversion.speed)
            convert_file(self.ffmpeg, job.conversion, job.source, job.dest, transfer, meter)


class Meter:
    """A conversion's progress: ffmpeg's reports of how far its output has got, against
    the known length, become ``amount`` units advanced on the task's transfer.

    Without a known length nothing moves until :meth:`finish`.
    """

    def __init__(
        self, transfer: Transfer, amount: int, seconds: float | None, speed: float = 1.0
    ) -> None:
        self.transfer, self.amount = transfer, amount
        self.length = seconds / speed if seconds else None
        """The output's length in seconds (what ffmpeg's ``out_time`` counts up to)."""
        self.reported = 0

    def stage(self, start: float, end: float) -> Callable[[float], None] | None:
        """The listener for a pass of ffmpeg that takes the work from ``start`` to ``end``
        (fractions of the whole); None when the length is not known."""
        length = self.length
        if length is None:
            return None

        def on_time(seconds: float) -> None:
            self._reach(int(self.amount * (start + (end - start) * min(seconds / length, 1.0))))

        return on_time

    def finish(self) -> None:
        """The conversion is done: the whole amount."""
        self._reach(self.amount)

    def _reach(self, done: int) -> None:
        if done > self.reported:
            step, self.reported = done - self.reported, done
            self.transfer.advance(step)


_MEASURING = 1 / 3
"""The share of a normalized conversion's work taken by its loudness-measuring pass."""


def convert_file(
    ffmpeg: str,
    conversion: Conversion,
    source: Path,
    dest: Path,
    transfer: Transfer,
    meter: Meter | None = None,
) -> None:
    """Convert ``source`` into ``dest``, which appears complete or not at all.

    ffmpeg writes into an unnamed file (``O_TMPFILE``), linked under ``dest``
    once synced: a run killed halfway leaves nothing behind.  Where the file
    system has no unnamed files, a hidden ``.part`` file is renamed instead.
    ``meter`` hears the progress as ffmpeg reports it.
    """
    meter = meter or Meter(transfer, 0, None)
    dest.parent.mkdir(parents=True, exist_ok=True)
    loudnorm, start = None, 0.0
    if conversion.normalize:
        on_time = meter.stage(0.0, _MEASURING)
        loudnorm = measure_loudness(ffmpeg, source, conversion.filters(), transfer, on_time)
        start = _MEASURING
    on_time = meter.stage(start, 1.0)
    try:
        fd = os.open(dest.parent, os.O_TMPFILE | os.O_RDWR, 0o644)
    except OSError as exc:
        if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            raise
        _convert_via_part(ffmpeg, conversion, source, dest, loudnorm, transfer, on_time)
        meter.finish()
        return
    try:
        args = conversion.arguments(source, f"/proc/self/fd/{fd}", loudnorm)
        run(ffmpeg, args, transfer, (fd,), on_time)
        os.fsync(fd)
        transfer.check()
        folder = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            with contextlib.suppress(FileExistsError):  # another push made the same one
                # With a directory fd Python calls linkat(AT_SYMLINK_FOLLOW), which names
                # the unnamed file (plain link() would try to link the /proc entry).
                os.link(f"/proc/self/fd/{fd}", dest.name, dst_dir_fd=folder)
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        os.close(fd)
    meter.finish()


def _convert_via_part(
    ffmpeg: str,
    conversion: Conversion,
    source: Path,
    dest: Path,
    loudnorm: str | None,
    transfer: Transfer,
    on_time: Callable[[float], None] | None,
) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    try:
        run(ffmpeg, conversion.arguments(source, str(tmp), loudnorm), transfer, on_time=on_time)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        transfer.check()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def duration(path: Path) -> float | None:
    """The length of the audio in ``path``, in seconds, or None when mutagen cannot tell."""
    import mutagen

    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError):
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if length else None
