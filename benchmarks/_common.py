"""What several benchmarks share: a bare reader bound to the probe's endpoints, and the
measuring process a benchmark runs of itself (``X.py --measure``) with a clean environment."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

_BIND = """
import sys, zmq, zmq.auth
context = zmq.Context()
poller = zmq.Poller()
for kind, endpoint in ((zmq.PAIR, sys.argv[1]), (zmq.PULL, sys.argv[2])):
    sock = context.socket(kind)
    if len(sys.argv) > 3:  # a CURVE server (no ZAP handler: any client key is let in)
        sock.curve_publickey, sock.curve_secretkey = zmq.auth.load_certificate(sys.argv[3])
        sock.curve_server = True
    sock.bind(endpoint)
    poller.register(sock, zmq.POLLIN)
print("ready", flush=True)
"""
_DISCARD = """
while True:
    for sock, _ in poller.poll():
        sock.recv()
"""
_COUNT_ENDS = """
import time, orjson
ends, quiet_since = set(), None
while True:
    ready = poller.poll(200)
    for sock, _ in ready:
        message = sock.recv()
        if message.startswith(b"{"):
            event = orjson.loads(message)
            if event.get("event") == "end":
                ends.add(event["probe"])
            if sock.socket_type == zmq.PAIR:
                try:
                    sock.send(b"ok", zmq.NOBLOCK)
                except zmq.Again:  # the probe's process is gone: nobody to answer
                    pass
    if not ready and quiet_since and time.monotonic() - quiet_since > 3:
        break
    if not ready and quiet_since is None and ends:
        quiet_since = time.monotonic()
    elif ready:
        quiet_since = None
print(len(ends), flush=True)
"""


def start_reader(
    endpoint: str, secret_key: str | None = None, *, count_ends: bool = False
) -> subprocess.Popen:
    """A process bound to ``endpoint`` (PAIR) and its fan-in (PULL), ready when this returns;
    a CURVE server when given its ``.key_secret`` file. It discards messages until killed, or
    with ``count_ends`` answers PAIR events and, 3 s after the last message once an ``end``
    has come, prints how many streams ended and exits."""
    head, _, port = endpoint.rpartition(":")
    program = _BIND + (_COUNT_ENDS if count_ends else _DISCARD)
    command = [sys.executable, "-c", program, endpoint, f"{head}:{int(port) + 1}"]
    command += [secret_key] if secret_key else []
    reader = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert reader.stdout is not None and reader.stdout.readline().strip() == "ready"
    return reader


def clean_environment() -> dict[str, str]:
    """This process's environment without any ``HOTPROBE_`` variable."""
    return {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}


def iteration_parser(doc: str, n: int, repeats: int, repeats_help: str) -> argparse.ArgumentParser:
    """Options ``--n`` and ``--repeats``, and the hidden ``--measure`` that makes the
    benchmark its own measuring process; the description is the first line of ``doc``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--n", type=int, default=n, help="iterations per timed loop")
    parser.add_argument("--repeats", type=int, default=repeats, help=repeats_help)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    return parser


def run_measuring(
    script: str, args: argparse.Namespace, env: dict[str, str], timeout: float, label: str
) -> dict:
    """What ``script --measure`` prints with these ``--n`` and ``--repeats``, run under
    ``env``; a failure ends the benchmark with its stderr."""
    command = [sys.executable, script, "--measure", "--n", str(args.n)]
    command += ["--repeats", str(args.repeats)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    if output.returncode != 0:
        raise SystemExit(f"{label}: measuring process failed:\n{output.stderr}")
    return json.loads(output.stdout)
