"""A real ``podsync watch`` process for the watcher's tests, and a notify-send that records."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from conftest import COMMAND

DEADLINE = 45.0


class Watch:
    """A running ``podsync watch -v`` whose log the test reads."""

    def __init__(self, home: Path, log: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        self._log = open(log, "w")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [*COMMAND, "watch", "-v"],
            env={**(env or os.environ), "PODSYNC_HOME": str(home)},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.wait_for("watching for players")

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str, count: int = 1) -> None:
        self.wait_until(lambda: self.log.count(text) >= count, f"{count} × {text!r} in the log")

    def wait_until(self, condition: Callable[[], object], what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():
            assert self.proc.poll() is None, f"podsync watch exited early:\n{self.log}"
            assert time.monotonic() < deadline, f"no {what} within {DEADLINE} s:\n{self.log}"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=DEADLINE)
        self._log.close()
        return code


def fake_notify_send(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose notify-send records each notification in a file."""
    bin_dir, record = tmp_path / "bin", tmp_path / "notifications"
    bin_dir.mkdir()
    script = bin_dir / "notify-send"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {record}\n')
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, record
