"""CURVE on the collector's side: encryption, and only allowed client keys get in."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import zmq
from zmq.auth.thread import ThreadAuthenticator

from collector.keys import load_keypair

log = logging.getLogger("collector")


@dataclass
class CurveServer:
    """The collector's key pair and the directory of client public keys allowed in."""

    secret_key_file: str
    clients_dir: str
    refused: int = 0
    _authenticator: ThreadAuthenticator | None = field(default=None, repr=False)

    def start(self, context: zmq.Context) -> None:
        """Start ZAP authentication on ``context`` (before any socket binds)."""
        if not os.path.isdir(self.clients_dir):
            raise ValueError(f"--curve-clients {self.clients_dir!r} is not a directory")
        self._public, self._secret = load_keypair(self.secret_key_file)
        authenticator = _CountingAuthenticator(self, context)
        authenticator.start()
        authenticator.configure_curve(domain="*", location=self.clients_dir)
        self._authenticator = authenticator

    def secure(self, sock: zmq.Socket) -> None:
        """Make ``sock`` a CURVE server socket (before it binds)."""
        sock.curve_secretkey = self._secret
        sock.curve_publickey = self._public
        sock.curve_server = True

    def stop(self) -> None:
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None


class _CountingAuthenticator(ThreadAuthenticator):
    """pyzmq's authenticator, counting refusals and logging the first one per peer address."""

    def __init__(self, server: CurveServer, context: zmq.Context) -> None:
        super().__init__(context, log=logging.getLogger("collector.auth"))
        self._server = server
        self._address = ""
        self._reported: set[str] = set()

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        self._address = msg[3].decode("utf-8", "replace") if len(msg) > 3 else "?"
        await super().handle_zap_message(msg)

    def _send_zap_reply(self, request_id, status_code, status_text, user_id="anonymous"):
        if status_code != b"200":
            self._server.refused += 1
            if self._address not in self._reported:
                self._reported.add(self._address)
                log.warning(
                    "refused a client from %s: %s (further refusals from it are only counted)",
                    self._address or "?",
                    status_text.decode("utf-8", "replace"),
                )
        super()._send_zap_reply(request_id, status_code, status_text, user_id)
