"""Running ffmpeg: argument lists only (never a shell), cancellable, with one-line errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from podsync.errors import Cancelled, PodsyncError
from podsync.stores.base import Transfer

LOUDNESS_TARGET = -16.0
"""Integrated loudness, in LUFS, that ``normalize`` aims at (a common speech target)."""
_LOUDNORM = f"loudnorm=I={LOUDNESS_TARGET:g}:TP=-1.5:LRA=11"
_TAIL = 600
"""Characters of ffmpeg's error output kept for the message."""


class FfmpegError(PodsyncError):
    """ffmpeg failed on one file (the message is its last line of complaint)."""


def find_ffmpeg() -> str | None:
    """The ffmpeg program's path, or None when it is not installed."""
    return shutil.which("ffmpeg")


def run(
    ffmpeg: str,
    args: Sequence[str],
    transfer: Transfer,
    pass_fds: Sequence[int] = (),
    on_time: Callable[[float], None] | None = None,
) -> str:
    """Run ``ffmpeg args``; return its error output.  Cancelling kills it.

    ``-progress pipe:1`` makes ffmpeg report every half second, and each report
    is a chance to stop; a stopped or failed run raises.  ``on_time`` hears how
    far the output has got, in seconds of audio, at each report.
    """
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "info", "-y"]
    command += ["-progress", "pipe:1", "-stats_period", "0.5", *args]
    with (
        open_stderr() as errors,
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            pass_fds=tuple(pass_fds),
        ) as process,
    ):
        assert process.stdout is not None
        try:
            for line in process.stdout:
                transfer.check()
                if on_time is not None and (seconds := _out_time(line)) is not None:
                    on_time(seconds)
            transfer.check()
        except Cancelled:
            process.kill()
            raise
        finally:
            process.stdout.close()
            code = process.wait()
        errors.seek(0)
        output = errors.read()
    if code != 0:
        raise FfmpegError(f"ffmpeg failed: {_last_line(output)}")
    return output


def open_stderr() -> IO[str]:
    """A temporary file for ffmpeg's error output (a pipe could fill up and stall it)."""
    import tempfile

    return tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")


def measure_loudness(
    ffmpeg: str,
    source: Path,
    filters: Sequence[str],
    transfer: Transfer,
    on_time: Callable[[float], None] | None = None,
) -> str:
    """The first loudnorm pass: the measured values, as the second pass's options."""
    chain = ",".join([*filters, f"{_LOUDNORM}:print_format=json"])
    args = ["-i", str(source), "-vn", "-af", chain, "-f", "null", "-"]
    output = run(ffmpeg, args, transfer, on_time=on_time)
    start = output.rfind("{")
    try:
        values = json.loads(output[start : output.index("}", start) + 1])
        measured = {
            "measured_I": values["input_i"],
            "measured_TP": values["input_tp"],
            "measured_LRA": values["input_lra"],
            "measured_thresh": values["input_thresh"],
            "offset": values["target_offset"],
        }
    except (ValueError, KeyError) as exc:
        raise FfmpegError(f"ffmpeg's loudness measurement was unreadable ({exc})") from None
    if any(not re.fullmatch(r"-?[0-9.]+", str(v)) for v in measured.values()):
        raise FfmpegError("the episode is silent or too short to measure its loudness")
    return _LOUDNORM + "".join(f":{k}={v}" for k, v in measured.items()) + ":linear=true"


def _out_time(line: str) -> float | None:
    """The seconds of output a progress line reports (``out_time_us=``), if it is one.

    (``out_time_ms`` is in microseconds too, despite its name; older ffmpegs send only it.)
    """
    name, _, value = line.strip().partition("=")
    if name not in ("out_time_us", "out_time_ms"):
        return None
    try:
        micros = int(value)
    except ValueError:  # N/A before the first packet
        return None
    return max(micros, 0) / 1e6


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1][:_TAIL] if lines else "no message"
