"""Secrets out of sink specs and connection strings, for every line a person or a log reads.

``redacted`` parses one whole spec (``mongodb://user:pa/ss@w@host/db?authMechanismProperties=
AWS_SESSION_TOKEN:...``, ``file:run.jsonl``, ``notify:https://hooks.example/T0/B0/XXXX``) and
hides what may be secret: the password in the userinfo, which runs to the *last* ``@`` before
the host list (a password may hold an unescaped ``/``, ``@`` or ``?``); the value of every
query option whose name holds ``password``, ``secret``, ``token`` or ``key`` (not a file's path);
the secret properties inside ``authMechanismProperties`` (``AWS_SESSION_TOKEN``); and the path,
query and fragment of an ``http(s)`` URL, where webhooks keep their tokens. ``redacted_text``
does the same for each connection string found in a free-text message.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

MASK = "***"
#: Option (or property) names holding any of these are taken to carry a secret.
SECRET_NAME_PARTS = ("password", "secret", "token", "key")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]*")
_WEB_SCHEMES = ("http://", "https://")
_QUERY_SEPARATOR = re.compile(r"([&;])")


def redacted(spec: str) -> str:
    """``spec`` (one sink spec or connection string, read whole) with its secrets as ``***``.

    Hiding too much is preferred to hiding too little: an ``@`` in a query value counts as
    the end of the userinfo."""
    url = _URL.search(spec)
    if url is None:
        target, mark, query = spec.partition("?")
        return target + mark + _redacted_query(query) if mark else spec
    prefix, scheme, rest = spec[: url.start()], url.group(), spec[url.end() :]
    userinfo, at, rest = rest.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        userinfo = f"{user}:{MASK}" if colon else MASK
    if scheme.lower() in _WEB_SCHEMES:
        host = re.match(r"[^/?#]*", rest).group()
        return f"{prefix}{scheme}{userinfo}{at}{host}{'/' + MASK if rest != host else ''}"
    location, mark, query = rest.partition("?")
    return f"{prefix}{scheme}{userinfo}{at}{location}{mark}{_redacted_query(query)}"


def redacted_text(text: str) -> str:
    """A message with every ``scheme://...`` in it (up to a space or a quote) ``redacted``."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redacted(match.group()), text)


def is_secret_name(name: str) -> bool:
    """True for an option or property name that may carry a secret. A name ending in
    ``file`` (``tlsCertificateKeyFile``) holds the path of a file, shown to help find it."""
    lowered = unquote(name).lower()
    return not lowered.endswith("file") and any(part in lowered for part in SECRET_NAME_PARTS)


def _redacted_query(query: str) -> str:
    parts = _QUERY_SEPARATOR.split(query)  # options at even places, separators between
    return "".join(part if i % 2 else _redacted_option(part) for i, part in enumerate(parts))


def _redacted_option(option: str) -> str:
    name, equals, value = option.partition("=")
    if not equals:
        return option
    if is_secret_name(name):
        return f"{name}={MASK}"
    if unquote(name).lower() == "authmechanismproperties":
        return f"{name}={_redacted_properties(unquote(value))}"
    return option


def _redacted_properties(value: str) -> str:
    """``SERVICE_NAME:mongodb,AWS_SESSION_TOKEN:***``: the secret properties masked."""
    properties = []
    for item in value.split(","):
        name, colon, _ = item.partition(":")
        properties.append(f"{name}:{MASK}" if colon and is_secret_name(name) else item)
    return ",".join(properties)
