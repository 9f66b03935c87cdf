"""Reading a ``--sink`` value: its scheme, then its target and options against the sink's
declaration. Every option is checked here, so a sink's factory gets them converted."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote_plus

from collector.options import Option, did_you_mean
from collector.redact import MASK, is_secret_name
from collector.sinks import SinkSpec, SinkType

_SPEC = re.compile(r"(?P<scheme>[^:?]*)(?::(?P<target>[^?]*))?(?:\?(?P<query>.*))?", re.DOTALL)


def scheme_of(text: str) -> str:
    """The scheme of a ``--sink`` value, lower-cased: ``live`` for ``live?refresh=2``."""
    return _split(text)[0]


def looks_like_path(text: str) -> bool:
    """Whether a value with no known scheme was probably meant as a file: ``run.jsonl``,
    ``./out/run.jsonl``, ``~/run.jsonl`` (a URL such as ``mongo://host`` is not)."""
    if "://" in text:
        return False
    return "/" in text or "\\" in text or text.startswith(("~", ".")) or "." in scheme_of(text)


def parse(text: str, sink_type: SinkType, common: Mapping[str, Option]) -> SinkSpec:
    """``text`` read against ``sink_type``; ``common`` are the options every sink takes.

    Raises ``ValueError`` for a target given to a sink that takes none, an unknown option
    (naming the closest valid one), an option given twice or a value its converter refuses.
    """
    scheme, target, query = _split(text)
    if target and sink_type.target is None:
        raise ValueError(f"{scheme} takes no target, only options: {scheme}?NAME=VALUE")
    given: dict[str, Any] = {}
    delivery: dict[str, Any] = {}
    passthrough: list[str] = []
    seen: set[str] = set()
    for piece in query.split("&") if query else ():
        if not piece:
            continue
        name, _, value = (unquote_plus(part) for part in piece.partition("="))
        declared = sink_type.options.get(name) or common.get(name)
        if declared is None:
            _check_passthrough(name, sink_type, common)
            passthrough.append(piece)
            continue
        if name in seen:
            raise ValueError(f"option {name!r} given twice")
        seen.add(name)
        into = given if name in sink_type.options else delivery
        try:
            into[name] = declared.read(value)
        except ValueError as exc:
            if not is_secret_name(name):
                raise
            raise ValueError(str(exc).replace(repr(value), repr(MASK))) from None
    options = {name: given.get(name, option.default) for name, option in sink_type.options.items()}
    return SinkSpec(text, scheme, target, options, delivery, "&".join(passthrough))


def without(text: str, names: Collection[str]) -> str:
    """``text`` less the query parameters called ``names``, the rest exactly as written."""
    base, mark, query = text.partition("?")
    kept = [p for p in query.split("&") if p and unquote_plus(p.partition("=")[0]) not in names]
    return base + (mark + "&".join(kept) if kept else "")


def _check_passthrough(name: str, sink_type: SinkType, common: Mapping[str, Option]) -> None:
    """Nothing if ``name`` is one of the URL's own parameters; ``ValueError`` otherwise."""
    near_delivery = did_you_mean(name, common)  # a typo of ours, never the URL's
    if sink_type.passthrough is not None and not near_delivery and sink_type.passthrough(name):
        return
    names = [*sink_type.options, *common]
    hint = did_you_mean(name, names)
    own = " and its URL's own parameters" if sink_type.passthrough is not None else ""
    raise ValueError(
        f"unknown option {name!r}{hint} ({sink_type.scheme} takes {', '.join(names)}{own})"
    )


def _split(text: str) -> tuple[str, str, str]:
    match = _SPEC.fullmatch(text)
    assert match is not None  # every part is optional: any text matches
    scheme = match["scheme"].strip().lower()
    target = match["target"] or ""
    if scheme == "file" and target.startswith("//"):
        target = target[2:]
    return scheme, target, match["query"] or ""
