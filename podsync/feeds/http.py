"""HTTP sessions and error messages (``requests`` is imported only when needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from podsync import __version__

if TYPE_CHECKING:
    import requests

USER_AGENT = f"podsync/{__version__}"


MAX_REDIRECTS = 10


def is_feed_url(url: str) -> bool:
    """Whether ``url`` is an http(s) address with a host (a malformed one is not)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def new_session(hosts: int = 8, per_host: int = 4) -> requests.Session:
    """A session with podsync's User-Agent and at most ``per_host`` connections to each host.

    A thread that wants another connection to a busy host waits for one to be
    returned, so many feeds on one host never open more than ``per_host``.
    """
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(
        pool_connections=hosts, pool_maxsize=per_host, pool_block=True, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def describe_error(exc: Exception, url: str, timeout: tuple[float, float]) -> str:
    """A one-line, human explanation of a failed request (``timeout``: connect, read)."""
    import requests
    import urllib3

    host = urlsplit(url).hostname or url
    connect_timeout, read_timeout = timeout
    # requests wraps what urllib3 raises mid-body (iter_content) in its own exceptions
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(
        cause, urllib3.exceptions.ReadTimeoutError
    ):
        return f"{host} stopped sending for {read_timeout:g} s"
    if "without response" in str(exc):
        return f"{host} closed the connection without answering"
    if isinstance(
        cause,
        urllib3.exceptions.ProtocolError
        | urllib3.exceptions.DecodeError
        | requests.exceptions.ChunkedEncodingError,
    ):
        return f"connection to {host} broke off mid-transfer"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"more than {MAX_REDIRECTS} redirects (a redirect loop?)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} did not answer within {connect_timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS certificate check failed for {host}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = str(exc)
        if "Name or service not known" in reason or "getaddrinfo" in reason:
            return f"cannot resolve host {host}"
        if "refused" in reason:
            return f"cannot reach {host}: connection refused"
        return f"cannot reach {host}: connection failed"
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        response = exc.response
        return f"server answered {response.status_code} {response.reason}".rstrip()
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.MissingSchema
        | requests.exceptions.InvalidSchema,
    ):
        return f"not a valid http(s) URL: {url}"
    return f"request failed: {exc}"
