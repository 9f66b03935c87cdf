"""Alerts as messages: the words, then the body each webhook service documents.

Every text from an event passes through ``collector.text.inert`` (no control characters) and
then the target's own escaping, so that it is shown as written and pings nobody: Slack's
``<!channel>`` and ``<@U123>`` become ``&lt;!channel&gt;``, Discord gets ``allowed_mentions``
with nothing allowed and its mentions broken with a zero-width space, Teams' Adaptive Card
text has its markdown characters escaped, ntfy gets plain text.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import orjson

from collector.format import format_duration
from collector.text import inert
from plugins.notify.alerts import END, ERROR, RESUMED, RUN_END, STALL, Alert

FORMATS = ("slack", "discord", "teams", "ntfy", "json")
#: At most this many causes are listed by name in a digest; the rest are counted.
DIGEST_NAMES = 5
_ZERO_WIDTH_SPACE = "\u200b"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def guess_format(url: str) -> str:
    """The format a webhook URL's host implies; ``json`` when it implies none."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "hooks.slack.com":
        return "slack"
    if host in ("discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"):
        return "discord"
    if host.endswith((".webhook.office.com", ".logic.azure.com", ".powerplatform.com")):
        return "teams"
    if host == "ntfy.sh" or host.startswith("ntfy."):
        return "ntfy"
    return "json"


def message(alerts: list[Alert], folded: int = 0) -> tuple[str, list[str]]:
    """A title and the lines of one message for ``alerts`` (inert text, not yet escaped for
    any target): the alert itself, or a digest counting what it folds together. ``folded``
    counts alerts that the rate limit folded into this message."""
    if len(alerts) == 1 and not folded:
        return _single(alerts[0])
    by_kind = Counter(alert.kind for alert in alerts)
    runs = sorted({alert.run for alert in alerts})
    where = f"run {runs[0]}" if len(runs) == 1 else f"{len(runs)} runs"
    parts = [f"{count} {_PLURAL[kind]}" for kind, count in by_kind.most_common()]
    title = f"hotprobe: {', '.join(parts)} in {where}"
    lines = []
    errors = [alert for alert in alerts if alert.kind == ERROR]
    if errors:
        types = Counter(alert.error_type for alert in errors)
        summary = ", ".join(f"{name} \u00d7{count}" for name, count in types.most_common())
        lines.append(f"{len(errors)} streams failed in {where}: {summary}")
    for alert in alerts[:DIGEST_NAMES]:
        lines.append("• " + _single(alert)[0].removeprefix("hotprobe: "))
    if len(alerts) > DIGEST_NAMES:
        lines.append(f"… and {len(alerts) - DIGEST_NAMES} more")
    if folded:
        lines.append(f"({folded} alerts folded into this digest by the rate limit)")
    return inert(title), [inert(line) for line in lines]


_PLURAL = {
    ERROR: "errors",
    STALL: "stalls",
    RESUMED: "resumed",
    END: "streams ended",
    RUN_END: "runs ended",
}


def _single(alert: Alert) -> tuple[str, list[str]]:
    progress = _progress(alert)
    if alert.kind == ERROR:
        title = f"hotprobe: {alert.probe} failed on {alert.where} (run {alert.run})"
        lines = [f"{alert.error_type}: {alert.error_message}", f"at {progress}"]
    elif alert.kind == STALL:
        title = f"hotprobe: {alert.probe} on {alert.where} stalled (run {alert.run})"
        lines = [f"no event for {format_duration(alert.quiet_for)}, at {progress}"]
    elif alert.kind == RESUMED:
        title = f"hotprobe: {alert.probe} on {alert.where} resumed (run {alert.run})"
        lines = [f"after {format_duration(alert.quiet_for)} without events, at {progress}"]
    elif alert.kind == END:
        title = f"hotprobe: {alert.probe} on {alert.where} ended (run {alert.run})"
        lines = [f"at {progress}"]
    else:
        counts = ", ".join(f"{count} {state}" for state, count in alert.counts.items())
        title = f"hotprobe: run {alert.run} ended"
        lines = [f"streams: {counts or 'none'}", f"duration: {format_duration(alert.duration)}"]
        if alert.status is not None:
            lines.append(f"exit status: {alert.status}")
    return inert(title), [inert(line) for line in lines]


def _progress(alert: Alert) -> str:
    if alert.total is None:
        return f"n={alert.n}"
    return f"{alert.n}/{alert.total}"


def body(fmt: str, alerts: list[Alert], folded: int = 0) -> tuple[bytes, dict[str, str]]:
    """The request body and headers for one message in format ``fmt``."""
    title, lines = message(alerts, folded)
    if fmt == "slack":
        text = "\n".join([f"*{_slack(title)}*", *map(_slack, lines)])
        return _json({"text": text}), {}
    if fmt == "discord":
        content = "\n".join([f"**{_discord(title)}**", *map(_discord, lines)])
        payload = {"content": content[:2000], "allowed_mentions": {"parse": []}}
        return _json(payload), {}
    if fmt == "teams":
        blocks = [{"type": "TextBlock", "text": _teams(title), "weight": "Bolder", "wrap": True}]
        blocks += [{"type": "TextBlock", "text": _teams(line), "wrap": True} for line in lines]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
        }
        payload = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
        return _json(payload), {}
    if fmt == "ntfy":
        urgent = any(alert.kind in (ERROR, STALL) for alert in alerts)
        headers = {
            "Title": _header(title),
            "Priority": "high" if urgent else "default",
            "Tags": "warning" if urgent else "white_check_mark",
        }
        return "\n".join(lines).encode(), {**headers, "Content-Type": "text/plain; charset=utf-8"}
    payload = {"title": title, "text": "\n".join(lines), "alerts": [a.as_json() for a in alerts]}
    if folded:
        payload["folded"] = folded
    return _json(payload), {}


def _json(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload, default=str)


def _slack(text: str) -> str:
    """Slack's three escapes: no ``<!channel>``, no ``<@U123>``, no links from events."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _discord(text: str) -> str:
    """Markdown escaped; ``@everyone``, ``@here`` and ``<@id>`` broken apart (and
    ``allowed_mentions`` allows none in any case)."""
    text = _MARKDOWN.sub(r"\\\1", text)
    return text.replace("@", "@" + _ZERO_WIDTH_SPACE)


def _teams(text: str) -> str:
    """Adaptive Card text is markdown: its characters escaped, ``<`` and ``>`` too."""
    return _MARKDOWN.sub(r"\\\1", text).replace("@", "@" + _ZERO_WIDTH_SPACE)


def _header(text: str) -> str:
    """A header value: Latin-1 only, on one line (ntfy shows it as the title)."""
    return text.encode("latin-1", "replace").decode("latin-1")[:200]
