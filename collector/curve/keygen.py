"""CURVE key pairs on disk for ``hotprobe keys generate``, in the certificate format pyzmq and
czmq read (``zmq.auth.load_certificate``)."""

from __future__ import annotations

import datetime
import os
import re
import stat
from pathlib import Path

import zmq

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def generate(directory: str | os.PathLike, name: str) -> tuple[Path, Path]:
    """Write ``NAME.key`` (public, 0644) and ``NAME.key_secret`` (secret, 0600) into
    ``directory``, creating it owner-only (0700) if it does not exist.

    Each file is created exclusively, never through a symbolic link and never over an existing
    file (``FileExistsError``); a ``NAME`` that is not a plain file name raises ``ValueError``."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"key name {name!r}: use letters, digits, '.', '_' and '-'")
    folder = Path(directory).expanduser()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"--dir {folder} is not a directory")
    public_path, secret_path = folder / f"{name}.key", folder / f"{name}.key_secret"
    for path in (public_path, secret_path):
        if os.path.lexists(path):
            raise FileExistsError(f"{path} exists: remove it first or pick another name")
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    public, secret = zmq.curve_keypair()
    _write_exclusive(secret_path, _certificate(public, secret), 0o600)
    try:
        _write_exclusive(public_path, _certificate(public), 0o644)
    except BaseException:
        secret_path.unlink()
        raise
    return public_path, secret_path


def loose_permissions(directory: str | os.PathLike) -> bool:
    """True when others than the owner may read or enter ``directory``."""
    return bool(os.stat(directory).st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def _certificate(public: bytes, secret: bytes | None = None) -> bytes:
    kind = "secret" if secret else "public"
    lines = [
        f"#   ****  hotprobe CURVE {kind} key, generated {datetime.datetime.now():%Y-%m-%d %H:%M}",
        "#   ****  " + ("keep it owner-only; never copy it" if secret else "copy it freely"),
        "",
        "metadata",
        "curve",
        f'    public-key = "{public.decode("ascii")}"',
    ]
    if secret:
        lines.append(f'    secret-key = "{secret.decode("ascii")}"')
    return ("\n".join(lines) + "\n").encode("ascii")


def _write_exclusive(path: Path, content: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, mode)
    try:
        os.fchmod(descriptor, mode)  # the umask may have taken bits off
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        path.unlink()  # no half-written key left to block the next attempt
        raise
    os.close(descriptor)
