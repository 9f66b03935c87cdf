"""What a probe and the collector agree on, written once (docs/protocol.md says it in prose).

The version, the event kinds and fields, the one timestamp form, run ids, the default endpoint
and the fan-in rule, the size limit, and the CURVE key files. Both sides import this module;
it imports nothing heavy (``zmq`` only inside the key functions).
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timezone

#: The ``v`` field of every event a probe writes.
PROTOCOL_VERSION = 1

#: Event kinds: a stream's ``start``, throttled ``progress``, ``end`` or ``error``, a one-off
#: ``mark``, and ``run``: what a run is (at its start) and how it ended (under ``hotprobe run``).
EVENT_KINDS = ("start", "progress", "end", "error", "mark", "run")

#: The ``probe`` field of ``run`` events (angle brackets: never a name the probe gives).
RUN_STREAM = "<run>"

#: The fields a probe writes in every event (``error`` and ``data`` only when they apply).
EVENT_FIELDS = (
    "v",
    "timestamp",
    "probe",
    "event",
    "n",
    "total",
    "unit",
    "elapsed",
    "rate",
    "host",
    "pid",
    "run",
    "seq",
    "dropped",
)


def utc_timestamp() -> str:
    """Now in the one form events carry: ISO 8601 in UTC with microseconds, e.g.
    ``2026-11-27T23:59:59.123456+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# -- run ids: ``NAME-YYYYmmddTHHMMSS-SUFFIX``, made alike by a probe and by ``hotprobe run`` --
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PYTHON = re.compile(r"python[0-9.]*[a-z]?(\.exe)?$")
_PYTHON_OPTIONS_WITH_VALUE = {"-W", "-X", "-Q"}


def script_name(argv: list[str]) -> str:
    """A short name for a command line: ``python train.py`` -> ``train``, ``python -m
    pkg.fit`` -> ``fit``, ``python -c ...`` -> ``python``, ``./run.sh`` -> ``run``."""
    if not argv:
        return "python"
    words = list(argv)
    if _PYTHON.match(os.path.basename(words[0])) and len(words) > 1:
        words = _python_target(words[1:])
    first = words[0] if words else ""
    if first in ("", "-", "-c"):
        return "python"
    stem = os.path.splitext(os.path.basename(first.rstrip("/")))[0]
    if stem == "__main__":  # python -m package, or python dir/: the package's name
        stem = os.path.basename(os.path.dirname(os.path.abspath(first))) or stem
    if stem == "ipykernel_launcher":
        stem = "jupyter"
    return _UNSAFE.sub("_", stem).strip("_.")[:40] or "run"


def _python_target(arguments: list[str]) -> list[str]:
    """What an interpreter runs, from its arguments: the script, the module, or ``-c``."""
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word == "-m" and index + 1 < len(arguments):
            return [arguments[index + 1].rpartition(".")[2]]
        if word.startswith("-m") and len(word) > 2:
            return [word[2:].rpartition(".")[2]]
        if word == "-c" or word.startswith("-c"):
            return ["-c"]
        if word in _PYTHON_OPTIONS_WITH_VALUE:
            index += 2
            continue
        if not word.startswith("-") or word == "-":
            return arguments[index:]
        index += 1
    return [""]


def new_run_id(argv: list[str], now: float | None = None) -> str:
    """``NAME-YYYYmmddTHHMMSS-SUFFIX``: the script's name, the start time (UTC) and six hex
    digits, so that ids read well and sort by time within a script's runs."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{script_name(argv)}-{stamp}-{os.urandom(3).hex()}"


#: Where a probe sends and a collector binds by default (the fan-in is the next port).
DEFAULT_ENDPOINT = "tcp://127.0.0.1:5556"

#: Messages larger than this are dropped by a collector with default options.
MAX_MESSAGE_SIZE = 1 << 20
#: An event the collector accepts is at most this many bytes and this many levels deep (the
#: object itself is level 1): every built-in sink can store what passes these bounds.
MAX_EVENT_BYTES = 2 << 20
MAX_DEPTH = 200

#: On a PAIR connection, a probe sends ``PAIR_HELLO`` (not an event) before its first event,
#: and the collector answers each one it reads with ``PAIR_ANSWER``: an answer proves that
#: this connection is the one the collector reads (a bound PAIR socket ignores a second peer
#: without a word). Clients that never send a hello are never answered.
PAIR_HELLO = b"hotprobe:hello"
PAIR_ANSWER = b"ok"

#: CURVE keys are 32 bytes, written as 40 z85 characters.
Z85_KEY_LENGTH = 40


def fan_in_endpoint(endpoint: str) -> str:
    """The PUSH/PULL endpoint paired with a PAIR endpoint: same host, next port.

    ``tcp://host:5556`` -> ``tcp://host:5557``; ``ipc:///path`` -> ``ipc:///path.fan-in``.
    """
    if endpoint.startswith("tcp://"):
        head, _, port = endpoint.rpartition(":")
        if port.isdigit():
            return f"{head}:{int(port) + 1}"
    return endpoint + ".fan-in"


def is_loopback(endpoint: str) -> bool:
    """True for endpoints only this machine can reach: ``ipc://``, ``inproc://``, and TCP to
    ``localhost``, ``127.x.y.z`` or ``[::1]`` (``tcp://localhost.example:1`` is not)."""
    if endpoint.startswith(("ipc://", "inproc://")):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://") :].rpartition(":")[0]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in ("localhost", "::1"):
        return True
    parts = host.split(".")
    return (
        len(parts) == 4
        and parts[0] == "127"
        and all(part.isdigit() and int(part) < 256 for part in parts)
    )


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
    if not is_z85_key(public) or (secret is not None and not is_z85_key(secret)):
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


def refuse_open_secret_key(path: str | os.PathLike, name: str) -> None:
    """Raise ``KeyFileError`` when the secret key file at ``path`` grants its group or others
    any access, as ssh refuses such a private key: the message starts with ``name`` (what the
    file was given as) and says the ``chmod`` that fixes it. Not on Windows, whose file modes
    do not say who may read a file."""
    import shlex
    import stat

    if os.name == "nt":
        return
    path = os.path.expanduser(os.fspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError as exc:
        raise KeyFileError(f"{name} {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{name} {path}: permissions {mode:04o} are too open, others than its owner can "
            f"read the secret key; run chmod 600 {shlex.quote(path)}"
        )


def is_z85_key(key: bytes) -> bool:
    """True for a well-formed CURVE key in z85 (40 characters that decode)."""
    from zmq.utils import z85

    if len(key) != Z85_KEY_LENGTH:
        return False
    try:
        z85.decode(key)
    except Exception:  # KeyError, ValueError, struct.error: not z85, or out of range
        return False
    return True
