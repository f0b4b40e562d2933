"""Running ``podsync ui`` for real and talking to it over loopback HTTP."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import COMMAND
from podsync.ui.security import login_token

DEADLINE = 45.0


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """Talks to the page on ``port`` as the install of ``home`` (it knows the secret)."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def secret(self) -> str:
        return (self.home / "state" / "ui-secret").read_text().strip()

    @property
    def login_url(self) -> str:
        """A new one-time login link, as ``podsync ui`` makes."""
        return f"{self.url}login?token={login_token(self.secret)}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict[str, str | None] | None = None,
        host: str | None = None,
    ) -> Answer:
        """One request as a browser on this page would send it, unless ``headers`` say else."""
        sent: dict[str, str | None] = {"Host": host or f"127.0.0.1:{self.port}"}
        if method == "POST":
            sent |= {"Origin": f"http://127.0.0.1:{self.port}", "X-Podsync-Secret": self.secret}
            sent["Content-Type"] = "application/json"
        sent |= headers or {}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        try:
            conn.request(method, path, body=body, headers={k: v for k, v in sent.items() if v})
            answer = conn.getresponse()
            return Answer(
                answer.status,
                {k.lower(): v for k, v in answer.getheaders()},
                answer.read().decode("utf-8", "replace"),
            )
        finally:
            conn.close()

    def wait_for_part(self, part: str, text: str) -> str:
        """Fetch ``/part/PART`` until it contains ``text``; return it."""
        deadline = time.monotonic() + DEADLINE
        while text not in (body := self.request("GET", f"/part/{part}").body):
            assert time.monotonic() < deadline, (
                f"no {text!r} in {part} within {DEADLINE} s:\n{body}"
            )
            time.sleep(0.1)
        return body


class UiProcess(Client):
    """``podsync ui --no-browser --port PORT``, serving the test's home."""

    def __init__(
        self, home: Path, log: Path, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        super().__init__(home, port or free_port())
        self.log_path = log
        self._log = open(log, "w")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [*COMMAND, "ui", "--no-browser", "--port", str(self.port)],
            env={**os.environ, "PODSYNC_HOME": str(home), **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.wait_for("Serving podsync's page")

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while text not in self.log:
            assert self.proc.poll() is None, f"podsync ui exited early:\n{self.log}"
            assert time.monotonic() < deadline, f"no {text!r} within {DEADLINE} s:\n{self.log}"
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=DEADLINE)
        self._log.close()
        return code
