"""CURVE key pairs on disk: ``hotprobe keys generate`` and loading them back."""

from __future__ import annotations

import os
from pathlib import Path

import zmq.auth


def generate(directory: str | os.PathLike, name: str) -> tuple[Path, Path]:
    """Write ``NAME.key`` (public) and ``NAME.key_secret`` (secret) into ``directory``.

    The directory is created owner-only (0700) and the secret file is written owner-only
    (0600) from the first byte. Refuses to overwrite an existing key pair."""
    folder = Path(directory)
    public, secret = folder / f"{name}.key", folder / f"{name}.key_secret"
    for path in (public, secret):
        if path.exists():
            raise FileExistsError(f"{path} exists: remove it first or pick another name")
    old_umask = os.umask(0o077)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        zmq.auth.create_certificates(str(folder), name)
    finally:
        os.umask(old_umask)
    public.chmod(0o644)  # public keys are meant to be copied
    return public, secret


def load_keypair(path: str | os.PathLike) -> tuple[bytes, bytes]:
    """(public, secret) from a ``.key_secret`` file; raises ValueError if it has no secret."""
    public, secret = zmq.auth.load_certificate(str(path))
    if not secret:
        raise ValueError(f"{path} holds no secret key (use the .key_secret file)")
    return public, secret
