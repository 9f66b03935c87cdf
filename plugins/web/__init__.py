"""``web``: a live view in the browser, served by the collector itself.

``--sink web`` serves http://127.0.0.1:8765/; ``web?host=H&port=P`` chooses where (port 0: a
free one). A bind wider than loopback needs a token, generated unless given, printed once in
the URL; ``token=none`` serves without one, with a warning. Needs the ``web`` extra
(tornado): ``pip install 'hotprobe[web]'``.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from collector import Option, Sink, SinkSpec, hookimpl
from collector.options import count, count_or_zero, number_above_zero, text
from plugins.web.state import Limits, WebState

log = logging.getLogger("collector")

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765
NO_TOKEN = "none"
_MIN_TOKEN = 16


class WebSink(Sink):
    """Events update the state in memory (``write``); the server thread reads it.

    A batch waits at most 0.02 s to fill, not the collector's 0.2 s: the page shows what
    happens, and a batch costs the view no more than an update of its state."""

    delivery_defaults = {"max_delay": 0.02}

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        try:
            from plugins.web.server import WebServer
        except ImportError as exc:
            raise ValueError(
                f"the web sink needs {exc.name or 'tornado'}: pip install 'hotprobe[web]'"
            ) from None
        options = spec.options
        self.host = options["host"]
        port = options["port"]
        self.token = _token(options["token"], self.host)
        limits = Limits(points=options["points"], streams=options["streams"], runs=options["runs"])
        interval = options["interval"]
        view = {"interval": interval, "stalled_after": options["stalled_after"]}
        self.state = WebState(limits)
        try:
            self.server = WebServer(self.state, self.host, port, self.token, interval, view)
        except OSError as exc:
            raise ValueError(f"cannot serve on {self.host}:{port}: {exc.strerror or exc}") from None
        self.url = _url(self.host, self.server.port, self.token)
        print(f"hotprobe: web view at {self.url}", file=sys.stderr, flush=True)

    def open(self) -> None:
        self.server.start()

    def write(self, events: list[dict[str, Any]]) -> None:
        self.state.update(events, time.time())
        self.server.notify()

    def close(self) -> None:
        self.server.stop()
        if self.server.refused:
            log.warning("web view: %d requests refused without the token", self.server.refused)


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.x.y.z and ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _token(given: str | None, host: str) -> str | None:
    if given is not None and given.lower() == NO_TOKEN:
        if not is_loopback_host(host):
            log.warning(
                "web view on %s without a token: anyone who can reach this port sees every run",
                host,
            )
        return None
    if given is not None:
        if len(given) < _MIN_TOKEN:
            raise ValueError(f"token: at least {_MIN_TOKEN} characters (or 'none')")
        return given
    return None if is_loopback_host(host) else secrets.token_urlsafe(24)


def _url(host: str, port: int, token: str | None) -> str:
    shown = host.strip("[]")
    if shown in ("", "0.0.0.0", "::"):
        shown = socket.gethostname()
    elif ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _port(value: str) -> int:
    """A TCP port; 0 asks for a free one."""
    number = count_or_zero(value)
    if number > 65535:
        raise ValueError(f"expected a port 0..65535 (0: a free port), not {value!r}")
    return number


def _at_least(least: int) -> Callable[[str], int]:
    def convert(value: str) -> int:
        number = count_or_zero(value)
        if number < least:
            raise ValueError(f"expected a whole number >= {least}, not {value!r}")
        return number

    return convert


OPTIONS = (
    Option("host", "address to serve on (wider than loopback needs the token)", text, DEFAULT_HOST),
    Option("port", "port; 0: a free port", _port, DEFAULT_PORT),
    Option(
        "token",
        "the page's token; none: no token",
        text,
        None,
        default_text="generated off loopback",
    ),
    Option("interval", "seconds between two updates of the page at most", number_above_zero, 0.5),
    Option(
        "stalled_after",
        "seconds without an event before a stream is stalled, or idle for a tracked function",
        number_above_zero,
        10.0,
    ),
    Option("points", "history points kept per stream", _at_least(10), Limits.points),
    Option("streams", "streams kept per run", count, Limits.streams),
    Option("runs", "runs kept, the oldest finished ones forgotten first", count, Limits.runs),
)


@hookimpl
def register_sinks(register):
    register(
        "web",
        WebSink,
        description="a live view in the browser: runs, streams, groups and their history",
        options=OPTIONS,
        target=None,
    )
