"""Text from events, made inert for a person to read: no control, no markup, no reordering.

Any sender that is let in chooses every string in its events: probe names, hosts, error
messages, user data. Shown as they are, escape sequences in them drive the reader's terminal
(clear the screen, set the window title, write the clipboard with OSC 52), bidirectional
overrides reorder what is read, and markup is interpreted. Every place that shows such text
to a person passes it through ``inert`` first; a view built with rich puts the result in a
``rich.text.Text`` (``rich_text``), never in a markup string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

#: Code points shown as escapes rather than passed on: C0 controls, DEL and C1 controls
#: (U+009B is CSI, U+0085 a line break), the bidirectional marks, embeddings, overrides and
#: isolates, the Unicode line and paragraph separators, and lone surrogates.
UNSAFE_CODE_POINTS = (
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
)


def _character_class(codes: Iterable[int]) -> str:
    """A regular-expression class of ``codes`` and the lone surrogates."""
    return "[" + "".join(f"\\u{code:04x}" for code in codes) + "\\ud800-\\udfff]"


def _utf8_pattern(codes: Iterable[int]) -> re.Pattern[bytes]:
    """A bytes pattern for the UTF-8 encodings of ``codes``: per leading bytes, one class
    of the last bytes that follow them."""
    last_bytes: dict[bytes, list[int]] = {}
    for code in codes:
        encoded = chr(code).encode()
        last_bytes.setdefault(encoded[:-1], []).append(encoded[-1])
    branches = [
        re.escape(lead) + b"[" + b"".join(re.escape(bytes([b])) for b in ends) + b"]"
        for lead, ends in last_bytes.items()
    ]
    return re.compile(b"|".join(branches))


_UNSAFE = re.compile(_character_class(UNSAFE_CODE_POINTS))
_UNSAFE_BUT_NEWLINE = re.compile(_character_class(c for c in UNSAFE_CODE_POINTS if c != 0x0A))
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNSAFE_UTF8 = _utf8_pattern(code for code in UNSAFE_CODE_POINTS if code >= 0x7F)


def inert(value: Any, keep_newlines: bool = False) -> str:
    """``value`` as text that shows as itself: every unsafe code point becomes a visible
    escape (ESC is ``\\x1b``, CSI ``\\x9b``, RIGHT-TO-LEFT OVERRIDE ``\\u202e``, a tab ``\\t``).

    Newlines are escaped too, so one value never looks like two lines, unless
    ``keep_newlines`` (for text that is many lines by nature, such as a traceback)."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # no control, format or separator character: the common case
        return text
    return (_UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE).sub(_escape, text)


def rich_text(value: Any, style: str = "", **options: Any) -> Text:
    """``inert(value)`` as a rich ``Text``: shown as written, never read as markup
    (``[bold]``) or emoji codes (``:warning:``). ``options`` go to ``Text``."""
    from rich.text import Text

    return Text(inert(value), style=style, **options)


def inert_json(data: bytes) -> bytes:
    """UTF-8 JSON with the unsafe code points that JSON allows raw (DEL, C1 controls,
    bidirectional controls, line separators) written as ``\\uXXXX`` escapes instead: the
    same JSON values, safe to print on a terminal. C0 controls are escaped by every JSON
    encoder already."""
    if data.isascii():
        return data.replace(b"\x7f", b"\\u007f") if b"\x7f" in data else data
    return _UNSAFE_UTF8.sub(_escape_utf8, data)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    if character in _SHORT:
        return _SHORT[character]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_utf8(match: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % ord(match.group().decode())
