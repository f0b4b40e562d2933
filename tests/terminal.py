"""Run a command on a pseudo-terminal, as a user at a terminal sees it."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
from dataclasses import dataclass


@dataclass
class Screen:
    """What a command wrote to the terminal (stdout and stderr, in order) and its exit status."""

    returncode: int
    text: str


def run_in_terminal(
    argv: list[str],
    env: dict[str, str],
    *,
    columns: int = 80,
    typed: bytes = b"",
    timeout: float = 120,
) -> Screen:
    """Run ``argv`` with stdin, stdout and stderr on a new pty ``columns`` wide; ``typed`` is
    what the user types (written at once; the terminal holds it until it is read)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {**env, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    if typed:
        os.write(master, typed)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], timeout)
            if not ready:
                process.kill()
                raise TimeoutError(f"{argv} wrote nothing for {timeout} s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        returncode = process.wait(timeout)
    finally:
        os.close(master)
    return Screen(returncode, b"".join(chunks).decode("utf-8", "replace"))
