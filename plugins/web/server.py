"""The web view's HTTP server: tornado on its own event loop, in its own thread.

Routes: ``/`` (the page), ``/static/app.js`` and ``/static/app.css`` (shipped with the
package), ``/api/state`` (the first paint), ``/api/updates`` (Server-Sent Events: what changed,
at most once per ``interval``) and ``/api/history`` (the kept points of a few streams). Every
route is GET only and reads the state; none takes a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import orjson
import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.iostream import StreamClosedError

from plugins.web.state import WebState

log = logging.getLogger("collector")

TOKEN_COOKIE = "hotprobe_token"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_HISTORY_IDS = 200
_HEARTBEAT = 1.0
MAX_LISTENERS = 32


def _assets() -> dict[str, bytes]:
    folder = resources.files("plugins.web") / "static"
    return {name: (folder / name).read_bytes() for name in _ASSETS}


class WebServer:
    """Binds at construction (so a busy port is reported at once), serves after ``start``."""

    def __init__(
        self,
        state: WebState,
        host: str,
        port: int,
        token: str | None,
        interval: float,
        view: dict[str, Any],
    ) -> None:
        self.state = state
        self.token = token
        self.interval = interval
        self.view = view
        self.refused = 0
        self.listeners = 0
        self._sockets = tornado.netutil.bind_sockets(port, host, reuse_port=False)
        self.port = self._sockets[0].getsockname()[1]
        self._assets = _assets()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Future | None = None
        self._waiting = 0
        self._wake_pending = False
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="web-view", daemon=True)
        self._last_refusal_log = 0.0

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 5.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
            self._thread.join(timeout)
        for sock in self._sockets:
            sock.close()

    def notify(self) -> None:
        """New events are in the state: wake the update streams waiting for them. Called from
        the sink's worker; does nothing while no stream waits."""
        loop = self._loop
        if self._waiting and not self._wake_pending and loop is not None:
            self._wake_pending = True
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake)

    def authorized(self, given: str | None) -> bool:
        if self.token is None:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def count_refusal(self, address: str) -> None:
        self.refused += 1
        now = time.monotonic()
        if self.refused == 1 or now - self._last_refusal_log >= 10:
            self._last_refusal_log = now
            log.warning(
                "web view: request from %s refused without the token (%d so far)",
                address,
                self.refused,
            )

    def asset(self, name: str) -> bytes:
        return self._assets[name]

    async def next_change(self, timeout: float) -> None:
        """Wait until ``notify`` or ``timeout`` seconds."""
        assert self._changed is not None
        self._waiting += 1
        try:
            await asyncio.wait_for(asyncio.shield(self._changed), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            self._waiting -= 1

    def _wake(self) -> None:
        self._wake_pending = False
        changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        if changed is not None and not changed.done():
            changed.set_result(None)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = self._loop.create_future()
        self._stop = asyncio.Event()
        app = tornado.web.Application(
            [
                (r"/", PageHandler, {"server": self}),
                (r"/static/(app\.js|app\.css|icon\.svg)", AssetHandler, {"server": self}),
                (r"/api/state", StateHandler, {"server": self}),
                (r"/api/updates", UpdatesHandler, {"server": self}),
                (r"/api/history", HistoryHandler, {"server": self}),
            ],
            default_handler_class=NotFoundHandler,
            default_handler_args={"server": self},
        )
        http = tornado.httpserver.HTTPServer(app, xheaders=False)
        http.add_sockets(self._sockets)
        self._ready.set()
        await self._stop.wait()
        http.stop()
        self._wake()  # update streams see the stop and end
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(http.close_all_connections(), 2.0)

    @property
    def stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()


class BaseHandler(tornado.web.RequestHandler):
    """Headers for every answer, and the token check before any route runs."""

    server: WebServer

    def initialize(self, server: WebServer, **_: Any) -> None:
        self.server = server

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cache-Control", "no-store")
        self.clear_header("Server")

    def prepare(self) -> None:
        given = self.get_query_argument("token", None)
        if self.server.authorized(given):
            if given is not None:
                self.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="Strict", path="/")
            return
        if self.server.authorized(self.get_cookie(TOKEN_COOKIE)):
            return
        self.server.count_refusal(self.request.remote_ip or "?")
        self.set_status(401)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("401: this view needs its token: open the URL the collector printed\n")

    def json(self, value: Any) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(orjson.dumps(value))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, StreamClosedError):  # a closed browser tab is not news
            super().log_exception(typ, value, tb)


class PageHandler(BaseHandler):
    def get(self) -> None:
        self.set_header("Content-Type", _ASSETS["index.html"])
        self.finish(self.server.asset("index.html"))


class AssetHandler(BaseHandler):
    def get(self, name: str) -> None:
        self.set_header("Content-Type", _ASSETS[name])
        self.finish(self.server.asset(name))


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            raise tornado.web.HTTPError(404)


class StateHandler(BaseHandler):
    def get(self) -> None:
        self.json({**self.server.state.snapshot(), **self.server.view, "now": time.time()})


class HistoryHandler(BaseHandler):
    def get(self) -> None:
        ids = []
        for part in self.get_query_argument("ids", "").split(",")[:_HISTORY_IDS]:
            if part.isdigit():
                ids.append(int(part))
        self.json({"now": time.time(), "history": self.server.state.history(ids)})


class UpdatesHandler(BaseHandler):
    """Server-Sent Events: a message per change (at most one per interval), a heartbeat
    carrying the time otherwise."""

    async def get(self) -> None:
        server = self.server
        if server.listeners >= MAX_LISTENERS:
            raise tornado.web.HTTPError(503, "too many update streams")
        try:
            since = int(self.get_query_argument("since", "-1"))
        except ValueError:
            since = -1
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("X-Accel-Buffering", "no")  # reverse proxies: do not buffer the stream
        server.listeners += 1
        try:
            await self._stream(since)
        except StreamClosedError:
            pass
        finally:
            server.listeners -= 1

    async def _stream(self, since: int) -> None:
        server = self.server
        state: WebState = server.state
        send: Callable[[bytes], Any] = self.write
        while not server.stopping:
            changes = state.changes(since)
            if changes is None:
                await server.next_change(_HEARTBEAT)
                if server.stopping:
                    break
                changes = state.changes(since)
            message = {"now": time.time()}
            if changes is not None:
                since = changes["version"]
                message.update(changes)
            send(b"data: " + orjson.dumps(message) + b"\n\n")
            await self.flush()
            await asyncio.sleep(server.interval)
