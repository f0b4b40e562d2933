"""The benchmarks run (tiny data, one repetition); their numbers are not checked here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


EXPECTED = {
    "usbcheck.py": ["ratio", "conv=fsync", "append 4 KiB, fsync"],
    "usbpush.py": ["ratio", "podsync push", "gpo sync + sync", "cp -r + sync"],
    "plug.py": ["to the push starting", "for a player already up to date"],
}
"""What each benchmark must print (each checks its own work: every episode copied)."""


@pytest.mark.parametrize(
    "script",
    [
        "push.py",
        "noop.py",
        "gpodder.py",
        "startup.py",
        "fetch.py",
        "convert.py",
        "usbcheck.py",
        "usbpush.py",
        "plug.py",
    ],
)
def test_benchmark_smoke_run(script: str) -> None:
    if script in ("fetch.py", "gpodder.py", "usbpush.py") and shutil.which("gpo") is None:
        pytest.skip("needs gpo (scripts/setup --test installs gpodder)")
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for text in EXPECTED.get(script, ["ratio"]):
        assert text in result.stdout
