"""Probe settings: defaults, environment variables and ``probe.configure``."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

from probe._runinfo import format_labels, parse_labels
from probe.protocol import DEFAULT_ENDPOINT, fan_in_endpoint, new_run_id

SOCKET_KINDS = ("auto", "pair", "push")

#: Set to ``1`` by ``hotprobe run`` for the command it starts: that process describes the run
#: (it sends the ``run`` event) although the run id was given to it.
RUN_START_VARIABLE = "HOTPROBE_RUN_START"


def _claims_run() -> bool:
    """True if this process starts the run rather than joining its parent's: it made the run
    id itself, or was told so through ``HOTPROBE_RUN_START`` (taken out of the environment, so
    that the processes this one starts join its run)."""
    told = os.environ.pop(RUN_START_VARIABLE, "") == "1"
    return told or not os.environ.get("HOTPROBE_RUN")


def _new_run_id() -> str:
    """One id per job: inherited by child processes through ``HOTPROBE_RUN``."""
    run = os.environ.get("HOTPROBE_RUN")
    if not run:
        run = new_run_id(sys.argv)
        os.environ["HOTPROBE_RUN"] = run
    return run


#: Labels longer than this stay out of ``HOTPROBE_LABELS``: Linux refuses an environment
#: string over 128 KiB, and every later ``subprocess`` call would fail with E2BIG.
MAX_LABELS_IN_ENVIRONMENT = 32 << 10


def share_with_children(settings: Settings, changed: set[str]) -> str | None:
    """Write this process's run id and labels, where ``changed`` names them, to
    ``HOTPROBE_RUN`` and ``HOTPROBE_LABELS``: processes started from now on (``subprocess``,
    ``multiprocessing`` spawn) read them there and join the run as it is now. Never raises:
    returns what could not be shared, for a warning, or None."""
    try:
        if "run" in changed:
            os.environ["HOTPROBE_RUN"] = settings.run
        if "labels" in changed:
            text = format_labels(settings.labels) if settings.labels else ""
            if len(text) > MAX_LABELS_IN_ENVIRONMENT:
                os.environ.pop("HOTPROBE_LABELS", None)
                return (
                    f"labels of {len(text):,} characters are too long to pass to child "
                    f"processes (at most {MAX_LABELS_IN_ENVIRONMENT:,}): they send none"
                )
            if text:
                os.environ["HOTPROBE_LABELS"] = text
            else:
                os.environ.pop("HOTPROBE_LABELS", None)
    except (ValueError, UnicodeError, OSError) as exc:  # a NUL or a lone surrogate in run
        return f"cannot pass the run to child processes: {exc!r}"
    return None


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


@dataclass
class Settings:
    """What the probe sends, where, and how often."""

    endpoint: str = DEFAULT_ENDPOINT
    fan_in: str | None = None
    socket: str = "auto"
    min_interval: float = 0.05
    enabled: bool = True
    run: str = field(default_factory=_new_run_id)
    exit_timeout: float = 0.5
    server_key: str | os.PathLike | None = None  # the collector's public key (z85) or .key file
    client_key: str | os.PathLike | None = None  # this client's .key_secret file
    labels: dict[str, Any] = field(default_factory=dict)  # the user's own, sent in ``run``

    @property
    def fan_in_endpoint(self) -> str:
        return self.fan_in or fan_in_endpoint(self.endpoint)

    @classmethod
    def from_environment(cls) -> Settings:
        env = os.environ
        return cls(
            endpoint=env.get("HOTPROBE_ENDPOINT") or DEFAULT_ENDPOINT,
            fan_in=env.get("HOTPROBE_FAN_IN") or None,
            socket=(env.get("HOTPROBE_SOCKET") or "auto").lower(),
            min_interval=_env_float("HOTPROBE_MIN_INTERVAL", 0.05),
            enabled=env.get("HOTPROBE_DISABLE", "").strip().lower() not in ("1", "true", "yes"),
            server_key=env.get("HOTPROBE_SERVER_KEY") or None,
            client_key=env.get("HOTPROBE_CLIENT_KEY") or None,
            labels=parse_labels(env.get("HOTPROBE_LABELS", "")),
        )


#: Whether this process sends the run's ``run`` event (read before the run id is made).
starts_run = _claims_run()
settings = Settings.from_environment()
