"""``hotprobe collect`` settings from a TOML file and the command line (which wins).

The file uses the command line's option names, with dashes or underscores::

    bind = "tcp://127.0.0.1:5556"
    interval = 0.5
    key = ["run", "probe"]
    sink = ["stdout", "file:events.jsonl"]
    max-message-size = "4MiB"
"""

from __future__ import annotations

import sys
from typing import Any

from collector.config import SETTINGS, CollectorConfig, Setting
from collector.options import did_you_mean

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A setting that cannot be used; the message says what is wrong and what is allowed."""


#: Option name (as on the command line) -> its declaration.
OPTIONS: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


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
            hint = did_you_mean(option, OPTIONS)
            raise ConfigError(
                f"config file {path}: unknown option {name!r} (allowed: {allowed}){hint}"
            )
        values[option] = _convert(option, value, f"config file {path}: option {name!r}")
    return values


def build(
    file_values: dict[str, Any], cli_values: dict[str, Any], default_sink: str = "stdout"
) -> CollectorConfig:
    """Defaults, then the file, then the command line. Raises ``ConfigError``."""
    settings: dict[str, Any] = {"sinks": [default_sink]}
    for option, value in {**file_values, **cli_values}.items():
        settings[OPTIONS[option].attribute] = _convert(option, value, f"option --{option}")
    return CollectorConfig(**settings)


def _convert(option: str, value: Any, where: str) -> Any:
    try:
        return OPTIONS[option].convert(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
