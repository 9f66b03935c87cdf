"""``hotprobe collect`` settings from a TOML file and the command line (which wins).

The file uses the command line's option names, with dashes or underscores::

    bind = "tcp://127.0.0.1:5556"
    interval = 0.5
    key = ["run", "probe"]
    sink = ["stdout", "file:events.jsonl"]
    max-message-size = "4MiB"
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

from collector.config import CollectorConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A setting that cannot be used; the message says what is wrong and what is allowed."""


def seconds(value: Any) -> float:
    """A number of seconds >= 0."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number of seconds >= 0, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a number of seconds >= 0, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"expected a number of seconds >= 0, not {value!r}")
    return number


_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20}
_SIZE_UNITS.update({"kb": 1 << 10, "mb": 1 << 20, "g": 1 << 30, "gib": 1 << 30, "gb": 1 << 30})


def size(value: Any) -> int:
    """A positive number of bytes: ``1048576``, ``"512KiB"``, ``"4M"`` (units are binary)."""
    problem = f"expected a size in bytes > 0 such as 1048576 or 4MiB, not {value!r}"
    if isinstance(value, bool):
        raise ValueError(problem)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip().lower()
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ")
        unit = text[len(digits) :].strip()
        if not digits.isdigit() or unit not in _SIZE_UNITS:
            raise ValueError(problem)
        number = int(digits) * _SIZE_UNITS[unit]
    else:
        raise ValueError(problem)
    if number <= 0:
        raise ValueError(problem)
    return number


def count(value: Any) -> int:
    """A whole number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a whole number > 0, not {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number > 0, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"expected a whole number > 0, not {value!r}")
    return number


def whole_number(value: Any) -> int:
    """A whole number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"expected a whole number >= 0, not {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"expected a whole number >= 0, not {value!r}") from None
    if number < 0:
        raise ValueError(f"expected a whole number >= 0, not {value!r}")
    return number


def stream_key(value: Any) -> tuple[str, ...]:
    """Field names: ``"host,pid,probe"`` or a list of strings."""
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"expected field names such as host,pid,probe, not {value!r}")
    names = tuple(name.strip() for name in names)
    if not names or not all(names):
        raise ValueError(f"expected field names such as host,pid,probe, not {value!r}")
    return names


def text_list(value: Any) -> list[str]:
    """One string or a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return list(value)
    raise ValueError(f"expected a string or a list of strings, not {value!r}")


def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, not {value!r}")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, not {value!r}")
    return value


#: Option name (as on the command line) -> (CollectorConfig field, converter).
OPTIONS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "bind": ("bind", text_list),
    "fan-in": ("fan_in", text_list),
    "interval": ("interval", seconds),
    "key": ("key", stream_key),
    "trailing": ("trailing", flag),
    "sink": ("sinks", text_list),
    "dead-letter": ("dead_letter", text),
    "dead-letter-max-bytes": ("dead_letter_max_bytes", size),
    "dead-letter-backups": ("dead_letter_backups", whole_number),
    "max-message-size": ("max_message_size", size),
    "stats-interval": ("stats_interval", seconds),
    "shutdown-timeout": ("shutdown_timeout", seconds),
    "sink-stall-after": ("sink_stall_after", seconds),
    "quiet": ("quiet", flag),
    "batch-size": ("batch_size", count),
    "max-delay": ("max_delay", seconds),
    "spool-dir": ("spool_dir", text),
    "spool-max-bytes": ("spool_max_bytes", size),
    "curve-secret-key": ("curve_secret_key", text),
    "curve-clients": ("curve_clients", text),
}


def read_file(path: str) -> dict[str, Any]:
    """The options in a TOML file, by command-line name. Raises ``ConfigError``."""
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    values = {}
    for name, value in document.items():
        option = name.replace("_", "-")
        if option not in OPTIONS:
            allowed = ", ".join(sorted(OPTIONS))
            raise ConfigError(f"config file {path}: unknown option {name!r} (allowed: {allowed})")
        values[option] = _convert(option, value, f"config file {path}: option {name!r}")
    return values


def build(
    file_values: dict[str, Any], cli_values: dict[str, Any], default_sink: str = "stdout"
) -> CollectorConfig:
    """Defaults, then the file, then the command line. Raises ``ConfigError``."""
    settings: dict[str, Any] = {"sinks": [default_sink]}
    for option, value in {**file_values, **cli_values}.items():
        attribute, _ = OPTIONS[option]
        settings[attribute] = _convert(option, value, f"option --{option}")
    return CollectorConfig(**settings)


def _convert(option: str, value: Any, where: str) -> Any:
    try:
        return OPTIONS[option][1](value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
