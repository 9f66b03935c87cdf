"""The probe's side of CURVE: the collector's public key and this client's key pair.
Imported only when a key is configured (it imports zmq); key files are read by
``probe.protocol``."""

from __future__ import annotations

import os
from typing import Any

from probe.protocol import (
    Z85_KEY_LENGTH,
    KeyFileError,
    is_z85_key,
    read_key_file,
    read_keypair,
    refuse_open_secret_key,
)


def server_public_key(value: str | os.PathLike) -> bytes:
    """A public key given as itself (40 z85 characters) or as a key file.
    Raises ``KeyFileError``."""
    text = os.fspath(value)
    if len(text) == Z85_KEY_LENGTH and not os.path.exists(text):
        key = text.encode("ascii", "replace")
        if not is_z85_key(key):
            raise KeyFileError(f"server key {text!r} is neither 40 z85 characters nor a key file")
        return key
    return read_key_file(text)[0]


def client_keys(
    server_key: str | os.PathLike, client_key: str | os.PathLike | None
) -> tuple[bytes, bytes, bytes]:
    """(server public, client public, client secret), read and checked. Without a
    ``client_key``, a throwaway pair: encrypted, but a collector that checks keys refuses it.
    Raises ``KeyFileError``, also for a client key file its group or others may read (as the
    collector refuses its own)."""
    import zmq

    server = server_public_key(server_key)
    if not client_key:
        public, secret = zmq.curve_keypair()
        return server, public, secret
    public, secret = read_keypair(client_key)
    refuse_open_secret_key(client_key, "client key")
    return server, public, secret


def secure(sock: Any, keys: tuple[bytes, bytes, bytes]) -> None:
    """Make ``sock`` a CURVE client with ``client_keys(...)`` (before it connects)."""
    sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = keys
