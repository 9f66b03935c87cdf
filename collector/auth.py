"""CURVE on the collector's side: encryption, and only allowed client keys get in.

pyzmq's ``ThreadAuthenticator`` answers libzmq's ZAP requests. The allowed keys are the
public key files in the clients directory, read again whenever the directory changes, so a
key is granted or revoked by adding or removing its file, without a restart.
"""

from __future__ import annotations

import logging
import os

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from collector.keys import load_keypair

log = logging.getLogger("collector")


class CurveServer:
    """The collector's key pair and the directory of client public keys allowed in.

    Raises ``ValueError`` when the key file or the directory cannot be used."""

    def __init__(self, secret_key_file: str, clients_dir: str) -> None:
        if not os.path.isdir(clients_dir):
            raise ValueError(f"--curve-clients {clients_dir!r} is not a directory")
        try:
            self._public, self._secret = load_keypair(secret_key_file)
        except OSError as exc:
            raise ValueError(f"cannot read --curve-secret-key {secret_key_file!r}: {exc}") from None
        self.clients_dir = clients_dir
        self._allowed = _AllowedKeys(clients_dir)
        if not self._allowed.current():
            log.warning("no client keys in %s: every client will be refused", clients_dir)
        self._authenticator: ThreadAuthenticator | None = None

    def start(self, context: zmq.Context) -> None:
        """Start answering ZAP requests on ``context`` (before any socket binds)."""
        authenticator = _ReportingAuthenticator(self._allowed, context)
        authenticator.start()
        authenticator.configure_curve_callback(domain="*", credentials_provider=authenticator)
        self._authenticator = authenticator

    def secure(self, sock: zmq.Socket) -> None:
        """Make ``sock`` a CURVE server socket (before it binds)."""
        sock.curve_secretkey = self._secret
        sock.curve_publickey = self._public
        sock.curve_server = True

    def stop(self) -> None:
        """Stop the authenticator thread (before the context is terminated)."""
        if self._authenticator is not None:
            self._authenticator.stop()
            self._authenticator = None


class _AllowedKeys:
    """The z85 public keys of the ``.key`` files in a directory, re-read when it changes."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._stamp: int | None = None
        self._keys: set[bytes] = set()

    def current(self) -> set[bytes]:
        try:
            stamp = os.stat(self.directory).st_mtime_ns
        except OSError:
            return self._keys  # the directory is gone: keep what was allowed
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._keys = set(zmq.auth.load_certificates(self.directory))
            except (OSError, ValueError) as exc:
                log.error(
                    "cannot read the client keys in %s: %s (the keys read before are kept)",
                    self.directory,
                    exc,
                )
        return self._keys


class _ReportingAuthenticator(ThreadAuthenticator):
    """pyzmq's authenticator, checking keys against the clients directory and logging the
    first refusal from each peer address (libzmq counts them: the collector's monitor)."""

    def __init__(self, allowed: _AllowedKeys, context: zmq.Context) -> None:
        super().__init__(context, log=logging.getLogger("collector.auth"))
        self._client_keys = allowed
        self._address = "?"
        self._reported: set[str] = set()

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        # ZAP request frames: version, request id, domain, address, identity, mechanism, ...
        self._address = msg[3].decode("utf-8", "replace") if len(msg) > 3 else "?"
        await super().handle_zap_message(msg)

    def callback(self, domain: str, key: bytes) -> bool:
        """The credentials-provider hook: is this client's z85 public ``key`` allowed?"""
        if key in self._client_keys.current():
            return True
        if self._address not in self._reported:
            self._reported.add(self._address)
            log.warning(
                "refused a client from %s: its public key %s is not in %s "
                "(further refusals from that address are only counted)",
                self._address,
                key.decode("ascii", "replace"),
                self._client_keys.directory,
            )
        return False
