"""A real HTTP server on a free loopback port, standing in for a chat service's webhook: it
records every request and answers as a test tells it (statuses in turn, or hanging)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    received: float  # time.time()

    def json(self) -> dict:
        return orjson.loads(self.body)


class WebhookServer:
    """``answers`` are the statuses of the next requests, in turn (then ``default``);
    ``hang`` seconds are waited before answering while it is set."""

    def __init__(self, default: int = 200) -> None:
        self.requests: list[Request] = []
        self.answers: list[int] = []
        self.default = default
        self.hang = 0.0
        self._lock = threading.Lock()
        self._released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if server.hang:
                    server._released.wait(server.hang)
                with server._lock:
                    status = server.answers.pop(0) if server.answers else server.default
                    if 200 <= status < 300:
                        headers = {k: v for k, v in self.headers.items()}
                        server.requests.append(Request(self.path, headers, body, time.time()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> WebhookServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def accepted(self) -> list[Request]:
        """The requests answered with a 2xx, in order."""
        with self._lock:
            return list(self.requests)
