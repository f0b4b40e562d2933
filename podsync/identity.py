"""Stable identities: of a feed across URL moves, of an episode across computers.

A feed is known by its ``podcast:guid`` when it has one, else by its URL
normalised (no scheme, host in lower case, no default port, no trailing
slash), taken after the permanent redirects podsync recorded.  An episode is
known by its feed's identity and its own: the item's guid, else its
enclosure URL without the query (ad servers change the query), else its title
and date.  Two computers that reach one feed by different addresses so give
its episodes the same keys.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def normalize_url(url: str) -> str:
    """``url`` without what does not name a different feed: scheme, default port, case of
    the host, a trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def feed_identity(url: str, guid: str = "") -> str:
    """The identity of a feed at ``url`` whose ``podcast:guid`` is ``guid`` (maybe empty)."""
    guid = guid.strip().lower()
    return f"guid:{guid}" if guid else f"url:{normalize_url(url)}"


def without_query(url: str) -> str:
    """``url`` without its query and fragment."""
    return url.split("#", 1)[0].split("?", 1)[0]


def episode_identity(guid: str, url: str, title: str, published: float) -> str:
    """An episode's own identity: its guid, else its enclosure URL without the query, else
    its title and date."""
    if guid.strip():
        return guid.strip()
    if url.strip():
        return without_query(url.strip())
    return f"{title.strip()}\n{int(published)}"


def episode_key(feed: str, episode: str) -> str:
    """A short key for episode ``episode`` of the feed with identity ``feed``."""
    import hashlib  # only fetches need it; a push starts faster without

    return hashlib.sha1(f"{feed}\n{episode}".encode()).hexdigest()[:16]
