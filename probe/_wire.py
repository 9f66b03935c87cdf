"""The probe's side of encoding events: timestamps and JSON that never raises.

Events are written by orjson. Where orjson cannot be installed (it refuses to build for a
free-threaded CPython), the standard library's ``json`` writes ``json_safe``'s conversion of
each event instead, a few microseconds slower per event sent (events are throttled, so the hot
loop does not notice): JSON's own types come out as orjson writes them, other values through
``_convert`` (``tolist()``, ``isoformat()``, else ``repr``).
"""

from __future__ import annotations

import json
import math
from datetime import date, time
from typing import Any

try:
    import orjson
except ImportError:  # a free-threaded CPython, say: see the module's docstring
    orjson = None  # type: ignore[assignment]
else:
    _OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_stdlib_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def safe_repr(value: Any) -> str:
    """``repr(value)``, or a description of it when its ``__repr__`` raises."""
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__qualname__}>"


def _convert(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, (date, time)):  # orjson writes these itself, json_safe does not
        return value.isoformat()
    for method in ("tolist", "item"):  # numpy arrays and scalars of any dtype
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return convert()
            except Exception:
                pass
    return safe_repr(value)


def _default(value: Any) -> Any:
    """orjson's hook for types it does not know: keep the meaning, never raise."""
    try:
        return _convert(value)
    except Exception:
        return safe_repr(value)


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A slow, total conversion to JSON-safe values, for what orjson refuses outright
    (integers beyond 64 bits, deep or cyclic nesting, keys of unknown types)."""
    if _depth > 32:
        return safe_repr(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # as orjson writes nan and inf
    if isinstance(value, dict):
        return {
            key if isinstance(key, str) else safe_repr(key): json_safe(item, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item, _depth + 1) for item in value]
    converted = _default(value)
    if converted is value or isinstance(converted, str):
        return converted
    return json_safe(converted, _depth + 1)


def encode(event: dict[str, Any]) -> bytes:
    """Serialise one event; unserialisable user data is made JSON-safe instead of raising."""
    if orjson is None:
        return _stdlib_json.encode(json_safe(event)).encode()
    try:
        return orjson.dumps(event, default=_default, option=_OPTIONS)
    except (TypeError, orjson.JSONEncodeError):
        return orjson.dumps(json_safe(event), option=_OPTIONS)
