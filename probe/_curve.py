"""CURVE key files, and the probe's side of CURVE: the collector's public key and this
client's key pair. Imported only when a key is configured (it imports zmq)."""

from __future__ import annotations

import os
from typing import Any

Z85_KEY_LENGTH = 40


class KeyFileError(ValueError):
    """A key or key file that cannot be used; the message names it and says why."""


def read_key_file(path: str | os.PathLike) -> tuple[bytes, bytes | None]:
    """(public, secret or None) from a ``.key`` / ``.key_secret`` file, both checked: 40 z85
    characters each, and the public key is the secret key's. Raises ``KeyFileError``."""
    import zmq
    import zmq.auth

    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise KeyFileError(f"no such key file: {path}")
    try:
        public, secret = zmq.auth.load_certificate(path)
    except Exception as exc:  # OSError, ValueError, IndexError on a line without "="
        raise KeyFileError(f"cannot read key file {path}: {exc!r}") from None
    if not _is_z85_key(public) or (secret is not None and not _is_z85_key(secret)):
        raise KeyFileError(f"key file {path} holds a malformed key (expected 40 z85 characters)")
    if secret is not None and zmq.curve_public(secret) != public:
        raise KeyFileError(f"key file {path}: its public key does not belong to its secret key")
    return public, secret


def read_keypair(path: str | os.PathLike) -> tuple[bytes, bytes]:
    """(public, secret) from a ``.key_secret`` file. Raises ``KeyFileError``."""
    public, secret = read_key_file(path)
    if secret is None:
        raise KeyFileError(f"{path} holds no secret key (use the .key_secret file)")
    return public, secret


def server_public_key(value: str | os.PathLike) -> bytes:
    """A public key given as itself (40 z85 characters) or as a key file.
    Raises ``KeyFileError``."""
    text = os.fspath(value)
    if len(text) == Z85_KEY_LENGTH and not os.path.exists(text):
        key = text.encode("ascii", "replace")
        if not _is_z85_key(key):
            raise KeyFileError(f"server key {text!r} is neither 40 z85 characters nor a key file")
        return key
    return read_key_file(text)[0]


def client_keys(
    server_key: str | os.PathLike, client_key: str | os.PathLike | None
) -> tuple[bytes, bytes, bytes]:
    """(server public, client public, client secret), read and checked. Without a
    ``client_key``, a throwaway pair: encrypted, but a collector that checks keys refuses it.
    Raises ``KeyFileError``."""
    import zmq

    server = server_public_key(server_key)
    public, secret = read_keypair(client_key) if client_key else zmq.curve_keypair()
    return server, public, secret


def secure(sock: Any, keys: tuple[bytes, bytes, bytes]) -> None:
    """Make ``sock`` a CURVE client with ``client_keys(...)`` (before it connects)."""
    sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = keys


def _is_z85_key(key: bytes) -> bool:
    from zmq.utils import z85

    if len(key) != Z85_KEY_LENGTH:
        return False
    try:
        z85.decode(key)
    except Exception:  # KeyError, ValueError, struct.error: not z85, or out of range
        return False
    return True
