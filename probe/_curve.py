"""CURVE on the probe's side: the collector's public key and this client's key pair."""

from __future__ import annotations

import os
from typing import Any


def _public_key(value: str) -> bytes:
    """A z85 public key given as itself (40 characters) or as a path to a key file."""
    if len(value) == 40 and not os.path.exists(value):
        return value.encode("ascii")
    import zmq.auth

    public, _ = zmq.auth.load_certificate(value)
    return public


def secure(sock: Any, server_key: str, client_key: str | None) -> None:
    """Make ``sock`` a CURVE client of the collector whose public key is ``server_key``.

    ``client_key`` is this client's ``.key_secret`` file; without one, a throwaway key pair
    is used (the traffic is encrypted, but a collector that checks keys will refuse it).
    """
    import zmq
    import zmq.auth

    if client_key:
        public, secret = zmq.auth.load_certificate(client_key)
        if not secret:
            raise ValueError(f"{client_key} holds no secret key (use the .key_secret file)")
    else:
        public, secret = zmq.curve_keypair()
    sock.curve_serverkey = _public_key(server_key)
    sock.curve_publickey = public
    sock.curve_secretkey = secret
