"""The page's addresses: the page and its parts (Jinja2, autoescaped), the event stream,
and the actions, each calling what the matching command calls.

Reads (``GET``) change nothing.  Actions (``POST``, JSON or an OPML file in
the body, bounded) pass :class:`podsync.ui.security.Guard` first; each answers
``{"ok": ..., "message": ...}``; long ones start a job and answer 202.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from podsync.app import App
from podsync.errors import DeviceError, PodsyncError, UsageError
from podsync.history import Event, record
from podsync.home import Home
from podsync.model import Podcast
from podsync.sizes import human_size, plural
from podsync.ui import views
from podsync.ui.events import Hub
from podsync.ui.jobs import Jobs, eject_work, fetch_work, push_work
from podsync.ui.security import COOKIE, LoginTokens, same_secret

JSON_LIMIT = 64 * 1024
"""Largest action body, in bytes."""
OPML_LIMIT = 2 * 1024 * 1024
"""Largest OPML upload, in bytes (a subscription list is a few KiB)."""
PARTS = ("players", "podcasts", "history", "settings", "activity")


class TooLarge(UsageError):
    """A body over its limit (HTTP 413)."""


@dataclass
class Context:
    """What every handler shares: the install's secret, the port, the hub and the jobs."""

    home: Home
    port: int
    secret: str
    hub: Hub
    jobs: Jobs
    open_app: Callable[[], App] = App.open
    config_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def cookie(self) -> str:
        return f"{COOKIE}-{self.port}"


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "never"


def environment() -> Environment:
    env = Environment(loader=PackageLoader("podsync.ui", "templates"), autoescape=True)
    env.filters.update(size=human_size, when=_when)
    return env


def build(ctx: Context) -> Starlette:
    """The Starlette application (wrap it in :class:`Guard` before serving it)."""
    env = environment()
    logins = LoginTokens(ctx.secret)

    def render(name: str, **data: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**data))

    def part_data(app: App, name: str) -> dict[str, Any]:
        if name == "players":
            busy = {}  # player → "push" or "eject"
            for job in ctx.jobs.running():
                kind, _, player = job.partition(":")
                if kind in ("push", "eject"):
                    busy[player] = kind
            return {"players": views.players(app, busy)}
        if name == "podcasts":
            return {"podcasts": views.podcasts(app)}
        if name == "history":
            return {"history": views.history(app)}
        return {"settings": views.settings(app.config), "config_path": app.config.path}

    def gather(names: tuple[str, ...]) -> dict[str, Any]:
        """The data of the parts ``names`` (the activity needs no state, so it shows even
        when the config file is broken)."""
        data: dict[str, Any] = {"running": ctx.jobs.running(), "recent": list(ctx.jobs.recent)}
        if set(names) - {"activity"}:
            with ctx.open_app() as app:
                for name in names:
                    if name != "activity":
                        data.update(part_data(app, name))
        return data

    async def page(request: Request) -> Response:
        authorized = same_secret(request.cookies.get(ctx.cookie), ctx.secret)
        try:
            data = await run_in_threadpool(gather, PARTS)
            problem = None
        except PodsyncError as exc:  # a broken config file: say so, show what can be shown
            data, problem = gather(("activity",)), str(exc)
        secret = ctx.secret if authorized else ""
        return render("page.html", secret=secret, problem=problem, **data)

    async def part(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PARTS:
            return Response("no such part\n", 404, media_type="text/plain")
        try:
            data = await run_in_threadpool(gather, (name,))
        except PodsyncError as exc:
            return Response(f"{exc}\n", 500, media_type="text/plain")
        return render(f"{name}.html", **data)

    async def episodes(request: Request) -> Response:
        podcast_id = request.path_params["podcast"]

        def load() -> tuple[Any, list[views.EpisodeView]]:
            with ctx.open_app() as app:
                return views.episodes(app, podcast_id)

        podcast, items = await run_in_threadpool(load)
        if podcast is None:
            return Response("no such podcast\n", 404, media_type="text/plain")
        return render("episodes.html", podcast=podcast, episodes=items)

    async def login(request: Request) -> Response:
        """Trade a login link's token for the cookie, then send the browser on to ``/``
        (303: the page's address, the one the tab keeps, carries nothing)."""
        known = same_secret(request.cookies.get(ctx.cookie), ctx.secret)
        if not known and not logins.spend(request.query_params.get("token")):
            return Response(
                "this login link is wrong, used already or too old; "
                "run 'podsync ui' for a new one\n",
                403,
                media_type="text/plain",
            )
        answer = RedirectResponse("/", 303)
        answer.set_cookie(
            ctx.cookie, ctx.secret, max_age=10 * 365 * 86400, httponly=True, samesite="strict"
        )
        return answer

    async def events(request: Request) -> Response:
        return StreamingResponse(
            ctx.hub.stream(),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    async def ping(request: Request) -> Response:
        return JSONResponse({"app": "podsync", "state": str(ctx.home.state_dir)})

    def action(handler: Callable[[dict[str, Any]], tuple[int, str]]) -> Callable:
        """An action that takes a JSON object and runs ``handler`` in a worker thread."""

        async def endpoint(request: Request) -> Response:
            try:
                body = await read_bounded(request, JSON_LIMIT)
                try:
                    data = json.loads(body or b"{}")
                except ValueError:
                    raise UsageError("the request is not JSON") from None
                if not isinstance(data, dict):
                    raise UsageError("the request is not a JSON object")
                status, message = await run_in_threadpool(handler, data)
            except PodsyncError as exc:
                return _answer(exc)
            return JSONResponse({"ok": True, "message": message}, status)

        return endpoint

    def subscribe(data: dict[str, Any]) -> tuple[int, str]:
        from podsync.fetch import subscribe

        with ctx.open_app() as app:
            podcast, new = subscribe(app, _text(data, "url").strip())
        ctx.hub.publish("changed", {"why": "subscribe"})
        return 200, f"Subscribed to {podcast.title or podcast.url} ({plural(new, 'episode')})"

    def fetch(data: dict[str, Any]) -> tuple[int, str]:
        if "podcast" not in data:
            ctx.jobs.start("fetch", "Fetch", fetch_work(None), stoppable=False)
            return 202, "Fetching"
        podcast = find(data)
        title = podcast.title or podcast.url
        ctx.jobs.start("fetch", f"Fetch {title}", fetch_work(podcast), stoppable=False)
        return 202, f"Fetching {title}"

    def find(data: dict[str, Any]) -> Podcast:
        """The subscription ``data["podcast"]`` names by its id."""
        wanted = data.get("podcast")
        with ctx.open_app() as app:
            found = next((p for p in app.state.podcasts() if p.id == wanted), None)
        if found is None:
            raise UsageError("no such podcast (unsubscribed meanwhile?)")
        return found

    def unsubscribe(data: dict[str, Any]) -> tuple[int, str]:
        from podsync.library import unsubscribe

        podcast = find(data)
        with ctx.open_app() as app:
            freed = unsubscribe(app, [podcast])
            players = bool(app.state.devices())
        ctx.hub.publish("changed", {"why": "unsubscribe"})
        lines = [
            f"Unsubscribed from {podcast.title or podcast.url}.",
            f"Deleted {len(freed.items)} cached episodes ({human_size(freed.bytes)}).",
        ]
        if players:
            lines.append("Their episodes leave each player at its next push.")
        return 200, " ".join(lines)

    def push(data: dict[str, Any]) -> tuple[int, str]:
        name = _text(data, "device")
        ctx.jobs.start(f"push:{name}", f"Push to {name}", push_work(name))
        return 202, f"Pushing to {name}"

    def eject(data: dict[str, Any]) -> tuple[int, str]:
        name = _text(data, "device")
        ctx.jobs.start(f"eject:{name}", f"Eject {name}", eject_work(name))
        return 202, f"Ejecting {name}"

    def played(data: dict[str, Any]) -> tuple[int, str]:
        keys = data.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise UsageError("keys must be a list of episode keys")
        with ctx.open_app() as app:
            known = {e.key: e for e in app.state.episodes()}
            chosen = [known[k] for k in keys if k in known]
            if not chosen:
                raise UsageError("no such episode")
            action = "played" if data.get("played", True) else "unplayed"
            if action == "played":
                app.state.mark_played([e.key for e in chosen])
            else:
                app.state.mark_unplayed([e.key for e in chosen])
            events = [Event(action, e.podcast, e.title, detail="marked by hand") for e in chosen]
            record(app.state, events, app.config.get("history", "keep"))
        verb = "played" if action == "played" else "not played"
        ctx.hub.publish("changed", {"why": "played"})
        return 200, "; ".join(f"Marked {verb}: {e.podcast} — {e.title}" for e in chosen)

    def setting(data: dict[str, Any]) -> tuple[int, str]:
        from podsync.ui.config_edit import update

        device, podcast = data.get("device"), data.get("podcast")
        if device is not None and not isinstance(device, str):
            raise UsageError("device must be a player's name")
        if podcast is not None and not isinstance(podcast, str):
            raise UsageError("podcast must be a podcast's title")
        section, key = _text(data, "section"), _text(data, "key")
        with ctx.config_lock:
            value = update(ctx.home.config_file, section, key, data.get("value"), device, podcast)
        ctx.hub.publish("changed", {"why": "settings"})
        if podcast is not None:
            message = f'Saved podcasts."{podcast}".{key} = {json.dumps(value, ensure_ascii=False)}'
            return 200, message
        where = f"devices.{device}." if device else ""
        return 200, f"Saved {where}{section}.{key} = {json.dumps(value, ensure_ascii=False)}"

    async def upload_opml(request: Request) -> Response:
        from podsync.feeds.opml import import_outlines, parse_opml

        def load(body: bytes) -> str:
            outlines = parse_opml(body)
            with ctx.open_app() as app:
                result = import_outlines(app.state, outlines)
            skipped = f"; skipped {len(result.invalid)} not http(s)" if result.invalid else ""
            return (
                f"Subscribed to {len(result.added)} of {len(outlines)} feeds "
                f"({len(result.known)} already subscribed){skipped}; fetch reads them."
            )

        try:
            message = await run_in_threadpool(load, await read_bounded(request, OPML_LIMIT))
        except PodsyncError as exc:
            return _answer(exc)
        ctx.hub.publish("changed", {"why": "import"})
        return JSONResponse({"ok": True, "message": message})

    static = Path(__file__).with_name("static")
    return Starlette(
        routes=[
            Route("/", page),
            Route("/login", login),
            Route("/part/episodes/{podcast:int}", episodes),
            Route("/part/{name}", part),
            Route("/events", events),
            Route("/api/ping", ping),
            Route("/api/subscribe", action(subscribe), methods=["POST"]),
            Route("/api/import", upload_opml, methods=["POST"]),
            Route("/api/fetch", action(fetch), methods=["POST"]),
            Route("/api/unsubscribe", action(unsubscribe), methods=["POST"]),
            Route("/api/push", action(push), methods=["POST"]),
            Route("/api/eject", action(eject), methods=["POST"]),
            Route("/api/played", action(played), methods=["POST"]),
            Route("/api/setting", action(setting), methods=["POST"]),
            Mount("/static", StaticFiles(directory=static)),
        ]
    )


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request's body; TooLarge past ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"refused: the upload is over {human_size(limit)}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"refused: the upload is over {human_size(limit)}")
    return bytes(body)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise UsageError(f"{key} is missing")
    return value


def _answer(exc: PodsyncError) -> JSONResponse:
    status = 413 if isinstance(exc, TooLarge) else 409 if isinstance(exc, DeviceError) else 400
    return JSONResponse({"ok": False, "message": str(exc)}, status)
