"""Badly behaved podcast hosts: faults for :class:`podsync.cli.demo_server.FeedServer`."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from podsync.cli.demo_server import Fault, Resource, etag_of, silent_mp3


def redirect(location: str, status: int = 301) -> Fault:
    """A fault that redirects to ``location`` with ``status``."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return fault


def status(code: int) -> Fault:
    """A fault that answers ``code`` with a short body."""
    return lambda handler: handler.send_error(code)


def stall(seconds: float, release: threading.Event | None = None) -> Fault:
    """A fault that sends headers and a little of a body, then nothing for ``seconds`` (or
    until ``release`` is set), then hangs up."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.close_connection = True
        handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        handler.wfile.flush()
        (release or threading.Event()).wait(seconds)

    return fault


def endless(chunk: bytes = b"<item><title>more</title></item>" * 1024) -> Fault:
    """A fault that streams a feed that never ends, until the client hangs up."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.end_headers()
        handler.close_connection = True
        try:
            handler.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while True:
                handler.wfile.write(chunk)
        except OSError:
            pass

    return fault


def drop_after(resource: Resource, nbytes: int) -> Fault:
    """A fault that promises all of ``resource`` but hangs up after ``nbytes`` of it."""

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", resource.content_type)
        handler.send_header("Content-Length", str(len(resource.body)))
        handler.send_header("ETag", etag_of(resource.body))
        handler.send_header("Accept-Ranges", "bytes")
        handler.end_headers()
        handler.wfile.write(resource.body[:nbytes])
        handler.wfile.flush()
        handler.close_connection = True

    return fault


def endless_audio(length: int | None = None) -> Fault:
    """An episode whose body never ends (until the client hangs up).

    ``length`` is the Content-Length the server claims (sending that much is
    "forever" when it is large), or None for a body that runs to the close.
    """

    def fault(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "audio/mpeg")
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.close_connection = True
        frame = silent_mp3(1)
        sent = 0
        try:
            while length is None or sent < length:
                handler.wfile.write(frame)
                sent += len(frame)
        except OSError:
            pass  # the client hung up: that is the point

    return fault
