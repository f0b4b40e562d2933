"""A small HTTP server on 127.0.0.1 that serves podcast feeds and episodes.

The demo serves its sample podcasts with it, and the tests use it to play a
well-behaved (or, with ``faults``, a badly behaved) podcast host: it answers
conditional GETs with 304 when the ETag matches, honours Range requests and
counts every request it gets.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

Fault = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/octet-stream"
    modified: float = field(default_factory=lambda: float(int(time.time())))


class FeedServer:
    """Serve ``resources`` (path → Resource) on loopback; use as a context manager."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.faults: dict[str, Fault] = {}
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="feed-server")

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> str:
        self.resources["/" + path.lstrip("/")] = Resource(body, content_type)
        return self.url(path)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.requests[path] += 1
                    server.log.append((path, dict(self.headers.items())))
                fault = server.faults.get(path)
                if fault is not None:
                    fault(self)
                    return
                resource = server.resources.get(path)
                if resource is None:
                    self.send_error(404)
                    return
                serve(self, resource)

        return Handler


def etag_of(body: bytes) -> str:
    """The (strong) ETag the server gives ``body``."""
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


def serve(handler: BaseHTTPRequestHandler, resource: Resource) -> None:
    """Answer a GET for ``resource`` with ETag, Last-Modified, 304, Range and If-Range support."""
    etag = etag_of(resource.body)
    modified = formatdate(resource.modified, usegmt=True)
    match = handler.headers.get("If-None-Match")
    if match == etag or (match is None and handler.headers.get("If-Modified-Since") == modified):
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.end_headers()
        return
    body, status = resource.body, 200
    ranged = handler.headers.get("Range", "")
    if handler.headers.get("If-Range", etag) not in (etag, modified):
        ranged = ""  # the file changed since the client's first part: send all of it
    if ranged.startswith("bytes=") and ranged.endswith("-"):
        start = int(ranged[6:-1] or 0)
        if start >= len(body):
            handler.send_response(416)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        status, body = 206, body[start:]
        handler.send_response(status)
        handler.send_header(
            "Content-Range", f"bytes {start}-{len(resource.body) - 1}/{len(resource.body)}"
        )
    else:
        handler.send_response(status)
    handler.send_header("Content-Type", resource.content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("ETag", etag)
    handler.send_header("Last-Modified", modified)
    handler.send_header("Accept-Ranges", "bytes")
    handler.end_headers()
    handler.wfile.write(body)


@dataclass(frozen=True)
class SampleEpisode:
    guid: str
    title: str
    published: float
    path: str
    size: int


def rss(title: str, episodes: list[SampleEpisode], base_url: str, author: str = "") -> bytes:
    """An RSS 2.0 podcast feed for ``episodes``."""
    items = "".join(
        f'<item><title>{escape(e.title)}</title><guid isPermaLink="false">{escape(e.guid)}'
        f"</guid><pubDate>{formatdate(e.published, usegmt=True)}</pubDate>"
        f'<enclosure url="{escape(base_url + "/" + e.path)}" length="{e.size}"'
        f' type="audio/mpeg"/></item>'
        for e in episodes
    )
    author_tag = f"<itunes:author>{escape(author)}</itunes:author>" if author else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        f'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>{escape(title)}</title><link>{escape(base_url)}</link>{author_tag}"
        f"<description>{escape(title)}</description>{items}</channel></rss>"
    ).encode()


_FRAME_HEADER = bytes([0xFF, 0xFB, 0x90, 0xC0])  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz, mono
_FRAME_SIZE = 417  # 144 * 128000 // 44100
_FRAMES_PER_SECOND = 44100 / 1152


def silent_mp3(seconds: float = 1.0) -> bytes:
    """A valid MP3 of silence: frames whose side information holds no audio."""
    frames = max(1, round(seconds * _FRAMES_PER_SECOND))
    return (_FRAME_HEADER + bytes(_FRAME_SIZE - len(_FRAME_HEADER))) * frames
