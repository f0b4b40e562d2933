"""What feedparser gets wrong about a feed's identity, read from the XML itself.

feedparser lets a channel-level element that holds a ``<title>`` (such as
``<podcast:liveItem>``) replace the channel's title, and resolves a non-URI
Atom ``<id>`` against ``xml:base`` (so an entry's id changes with the entry
before it).  Here the channel's own ``<title>``, its ``<podcast:guid>`` and
the Atom entries' ids are read as written.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

ATOM = "{http://www.w3.org/2005/Atom}"
PODCAST_NAMESPACES = (
    "{https://podcastindex.org/namespace/1.0}",
    "{https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md}",
)


@dataclass
class Channel:
    """The channel's own title and ``podcast:guid`` (empty when missing or unreadable)."""

    title: str = ""
    guid: str = ""
    atom_ids: list[str] = field(default_factory=list)
    """Each Atom entry's ``<id>`` as written, in document order ("" for none)."""
    readable: bool = False
    """Whether the document was read as XML (else nothing here is known)."""


def read_channel(body: bytes) -> Channel:
    """The channel's fields from ``body``; an empty :class:`Channel` if it is not clean XML."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    channel = Channel()
    path: list[str] = []
    try:
        for event, element in iterparse(io.BytesIO(body), events=("start", "end")):
            if event == "start":
                path.append(element.tag)
                continue
            _take(channel, path, element)
            if path.pop() in ("item", f"{ATOM}entry"):
                element.clear()  # keep memory flat on long feeds
    except (ParseError, DefusedXmlException, ValueError):
        return Channel()
    channel.readable = True
    return channel


def _take(channel: Channel, path: list[str], element: object) -> None:
    """Note ``element`` (just closed, at ``path``) if it is one of the fields.

    Only a field's text is read: reading every element's would walk each subtree
    again, quadratic time on a feed nested thousands deep.
    """
    tag = path[-1]
    parent = path[-2] if len(path) > 1 else ""
    on_channel = (len(path) == 3 and parent == "channel") or (
        len(path) == 2 and parent == f"{ATOM}feed"
    )
    if on_channel and tag in ("title", f"{ATOM}title") and not channel.title:
        channel.title = _text(element)
    elif on_channel and any(tag == f"{ns}guid" for ns in PODCAST_NAMESPACES):
        channel.guid = channel.guid or _text(element)
    elif len(path) == 2 and tag == f"{ATOM}entry":
        ids = [c for c in element if c.tag == f"{ATOM}id"]  # type: ignore[attr-defined]
        channel.atom_ids.append(_text(ids[0]) if ids else "")


def _text(element: object) -> str:
    return "".join(element.itertext()).strip()  # type: ignore[attr-defined]
