"""What an option is: a name, a help text, a converter and a default, declared once.

Sink options (``--sink 'live?refresh=2'``), the delivery options every sink takes and the
collector's own settings are all declared as ``Option``; the registry, the command line, the
TOML file and ``hotprobe sinks`` are made from the declarations. A converter takes the value
as written (text from a command line or a ``--sink`` query, or a TOML value) and returns it
converted, or raises ``ValueError`` saying what it expected.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Converter = Callable[[Any], Any]


def text(value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, not {value!r}")
    return value


@dataclass(frozen=True)
class Option:
    """One option: ``Option("refresh", "redraws per second", number_above_zero, 4.0)``.

    ``default_text`` is what help shows as the default when the value itself would not say it
    well (``"what fits the terminal"`` for ``None``, ``"1GiB"`` for ``1 << 30``)."""

    name: str
    help: str
    convert: Converter = text
    default: Any = None
    default_text: str | None = None

    def read(self, value: Any) -> Any:
        """``value`` converted; ``ValueError`` naming the option otherwise."""
        try:
            return self.convert(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"option {self.name}={value!r}: {exc}") from None

    @property
    def shown_default(self) -> str | None:
        """The default as help shows it, or ``None`` when there is nothing to show."""
        if self.default_text is not None:
            return self.default_text
        return show(self.default)

    @property
    def described(self) -> str:
        """The help text with its default: ``redraws per second (default 4)``."""
        default = self.shown_default
        return self.help if default is None else f"{self.help} (default {default})"


def show(value: Any) -> str | None:
    """A default as a person reads it: ``4`` for ``4.0``, ``host,pid,probe``, ``off``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def size_text(number: int) -> str:
    """A number of bytes as ``size`` reads it, in the largest unit that divides it: ``64MiB``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if number % factor == 0:
            return f"{number // factor}{unit}"
    return str(number)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'refresh'?"`` for the closest candidate, or ``""`` if none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def seconds(value: Any) -> float:
    """A number of seconds >= 0."""
    number = _number(value, f"expected a number of seconds >= 0, not {value!r}")
    if number < 0:
        raise ValueError(f"expected a number of seconds >= 0, not {value!r}")
    return number


def number_above_zero(value: Any) -> float:
    """A number > 0."""
    number = _number(value, f"expected a number > 0, not {value!r}")
    if number <= 0:
        raise ValueError(f"expected a number > 0, not {value!r}")
    return number


def count(value: Any) -> int:
    """A whole number > 0."""
    number = _whole(value, f"expected a whole number > 0, not {value!r}")
    if number <= 0:
        raise ValueError(f"expected a whole number > 0, not {value!r}")
    return number


def count_or_zero(value: Any) -> int:
    """A whole number >= 0."""
    number = _whole(value, f"expected a whole number >= 0, not {value!r}")
    if number < 0:
        raise ValueError(f"expected a whole number >= 0, not {value!r}")
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
        lowered = value.strip().lower()
        digits = lowered.rstrip("abcdefghijklmnopqrstuvwxyz ")
        unit = lowered[len(digits) :].strip()
        if not digits.isdigit() or unit not in _SIZE_UNITS:
            raise ValueError(problem)
        number = int(digits) * _SIZE_UNITS[unit]
    else:
        raise ValueError(problem)
    if number <= 0:
        raise ValueError(problem)
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


def flag(value: Any) -> bool:
    """``true`` or ``false`` (a TOML boolean)."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, not {value!r}")
    return value


def choice(*allowed: str) -> Converter:
    """A converter accepting one of ``allowed`` (any case)."""

    def convert(value: Any) -> str:
        word = value.strip().lower() if isinstance(value, str) else value
        if word not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, not {value!r}")
        return word

    return convert


def _number(value: Any, problem: str) -> float:
    if isinstance(value, bool):
        raise ValueError(problem)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(problem) from None
    if not math.isfinite(number):
        raise ValueError(problem)
    return number


def _whole(value: Any, problem: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(problem)
    try:
        return int(value)
    except ValueError:
        raise ValueError(problem) from None
