"""Fetch one podcast feed (conditional GET) and turn it into feed entries."""

from __future__ import annotations

import calendar
import logging
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from podsync.errors import FeedError
from podsync.feeds.http import describe_error
from podsync.identity import episode_identity
from podsync.model import FeedEntry
from podsync.text import MAX_AUTHOR, clean_text

if TYPE_CHECKING:
    import requests

    from podsync.config import Config

log = logging.getLogger(__name__)
MIB = 1024 * 1024
FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
MEDIA_EXTS = {
    "mp3",
    "m4a",
    "m4b",
    "aac",
    "ogg",
    "oga",
    "opus",
    "flac",
    "wav",
    "mp4",
    "m4v",
    "mov",
    "webm",
    "mkv",
    "wma",
}


MIME_EXTS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/x-m4a": "m4a",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "audio/aac": "aac",
    "audio/x-aac": "aac",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/ogg": "ogg",
    "audio/opus": "opus",
    "audio/flac": "flac",
    "video/mp4": "mp4",
}
"""Extensions for the MIME types podcasts use, where the URL has none (the system's
tables differ from one machine to the next)."""

MAX_PAGES = 20
"""Pages of a paged feed (``<atom:link rel="next">``) read in one refresh, at most."""


class FeedGone(FeedError):
    """The server said 410 Gone: the feed was removed for good."""


@dataclass(frozen=True)
class Limits:
    """How long to wait for a server and how much of a feed to read."""

    connect_timeout: float = 10
    read_timeout: float = 30
    max_feed_bytes: int = 32 * MIB

    @classmethod
    def from_config(cls, config: Config) -> Limits:
        return cls(
            config.get("fetch", "connect_timeout"),
            config.get("fetch", "timeout"),
            config.get("fetch", "max_feed_mb") * MIB,
        )

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) pair requests takes."""
        return (self.connect_timeout, self.read_timeout)


@dataclass
class FeedDocument:
    """A fetched and parsed feed; ``entries`` is empty when the server said 304."""

    url: str
    modified: bool
    title: str = ""
    """The channel's own title; empty when it has none (a podcast keeps its name then)."""
    etag: str | None = None
    last_modified: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    image: str | None = None
    """The podcast's image (its cover art), an absolute URL."""
    guid: str = ""
    """The feed's ``podcast:guid``, its identity across moves (empty: none)."""


def fetch_feed(
    session: requests.Session,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = Limits(),
) -> FeedDocument:
    """GET ``url`` (conditionally) and parse it; raise :class:`FeedError` with the reason.

    A 304 answer is not parsed.  ``url`` of the result is where the feed lives
    from now on: the target of a chain of permanent redirects, else ``url``.
    Raises :class:`FeedGone` on 410.
    """
    import requests

    headers = {"Accept": FEED_TYPES}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    validators = ", ".join(f"{k}: {v}" for k, v in headers.items() if k.startswith("If-"))
    log.info("feed: GET %s%s", url, f" ({validators})" if validators else "")
    try:
        with session.get(url, headers=headers, timeout=limits.timeout, stream=True) as response:
            log.info(
                "feed: %s answered %d %s%s",
                url,
                response.status_code,
                response.reason,
                f" from {response.url}" if response.url != url else "",
            )
            if response.status_code == 410:
                raise FeedGone("the server says the feed is gone for good (410)")
            response.raise_for_status()
            final_url = _permanent_location(url, response)
            if response.status_code == 304:
                return FeedDocument(
                    final_url, modified=False, etag=etag, last_modified=last_modified
                )
            body = read_capped(response, limits.max_feed_bytes)
            base_url = response.url
            content_type = response.headers.get("Content-Type", "")
            new_etag = response.headers.get("ETag")
            new_modified = response.headers.get("Last-Modified")
    except requests.RequestException as exc:
        reason = describe_error(exc, url, limits.timeout)
        log.info("feed: %s failed: %s", url, reason)
        raise FeedError(reason) from None
    first = page = parse_page(body, base_url, content_type)
    if not page.entries:
        raise FeedError("no audio episodes in this feed")
    entries = page.entries
    seen_pages = {base_url}
    while page.next_url and page.next_url not in seen_pages and len(seen_pages) < MAX_PAGES:
        seen_pages.add(page.next_url)
        try:
            page = _next_page(session, page.next_url, limits)
        except FeedError:
            break  # what the first pages gave stays; the next refresh tries again
        known = {e.guid for e in entries}
        entries += [e for e in page.entries if e.guid not in known]
    log.info("feed: %s: %d bytes, %d episodes listed", url, len(body), len(entries))
    if first.new_url and first.new_url != final_url:
        final_url = first.new_url  # the feed announced its move: like a 301
    return FeedDocument(
        final_url, True, first.title, new_etag, new_modified, entries, first.image, first.guid
    )


def _next_page(session: requests.Session, url: str, limits: Limits) -> ParsedPage:
    import requests

    try:
        with session.get(
            url, headers={"Accept": FEED_TYPES}, timeout=limits.timeout, stream=True
        ) as r:
            r.raise_for_status()
            body = read_capped(r, limits.max_feed_bytes)
            return parse_page(body, r.url, r.headers.get("Content-Type", ""))
    except requests.RequestException as exc:
        raise FeedError(describe_error(exc, url, limits.timeout)) from None


def _permanent_location(url: str, response: requests.Response) -> str:
    """The URL to remember: the target if every redirect on the way was permanent."""
    if response.history and all(r.status_code in (301, 308) for r in response.history):
        return response.url
    return url


def read_capped(response: requests.Response, limit: int) -> bytes:
    chunks, total = [], 0
    for chunk in response.iter_content(64 * 1024):
        total += len(chunk)
        if total > limit:
            raise FeedError(
                f"feed is larger than {limit / MIB:g} MiB (fetch.max_feed_mb); stopped reading"
            )
        chunks.append(chunk)
    return b"".join(chunks)


_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[(.*?)\]\s*>", re.DOTALL | re.IGNORECASE)


def _refuse_entities(body: bytes) -> None:
    """Refuse a document that declares its own XML entities (no podcast feed needs them)."""
    head = body[: 1 * MIB]
    start = head.find(b"<!DOCTYPE")
    if start < 0:
        return
    subset = _INTERNAL_SUBSET.search(head, start)
    if subset and b"<!ENTITY" in subset.group(1).upper():
        raise FeedError("refused: the feed declares XML entities (an entity-expansion attack?)")


AUTHOR_BYTES = 256
"""Bytes of an author element's text handed to feedparser (podsync keeps fewer characters)."""
_AUTHOR_TAGS = (
    rb"(?:author|managingEditor|webMaster|itunes:author|dc:creator|dc:author|dc:publisher)"
)
_LONG_AUTHOR = re.compile(
    rb"(<" + _AUTHOR_TAGS + rb"(?:\s[^<>]*)?>\s*)"
    rb"(?:(<!\[CDATA\[)((?:[^\]]|\](?!\]>)){%d,})|([^<]{%d,}))" % (AUTHOR_BYTES, AUTHOR_BYTES),
    re.IGNORECASE,
)


def _bound_authors(body: bytes) -> bytes:
    """Cut the text of author elements to :data:`AUTHOR_BYTES`.

    feedparser looks for an e-mail address in an author with a regular
    expression that takes quadratic time on a long run of letters: a feed
    with a 1 MB author would keep a refresh busy for hours.
    """

    def cut(match: re.Match[bytes]) -> bytes:
        opening, cdata = match.group(1), match.group(2) or b""
        text = (match.group(3) or match.group(4))[:AUTHOR_BYTES]
        text = text.rstrip(bytes(range(0x80, 0x100)))  # no half a (multi-byte) character
        text = re.sub(rb"&[#\w]*$", b"", text)  # no half an entity
        return opening + cdata + text

    return _LONG_AUTHOR.sub(cut, body)


@dataclass
class ParsedPage:
    """One feed document: its title, media entries, and the links it gives on."""

    title: str
    entries: list[FeedEntry]
    new_url: str | None = None
    """``itunes:new-feed-url``: where the feed moved."""
    next_url: str | None = None
    """``<atom:link rel="next">``: the next page of a paged feed."""
    image: str | None = None
    """The podcast's image, as an absolute URL."""
    guid: str = ""
    """``podcast:guid``: the feed's identity across moves."""


def parse_feed(body: bytes, url: str, content_type: str = "") -> tuple[str, list[FeedEntry]]:
    """Parse a feed document into its title and media entries (raise when it has none).

    ``url`` is where the document was read from; relative links resolve against it.
    """
    title, _image, entries, _guid = parse_document(body, url, content_type)
    return title, entries


def parse_document(
    body: bytes, url: str, content_type: str = ""
) -> tuple[str, str | None, list[FeedEntry], str]:
    """Parse a feed document into the channel's own title ("" if none), its image's URL (or
    None), the media entries (raise when it has none) and its ``podcast:guid``."""
    page = parse_page(body, url, content_type)
    if not page.entries:
        raise FeedError("no audio episodes in this feed")
    return page.title, page.image, page.entries, page.guid


def parse_page(body: bytes, url: str, content_type: str = "") -> ParsedPage:
    """Parse one feed document (which may hold no media entries)."""
    import feedparser

    from podsync.feeds.channel import read_channel

    _refuse_entities(body)

    parsed = feedparser.parse(
        _bound_authors(body), response_headers={"content-type": content_type or "text/xml"}
    )
    if not parsed.get("version"):
        if body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")) or (
            "html" in content_type.lower()
        ):
            raise FeedError("not a podcast feed: the server sent a web page")
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not a valid feed: {reason}" if reason else "not a valid feed")
    channel = read_channel(body)
    # Atom ids as written (feedparser resolves them against xml:base)
    ids = channel.atom_ids if len(channel.atom_ids) == len(parsed.entries) else None
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    feed_author = parsed.feed.get("author", "")
    for n, raw in enumerate(parsed.entries):
        entry = _entry(raw, url, feed_author, ids[n] if ids else None)
        if entry is not None and entry.guid not in seen:
            seen.add(entry.guid)
            entries.append(entry)
    image = (parsed.feed.get("image") or {}).get("href") or None
    image = urljoin(url, str(image).strip()) if image else None
    # not clean XML: feedparser's title is the best there is
    title = clean_text(channel.title if channel.readable else str(parsed.feed.get("title") or ""))
    new_url = str(parsed.feed.get("itunes_new-feed-url") or "").strip()
    if urlsplit(new_url).scheme not in ("http", "https") or not urlsplit(new_url).netloc:
        new_url = ""
    next_url = next(
        (
            urljoin(url, str(link.get("href")))
            for link in parsed.feed.get("links", [])
            if link.get("rel") == "next" and link.get("href")
        ),
        None,
    )
    return ParsedPage(title, entries, new_url or None, next_url, image, channel.guid)


def _entry(raw: Any, feed_url: str, feed_author: str, written_id: str | None) -> FeedEntry | None:
    enclosure = _media_enclosure(raw)
    if enclosure is None:
        return None
    try:
        href = urljoin(feed_url, enclosure.get("href", "").strip())
    except ValueError:  # a malformed address ("http://[::1"): not an episode podsync can get
        return None
    mime = str(enclosure.get("type") or "")
    # dict.get: FeedParserDict.get("updated_parsed") falls back with a DeprecationWarning
    published = dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
    try:
        size: int | None = int(enclosure.get("length") or 0) or None
    except ValueError:
        size = None
    title = clean_text(str(raw.get("title") or "")) or title_of(href)
    published_at = float(calendar.timegm(published)) if published else 0.0
    guid = written_id if written_id is not None else str(raw.get("id") or "")
    return FeedEntry(
        guid=episode_identity(guid, href, title, published_at),
        title=title,
        author=clean_text(str(raw.get("author") or feed_author or ""), MAX_AUTHOR),
        url=href,
        mime=mime,
        size=size if size and size > 0 else None,
        ext=media_extension(href, mime),
        published=published_at,
    )


def _media_enclosure(raw: Any) -> dict[str, Any] | None:
    """The entry's first audio or video enclosure, else its first ``<media:content>`` one."""
    media = [
        {"href": m.get("url", ""), "type": m.get("type"), "length": m.get("filesize")}
        for m in raw.get("media_content", [])
    ]
    for enclosure in [*raw.get("enclosures", []), *media]:
        href = enclosure.get("href", "")
        mime = str(enclosure.get("type") or "")
        if not href:
            continue
        if mime.startswith(("audio/", "video/")) or _url_ext(href) in MEDIA_EXTS:
            return enclosure
    return None


def _url_ext(url: str) -> str:
    return posixpath.splitext(urlsplit(url).path)[1].lstrip(".").lower()


def media_extension(url: str, mime: str) -> str:
    """The file extension for a media URL, from its path or else its MIME type."""
    ext = _url_ext(url)
    if ext in MEDIA_EXTS:
        return ext
    kind = mime.split(";")[0].strip().lower()
    if kind in MIME_EXTS:
        return MIME_EXTS[kind]
    guessed = mimetypes.guess_extension(kind) if kind else None
    return guessed.lstrip(".") if guessed and guessed.lstrip(".") in MEDIA_EXTS else "mp3"


def title_of(url: str) -> str:
    """A name for what ``url`` names when nothing better is known: its file name, else host."""
    name = posixpath.basename(urlsplit(url).path)
    return clean_text(posixpath.splitext(name)[0] or urlsplit(url).hostname or "") or "Untitled"
