"""The feed store: the episodes the subscribed feeds offer, read over HTTP."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from podsync.errors import FeedError, PodsyncError
from podsync.feeds.http import describe_error
from podsync.feeds.parse import FeedGone, Limits, fetch_feed
from podsync.model import MediaItem, Podcast
from podsync.state import State
from podsync.stores.base import MediaStore, Transfer
from podsync.text import MAX_MESSAGE, clean_text

if TYPE_CHECKING:
    import requests

DOWNLOAD_CHUNK = 256 * 1024


@dataclass(frozen=True)
class RefreshResult:
    """How refreshing one feed went."""

    podcast: Podcast
    title: str
    new: int = 0
    modified: bool = True
    error: str | None = None
    gone: bool = False


def offered_items(state: State) -> list[MediaItem]:
    """Every episode the feeds offer (not of gone or unsubscribed podcasts), as items."""
    return [
        MediaItem(e.key, e.podcast, e.title, e.published, e.url, e.size, e.ext, e.author)
        for e in state.episodes(offered=True)
    ]


class FeedStore(MediaStore):
    """Every episode the subscribed feeds list; items are read with a (resumable) GET."""

    name = "feeds"
    exact_sizes = False

    def __init__(self, state: State, session: requests.Session, limits: Limits) -> None:
        self.state = state
        self.session = session
        self.limits = limits

    def list(self) -> list[MediaItem]:
        return offered_items(self.state)

    def refresh_one(self, podcast: Podcast) -> RefreshResult:
        """Fetch one feed and record its episodes; failures are returned, not raised.

        A failed feed keeps its episodes and its validators; a gone one (410) is
        marked and no longer refreshed.
        """
        title = podcast.title or podcast.url
        try:
            doc = fetch_feed(
                self.session,
                podcast.url,
                etag=podcast.etag,
                last_modified=podcast.last_modified,
                limits=self.limits,
            )
        except FeedGone as exc:
            self.state.mark_gone(podcast.id, str(exc))
            return RefreshResult(podcast, title, error=clean_text(str(exc), MAX_MESSAGE), gone=True)
        except PodsyncError as exc:
            self.state.record_refresh(podcast.id, error=str(exc))
            return RefreshResult(podcast, title, error=clean_text(str(exc), MAX_MESSAGE))
        if doc.url != podcast.url and self.state.podcast_by_url(doc.url) is None:
            self.state.move_podcast(podcast.id, doc.url)
        self.state.set_feed_guid(podcast.id, doc.url, doc.guid)
        new = self.state.upsert_entries(podcast, doc.entries) if doc.modified else 0
        if doc.modified:
            self.state.set_image_url(podcast.id, doc.image)
        self.state.record_refresh(
            podcast.id, title=doc.title, etag=doc.etag, last_modified=doc.last_modified
        )
        return RefreshResult(podcast, doc.title or title, new, doc.modified)

    def export(self, item: MediaItem, dest: Path, transfer: Transfer) -> None:
        """Download ``item.location`` into ``dest``, resuming after what it holds.

        A resume asks with ``If-Range`` and the validator (ETag, else
        Last-Modified) the first attempt got, kept beside ``dest``; a server
        whose file changed since answers 200 and the download starts over, so
        two versions of a file are never joined.  Without a validator there is
        no resume.
        """
        import requests
        import urllib3

        validator_file = validator_path(dest)
        offset = dest.stat().st_size if dest.exists() else 0
        validator = _read_validator(validator_file) if offset else None
        headers = {"Range": f"bytes={offset}-", "If-Range": validator} if validator else {}
        try:
            with self.session.get(
                item.location, headers=headers, stream=True, timeout=self.limits.timeout
            ) as response:
                if response.status_code == 416 and headers:
                    dest.unlink()  # what we hold is not a prefix of this file: start over
                    validator_file.unlink(missing_ok=True)
                    return self.export(item, dest, transfer)
                response.raise_for_status()
                resumed = bool(headers) and _continues(response, offset, validator or "")
                if response.status_code == 206 and not resumed:
                    dest.unlink(missing_ok=True)  # not the rest of what we hold: start over
                    validator_file.unlink(missing_ok=True)
                    raise FeedError(
                        "the server answered a resume with another part of the file; "
                        "it will start over on the next fetch"
                    )
                if not resumed:
                    _write_validator(validator_file, _validator_of(response))
                expected = _expected_length(response, offset if resumed else 0)
                with open(dest, "ab" if resumed else "wb") as out:
                    # read1 returns what has arrived, so progress and Ctrl-C stay prompt
                    while chunk := response.raw.read1(DOWNLOAD_CHUNK, decode_content=True):
                        out.write(chunk)
                        transfer.advance(len(chunk))
                    out.flush()
                    os.fsync(out.fileno())
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise FeedError(describe_error(exc, item.location, self.limits.timeout)) from None
        size = dest.stat().st_size
        if expected is not None and size != expected:
            raise FeedError(
                f"download ended early ({size} of {expected} bytes); "
                "it will resume on the next fetch"
            )
        validator_file.unlink(missing_ok=True)


def validator_path(part: Path) -> Path:
    """Where the validator of the partial download ``part`` is kept (beside it)."""
    return part.with_name(f"{part.name}.validator")


def _validator_of(response: requests.Response) -> str | None:
    """What identifies this version of the file for ``If-Range``: a strong ETag, else the date."""
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("Last-Modified")


def _continues(response: requests.Response, offset: int, validator: str) -> bool:
    """Whether a 206 answer is the rest of the very file whose start we hold."""
    if response.status_code != 206:
        return False
    if not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
        return False
    now = _validator_of(response)
    return now is None or now == validator


def _read_validator(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text and text.isprintable() else None


def _write_validator(path: Path, validator: str | None) -> None:
    if validator is None or not validator.isprintable():
        path.unlink(missing_ok=True)  # nothing to resume against: a cut-off download restarts
    else:
        path.write_text(validator, encoding="utf-8")


def _expected_length(response: requests.Response, offset: int) -> int | None:
    length = response.headers.get("Content-Length")
    if length is None or not length.isdigit() or response.headers.get("Content-Encoding"):
        return None
    return offset + int(length)
