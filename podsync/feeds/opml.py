"""OPML subscription lists: read them safely, write them so they read back the same.

    outlines = parse_opml(Path("feeds.opml").read_bytes())
    added = import_outlines(state, outlines)
    Path("out.opml").write_bytes(format_opml(outlines))

Reading goes through defusedxml: a file that declares entities (a "billion
laughs" bomb) or reaches for external resources is refused, not expanded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate

from podsync.errors import UsageError
from podsync.feeds.http import is_feed_url
from podsync.state import State


@dataclass(frozen=True)
class Outline:
    """One subscription: the feed's address and its title."""

    url: str
    title: str = ""


def parse_opml(data: bytes) -> list[Outline]:
    """The feeds listed in an OPML document, in order, each once (nested folders too)."""
    import defusedxml
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except defusedxml.DefusedXmlException as exc:
        raise UsageError(f"refused: the OPML file uses {_what(exc)}") from None
    except ElementTree.ParseError as exc:
        raise UsageError(f"not a valid OPML file: {exc}") from None
    if root.tag.lower() != "opml" or root.find("body") is None:
        raise UsageError("not an OPML file: no <opml> with a <body>")
    outlines: dict[str, Outline] = {}
    for node in root.find("body").iter("outline"):
        attrs = {k.lower(): v.strip() for k, v in node.attrib.items()}
        url = attrs.get("xmlurl", "")
        if url and url not in outlines:
            outlines[url] = Outline(url, attrs.get("title") or attrs.get("text", ""))
    return list(outlines.values())


def _what(exc: Exception) -> str:
    name = type(exc).__name__
    return {
        "EntitiesForbidden": "XML entities (an entity-expansion attack?)",
        "ExternalReferenceForbidden": "external references",
        "DTDForbidden": "a DTD",
    }.get(name, name)


def format_opml(outlines: Iterable[Outline], title: str = "podsync subscriptions") -> bytes:
    """An OPML 2.0 document listing ``outlines`` (titles and URLs escaped as needed)."""
    from xml.etree import ElementTree

    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = formatdate(time.time(), usegmt=True)
    body = ElementTree.SubElement(root, "body")
    for outline in outlines:
        ElementTree.SubElement(
            body,
            "outline",
            type="rss",
            text=outline.title or outline.url,
            title=outline.title or outline.url,
            xmlUrl=outline.url,
        )
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


@dataclass
class ImportResult:
    added: list[Outline]
    known: list[Outline]
    invalid: list[Outline]


def import_outlines(state: State, outlines: Iterable[Outline]) -> ImportResult:
    """Subscribe to every http(s) feed not yet subscribed to (again, for one
    unsubscribed from); the next fetch reads them."""
    result = ImportResult([], [], [])
    for outline in outlines:
        known = state.podcast_by_url(outline.url) if is_feed_url(outline.url) else None
        if not is_feed_url(outline.url):
            result.invalid.append(outline)
        elif known is not None and known.status == "unsubscribed":
            state.resubscribe(known.id)
            result.added.append(outline)
        elif known is not None:
            result.known.append(outline)
        else:
            state.add_podcast(outline.url, outline.title)
            result.added.append(outline)
    return result


def subscriptions(state: State) -> list[Outline]:
    """Every subscription in the order it was made, gone feeds included, for an export."""
    return [Outline(p.url, p.title) for p in sorted(state.podcasts(), key=lambda p: p.id)]
