"""CURVE on the collector's side: encryption, and only allowed client keys get in.

pyzmq's ``ThreadAuthenticator`` answers libzmq's ZAP requests, one per new connection. The
allowed keys are the public key files (``*.key``) in the clients directory, read again
whenever a file there is added, removed or changed, so new connections follow the directory
without a restart. Connections already in keep going until they close.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading

import zmq
from zmq.auth.thread import ThreadAuthenticator

from probe.protocol import KeyFileError, read_key_file, read_keypair, refuse_open_secret_key

log = logging.getLogger("collector")

#: Refusals are logged for this many peer addresses; after that they are only counted.
MAX_REPORTED_ADDRESSES = 1000

_peer_address: contextvars.ContextVar[str] = contextvars.ContextVar("peer_address", default="?")


def curve_server(secret_key_file: str | None, clients_dir: str | None) -> CurveServer | None:
    """The ``CurveServer`` for ``--curve-secret-key`` and ``--curve-clients``; None when
    neither is given. Raises ``KeyFileError``."""
    if secret_key_file is None and clients_dir is None:
        return None
    return CurveServer(secret_key_file, clients_dir)


class CurveServer:
    """The collector's key pair and the directory of client public keys allowed in.

    Raises ``KeyFileError`` (a ``ValueError``) when the key file or the directory cannot be
    used."""

    def __init__(self, secret_key_file: str | None, clients_dir: str | None) -> None:
        if secret_key_file is None or clients_dir is None:
            raise KeyFileError(
                "--curve-secret-key and --curve-clients go together: the collector's secret "
                "key file and the directory of the client public keys it allows"
            )
        if not os.path.isdir(clients_dir):
            raise KeyFileError(f"--curve-clients {clients_dir!r} is not a directory")
        try:
            self._public, self._secret = read_keypair(secret_key_file)
        except KeyFileError as exc:
            raise KeyFileError(f"--curve-secret-key: {exc}") from None
        refuse_open_secret_key(secret_key_file, "--curve-secret-key")
        self.client_keys = AllowedKeys(clients_dir)
        if not self.client_keys.current():
            log.warning("no client keys in %s: every client will be refused", clients_dir)
        self._authenticator: ThreadAuthenticator | None = None

    def start(self, context: zmq.Context) -> None:
        """Start answering ZAP requests on ``context`` (before any socket binds)."""
        authenticator = _ReportingAuthenticator(self.client_keys, context)
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


class AllowedKeys:
    """The public keys of the ``*.key`` files in a directory. A file that cannot be read is
    left out and logged once; the others still count."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._lock = threading.Lock()  # the authenticator thread and the main thread read
        self._stamp: frozenset | None = None
        self._keys: set[bytes] = set()
        self._reported_bad: set[tuple] = set()

    def current(self) -> set[bytes]:
        """The allowed keys (z85), re-read if any key file was added, removed or changed."""
        with self._lock:
            try:
                files = self._key_files()
            except OSError as exc:
                log.error("cannot list %s: %s (the keys read before are kept)", self.directory, exc)
                return self._keys
            stamp = frozenset(files)
            if stamp != self._stamp:
                self._keys = {key for key in map(self._read, sorted(files)) if key is not None}
                self._stamp = stamp
            return self._keys

    def _key_files(self) -> set[tuple[str, int, int, int, int, int]]:
        """(name, inode, size, mode, mtime, ctime) of every ``*.key`` file: any change to a
        file, its permissions included, shows in the set."""
        files = set()
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if not entry.name.endswith(".key"):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    info = entry.stat()
                except FileNotFoundError:  # removed while listing: not allowed any more
                    continue
                files.add(
                    (entry.name, info.st_ino, info.st_size, info.st_mode, info.st_mtime_ns,
                     info.st_ctime_ns)
                )  # fmt: skip
        return files

    def _read(self, file: tuple) -> bytes | None:
        try:
            return read_key_file(os.path.join(self.directory, file[0]))[0]
        except Exception as exc:  # KeyFileError, or anything unforeseen: leave this one out
            if file not in self._reported_bad:
                self._reported_bad.add(file)
                log.error("client key left out: %s", exc)
            return None


class _ReportingAuthenticator(ThreadAuthenticator):
    """pyzmq's authenticator, checking keys against the clients directory and logging the
    first refusal from each peer address (the collector's socket monitor counts them)."""

    def __init__(self, allowed: AllowedKeys, context: zmq.Context) -> None:
        super().__init__(context, log=logging.getLogger("collector.curve.server"))
        self._client_keys = allowed
        self._reported: set[str] = set()

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        # ZAP request frames: version, request id, domain, address, identity, mechanism, ...
        _peer_address.set(msg[3].decode("utf-8", "replace") if len(msg) > 3 else "?")
        await super().handle_zap_message(msg)

    def callback(self, domain: str, key: bytes) -> bool:
        """The credentials-provider hook: is this client's z85 public ``key`` allowed?
        Never raises: an unexpected error refuses the client and is logged."""
        try:
            if key in self._client_keys.current():
                return True
            self._report(_peer_address.get(), key)
        except Exception as exc:  # the authenticator thread must survive anything
            log.error("refused a client: checking its key failed: %r", exc)
        return False

    def _report(self, address: str, key: bytes) -> None:
        if address in self._reported or len(self._reported) > MAX_REPORTED_ADDRESSES:
            return
        self._reported.add(address)
        if len(self._reported) > MAX_REPORTED_ADDRESSES:
            log.warning(
                "refusals from more than %d addresses: the rest are only counted",
                MAX_REPORTED_ADDRESSES,
            )
            return
        log.warning(
            "refused a client from %s: its public key %s is not in %s "
            "(further refusals from that address are only counted)",
            address,
            key.decode("ascii", "replace"),
            self._client_keys.directory,
        )
