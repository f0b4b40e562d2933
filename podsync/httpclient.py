"""HTTP sessions and error messages (``requests`` is imported only when needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from podsync import __version__

if TYPE_CHECKING:
    import requests

USER_AGENT = f"podsync/{__version__} (+https://github.com/podsync)"


def new_session(pool_size: int = 8) -> requests.Session:
    """A session with podsync's User-Agent and a connection pool per host."""
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def describe_error(exc: Exception, url: str, timeout: float) -> str:
    """A one-line, human explanation of a failed request."""
    import requests
    import urllib3

    host = urlsplit(url).hostname or url
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"{host} stopped sending for {timeout:g} s"
    if isinstance(exc, urllib3.exceptions.ProtocolError | urllib3.exceptions.DecodeError):
        return f"connection to {host} broke off mid-transfer"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects (a redirect loop?)"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"{host} did not answer within {timeout:g} s"
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
