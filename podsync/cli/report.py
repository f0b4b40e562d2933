"""Plain-text summaries of fetches and pushes, shared by the CLI and the demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from podsync.cli.table import format_table, terminal_columns
from podsync.sizes import human_size, plural

if TYPE_CHECKING:  # a push need not load the fetch machinery to print its report
    from podsync.fetch import FetchReport
    from podsync.model import Device, MediaItem
    from podsync.push import PushReport
    from podsync.stores.feed import RefreshResult
    from podsync.sync import SyncResult
    from podsync.tasks import Task


def print_fetch(report: FetchReport, out: TextIO | None = None, err: TextIO | None = None) -> None:
    """A table of the feeds (new, downloaded, outcome), then totals; failures on stderr."""
    out, err = out or sys.stdout, err or sys.stderr
    result = report.sync
    downloaded: dict[str, int] = {}
    if result is not None:
        podcast_of = {f"copy:{item.key}": item.podcast for item in result.plan.copies}
        for task in result.copied:
            downloaded[podcast_of[task.id]] = downloaded.get(podcast_of[task.id], 0) + 1
    if report.refreshed:
        rows = [("FEED", "NEW", "DOWNLOADED", "RESULT")]
        for r in sorted(report.refreshed, key=lambda r: r.title.casefold()):
            rows.append((r.title, str(r.new), str(downloaded.get(r.title, 0)), _outcome(r)))
        for line in format_table(rows, numeric=(1, 2), width=terminal_columns(out)):
            print(line, file=out)
    failed = len(report.failed_feeds)
    refreshed = len(report.refreshed) - failed
    new = sum(r.new for r in report.refreshed)
    news = plural(new, "new episode") if new else "no new episodes"
    print(
        f"Refreshed {plural(refreshed, 'feed')}"
        + (f" ({failed} failed)" if failed else "")
        + f": {news}.",
        file=out,
    )
    for r in report.failed_feeds:
        print(f"podsync: error: feed {r.title}: {r.error}", file=err)
    if result is None and report.plan is not None:
        plan = report.plan
        print(
            f"Would download {plural(len(plan.copies), 'episode')} ({human_size(plan.copy_bytes)})"
            + (":" if plan.copies else "."),
            file=out,
        )
        for item in plan.copies:
            print(f"  + {item.label}", file=out)
    if result is not None:
        print(
            f"Downloaded {plural(len(result.copied), 'episode')} "
            f"({human_size(result.copied_bytes)})" + (":" if result.copied else "."),
            file=out,
        )
        for task in result.copied:
            print(f"  + {task.label}", file=out)
        for task in result.failed:
            print(f"podsync: error: download {task.label}: {task.error}", file=err)
        if result.cancelled:
            print(
                f"podsync: warning: {plural(len(result.cancelled), 'download')} interrupted",
                file=err,
            )
    plan = report.plan
    no_room = (len(result.no_room) if result else 0) + (len(plan.unfit) if plan else 0)
    if no_room:
        print(
            f"podsync: warning: {plural(no_room, 'episode')} not downloaded: the cache is full; "
            "free some space (or lower fetch.cache_reserve) and fetch again",
            file=err,
        )
        for item, reason in plan.unfit if plan else ():
            print(f"    {item.label} ({reason})", file=err)


def fetch_json(report: FetchReport) -> dict[str, Any]:
    """The documented JSON shape of a fetch (or a dry run)."""
    plan, result = report.plan, report.sync
    feeds = [
        {
            "podcast": r.title,
            "url": r.podcast.url,
            "new": r.new,
            "modified": r.modified,
            "gone": r.gone,
            "error": r.error,
        }
        for r in report.refreshed
    ]
    return {
        "dry_run": plan is not None and result is None,
        "ok": report.ok,
        "feeds": feeds,
        "downloads": None
        if plan is None
        else {
            "planned": [_item(i) for i in plan.copies],
            "planned_bytes": plan.copy_bytes,
            "unfit": [{**_item(i), "reason": why} for i, why in plan.unfit],
            "result": None if result is None else _result(result),
        },
    }


def _item(i: MediaItem) -> dict[str, Any]:
    return {"podcast": i.podcast, "title": i.title, "size": i.size}


def _result(result: SyncResult) -> dict[str, Any]:
    def tasks(done: list[Task]) -> list[dict[str, Any]]:
        return [{"item": t.label, "error": t.error} for t in done]

    return {
        "copied": len(result.copied),
        "copied_bytes": result.copied_bytes,
        "deleted": len(result.deleted),
        "failed": tasks(result.failed),
        "skipped": tasks(result.skipped),
        "cancelled": len(result.cancelled),
    }


def fetch_summary(report: FetchReport) -> str:
    """One line for a log or a notification: what a fetch brought."""
    news = sorted((r for r in report.refreshed if r.new), key=lambda r: r.title.casefold())
    text = "new: " + ", ".join(f"{r.title} ({r.new})" for r in news) if news else "no new episodes"
    if report.sync is not None and report.sync.copied:
        sync = report.sync
        text += f"; downloaded {len(sync.copied)} ({human_size(sync.copied_bytes)})"
    if report.failed_feeds:
        text += f"; {plural(len(report.failed_feeds), 'feed')} failed"
    if report.cleaned.items:
        text += f"; cleaned {len(report.cleaned.items)} ({human_size(report.cleaned.bytes)})"
    return text


def _outcome(result: RefreshResult) -> str:
    if result.gone:
        return "gone (410): no longer refreshed"
    if result.error:
        return "failed (see below)"
    return "updated" if result.modified else "not modified"


def print_push(
    report: PushReport,
    out: TextIO | None = None,
    explain: bool = False,
    err: TextIO | None = None,
) -> None:
    """What a push did (or would do); failures and warnings on stderr."""
    out, err = out or sys.stdout, err or sys.stderr
    name = f"{report.device.name} ({report.path})"
    for warning in report.warnings:
        print(f"podsync: warning: {name}: {warning}", file=err)
    plan, result = report.plan, report.result
    if report.played:
        print(
            f"{name}: {plural(report.played, 'episode')} played, from the scrobbler log.", file=out
        )
    if result is None:
        print(f"Plan for {name}:", file=out)
        for line in plan.describe("the cache", report.device.name, explain):
            print(f"  {line}", file=out)
        for copy in plan.copies:
            if copy.key in report.conversions:
                print(f"  convert {copy.label}  ({report.conversions[copy.key]})", file=out)
        converting = f", converting {len(report.conversions)}" if report.conversions else ""
        print(
            f"Would copy {len(plan.copies)} ({human_size(plan.copy_bytes)}{converting}) and "
            f"delete {len(plan.deletes)}; {plural(plan.kept, 'episode')} already there.",
            file=out,
        )
        return
    if plan.empty:
        print(
            f"{name}: up to date, nothing copied or deleted "
            f"({plural(plan.kept, 'episode')} there).",
            file=out,
        )
    else:
        print(
            f"{name}: copied {len(result.copied)} ({human_size(result.copied_bytes)}), "
            + (f"converted {len(result.converted)}, " if result.converted else "")
            + f"deleted {len(result.deleted)}, failed {len(result.failed)}, "
            f"skipped {len(result.skipped)}.",
            file=out,
        )
        for task in result.copied:
            print(f"  + {task.label}", file=out)
        for task in result.deleted:
            print(f"  - {task.label}", file=out)
        for task in result.failed:
            print(f"podsync: error: {report.device.name}: {task.label}: {task.error}", file=err)
        for task in result.skipped:
            print(f"podsync: warning: {report.device.name}: {task.label}: {task.error}", file=err)
    unfit = len(plan.unfit) + len(result.no_room)
    if unfit:
        print(
            f"podsync: warning: {report.device.name}: {plural(unfit, 'episode')} "
            "did not fit on the player",
            file=err,
        )
        for item, reason in plan.unfit:
            print(f"    {item.label} ({reason})", file=err)


def push_summary(report: PushReport) -> str:
    """One line for a log or a notification: what a push did."""
    result = report.result
    if result is None or report.plan.empty:
        return f"up to date ({plural(report.plan.kept, 'episode')} there)"
    parts = [f"copied {len(result.copied)} ({human_size(result.copied_bytes)})"]
    parts.append(f"deleted {len(result.deleted)}")
    if result.failed:
        parts.append(f"{len(result.failed)} failed: {result.failed[0].error}")
    if result.cancelled:
        parts.append(f"{len(result.cancelled)} not done (stopped)")
    unfit = len(report.plan.unfit) + len(result.no_room)
    if unfit:
        parts.append(f"{unfit} did not fit")
    return ", ".join(parts)


def push_json(report: PushReport) -> dict[str, Any]:
    """The documented JSON shape of one player's push (or dry run)."""
    plan, result = report.plan, report.result

    def copy(i: MediaItem) -> dict[str, Any]:
        return {**_item(i), "ext": i.ext, "convert": report.conversions.get(i.key)}

    return {
        "device": report.device.name,
        "path": str(report.path),
        "dry_run": result is None,
        "ok": report.ok,
        "error": None,
        "played_from_scrobbler": report.played,
        "warnings": report.warnings,
        "plan": {
            "copy": [copy(i) for i in plan.copies],
            "copy_bytes": plan.copy_bytes,
            "delete": [{"path": i.location, "reason": why} for i, why in plan.deletes],
            "unfit": [{**_item(i), "reason": why} for i, why in plan.unfit],
            "skipped": [{**_item(i), "reason": why} for i, why in plan.skipped],
            "kept": plan.kept,
        },
        "result": None
        if result is None
        else {**_result(result), "converted": len(result.converted)},
    }


def push_error_json(device: Device, path: Path, error: str) -> dict[str, Any]:
    """The JSON of a push that could not run, in the same shape as :func:`push_json`."""
    return {
        "device": device.name,
        "path": str(path),
        "dry_run": False,
        "ok": False,
        "error": error,
        "played_from_scrobbler": 0,
        "warnings": [],
        "plan": None,
        "result": None,
    }
