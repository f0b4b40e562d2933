"""Serving the page: uvicorn on 127.0.0.1 in a thread, for ``podsync watch`` and ``podsync ui``.

``podsync ui`` first asks the port whether a podsync (the watcher's) already
serves this home there; then it only opens the browser on it, with the secret.
Otherwise it serves the page itself until stopped.  A thread follows the mount
table so the page learns of players plugged in or out.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import select
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator

from podsync.app import App
from podsync.config import Config
from podsync.errors import UsageError
from podsync.home import Home
from podsync.player.devices import read_marker
from podsync.player.mounts import MountTable
from podsync.ui.events import Hub
from podsync.ui.jobs import Jobs
from podsync.ui.security import LOGIN_TTL, LOOPBACK, Guard, load_secret, login_token
from podsync.watch.freshen import FetchRun, fetch_outcome
from podsync.watch.syncs import Outcome, push_outcome

log = logging.getLogger("podsync.ui")

DEFAULT_PORT = 8385


class UiServer:
    """The page on ``127.0.0.1:port`` for the home ``home``; :meth:`start`, then :meth:`stop`."""

    def __init__(self, home: Home, port: int) -> None:
        import uvicorn

        from podsync.ui.routes import Context, build

        self.home, self.port = home, port
        self.secret = load_secret(home.state_dir)
        self.hub = Hub()
        self.jobs = Jobs(self.hub)
        app = Guard(build(Context(home, port, self.secret, self.hub, self.jobs)), port, self.secret)
        config = uvicorn.Config(
            app,
            host=LOOPBACK,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self._mounts_stop_r, self._mounts_stop_w = os.pipe2(os.O_CLOEXEC)
        self._mounts_thread = threading.Thread(target=self._follow_mounts, name="ui mounts")

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def login_url(self) -> str:
        """A new one-time login link (see :func:`login_token`)."""
        return f"{self.url}login?token={login_token(self.secret)}"

    def start(self) -> None:
        """Listen and serve in a thread; UsageError when the port is taken."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, self.port))
        except OSError as exc:
            sock.close()
            raise UsageError(
                f"cannot serve the page on {LOOPBACK}:{self.port}: {exc.strerror}; "
                "choose another port with --port or watch.ui_port"
            ) from None
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="ui server"
        )
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            time.sleep(0.02)
        if not self._server.started:
            raise UsageError(f"the page's server on {LOOPBACK}:{self.port} did not start")
        self._mounts_thread.start()

    def stop(self) -> None:
        """Let running jobs finish their file in flight, close the streams, stop serving."""
        os.write(self._mounts_stop_w, b".")
        self.jobs.stop()
        self.hub.close()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        if self._mounts_thread.is_alive():
            self._mounts_thread.join()
        os.close(self._mounts_stop_r)
        os.close(self._mounts_stop_w)

    def wait(self) -> None:
        """Serve until the server stops (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def _follow_mounts(self) -> None:
        """Tell the pages when a player (a mount with podsync's marker) comes or goes."""
        table = MountTable()
        players = {m.point for m in table.mounts if read_marker(m.point)}
        try:
            poller = select.poll()
            poller.register(table.fileno(), select.POLLPRI | select.POLLERR)
            poller.register(self._mounts_stop_r, select.POLLIN)
            while True:
                ready = [fd for fd, _ in poller.poll()]
                if self._mounts_stop_r in ready:
                    return
                added, gone = table.refresh()
                came = {m.point for m in added if read_marker(m.point)}
                went = players & {m.point for m in gone}
                players = (players - went) | came
                if came or went:
                    self.hub.publish("changed", {"why": "mounts"})
        finally:
            table.close()


@contextlib.contextmanager
def page_for_watch(app: App) -> Iterator[tuple[Callable[..., Outcome], FetchRun]]:
    """For ``podsync watch``: serve the page on ``watch.ui_port`` (unless 0) while watching;
    yield the push and fetch functions the watcher should use (its pushes and fetches then
    show on the page as they run)."""
    port = app.config.get("watch", "ui_port")
    server = None
    if port:
        server = UiServer(app.home, port)
        try:
            server.start()
        except UsageError as exc:
            log.warning("no web page: %s", exc)
            server = None
        else:
            log.info("web page at %s ('podsync ui' opens it)", server.url)
    try:
        if server is None:
            yield push_outcome, fetch_outcome
        else:
            yield server.jobs.watched_push, server.jobs.watched_fetch
    finally:
        if server is not None:
            server.stop()


def probe(port: int, timeout: float = 2.0) -> dict[str, object] | None:
    """What answers ``/api/ping`` on the port: a podsync's description, or None for nothing.

    UsageError when another program holds the port.
    """
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("GET", "/api/ping", headers={"Host": f"{LOOPBACK}:{port}"})
        answer = conn.getresponse()
        data = json.loads(answer.read(4096))
        if answer.status != 200 or data.get("app") != "podsync":
            raise ValueError
        return data
    except ConnectionRefusedError:
        return None
    except (OSError, ValueError, http.client.HTTPException, AttributeError):
        raise UsageError(
            f"port {port} on {LOOPBACK} is taken by another program; choose one with --port"
        ) from None
    finally:
        conn.close()


def run_ui(port: int | None, browser: bool) -> int:
    """``podsync ui``: open the browser on the page already served (the watcher's), or serve
    the page here until Ctrl-C."""
    home = Home.from_env()
    config = Config.load(home.config_file)
    home.ensure()
    port = port or config.get("watch", "ui_port") or DEFAULT_PORT
    running = probe(port)
    if running is not None:
        if running.get("state") != str(home.state_dir):
            raise UsageError(
                f"port {port} serves the podsync of another home ({running.get('state')}); "
                "choose another with --port"
            )
        url = f"http://{LOOPBACK}:{port}/"
        print(f"podsync's page is already served at {url}")
        _open(f"{url}login?token={login_token(load_secret(home.state_dir))}", browser)
        return 0
    server = UiServer(home, port)
    server.start()
    print(f"Serving podsync's page at {server.url} until Ctrl-C", flush=True)
    try:
        _open(server.login_url, browser)
        server.wait()
    except KeyboardInterrupt:
        print("\nStopping the page (a push in flight finishes its file first)", file=sys.stderr)
    finally:
        server.stop()
    return 0


def _open(login_url: str, browser: bool) -> None:
    if not browser or not webbrowser.open(login_url):
        minutes = LOGIN_TTL // 60
        print(f"To make changes, open within {minutes} minutes: {login_url}", flush=True)
