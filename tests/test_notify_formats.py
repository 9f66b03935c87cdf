"""The ``notify:`` sink's message bodies, checked against each service's documented format
(field names and types), and with event text that must ping nobody."""

from __future__ import annotations

import orjson
import pytest

from plugins.notify.alerts import Alert
from plugins.notify.formats import body, guess_format

HOSTILE = "<!channel> @everyone <@U024BE7LH> *bold* <script>x</script>\x1b[2J"


def error(index: int = 0, error_type: str = "ValueError") -> Alert:
    return Alert(
        key=f"error|r|h:1|p{index}|3",
        kind="error",
        run="train-1",
        probe=f"{HOSTILE}{index}",
        where="node1:4242",
        n=3,
        total=9,
        error_type=error_type,
        error_message="loss is nan",
    )


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://hooks.slack.com/services/T0/B0/X", "slack"),
        ("https://discord.com/api/webhooks/1/abc", "discord"),
        ("https://contoso.webhook.office.com/webhookb2/x", "teams"),
        ("https://prod-01.westus.logic.azure.com/workflows/x", "teams"),
        ("https://ntfy.sh/my-topic", "ntfy"),
        ("https://example.org/hook", "json"),
    ],
)
def test_the_format_follows_the_host(url: str, expected: str) -> None:
    assert guess_format(url) == expected


def test_slack_incoming_webhook_text_with_its_three_escapes() -> None:
    payload = orjson.loads(body("slack", [error()])[0])
    assert set(payload) == {"text"} and isinstance(payload["text"], str)
    assert "<!channel>" not in payload["text"] and "&lt;!channel&gt;" in payload["text"]
    assert "<@U024BE7LH>" not in payload["text"] and "<script>" not in payload["text"]
    assert "\x1b" not in payload["text"]
    assert "ValueError: loss is nan" in payload["text"] and "3/9" in payload["text"]


def test_discord_execute_webhook_content_allows_no_mentions() -> None:
    payload = orjson.loads(body("discord", [error()])[0])
    assert set(payload) == {"content", "allowed_mentions"}
    assert isinstance(payload["content"], str) and len(payload["content"]) <= 2000
    assert payload["allowed_mentions"] == {"parse": []}
    assert "@everyone" not in payload["content"]  # broken by a zero-width space
    assert "\\*bold\\*" in payload["content"]  # markdown shown, not applied


def test_teams_message_with_an_adaptive_card() -> None:
    payload = orjson.loads(body("teams", [error()])[0])
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and isinstance(card["version"], str)
    assert all(
        block["type"] == "TextBlock" and isinstance(block["text"], str) for block in card["body"]
    )
    assert "@everyone" not in str(card)


def test_ntfy_publish_is_plain_text_with_title_and_priority_headers() -> None:
    data, headers = body("ntfy", [error()])
    assert headers["Priority"] == "high" and headers["Content-Type"].startswith("text/plain")
    assert headers["Title"].startswith("hotprobe:")
    headers["Title"].encode("latin-1")  # a valid header value
    assert b"ValueError: loss is nan" in data and b"\x1b" not in data


def test_a_digest_counts_what_it_folds() -> None:
    alerts = [error(i, "MemoryError" if i < 2 else "ValueError") for i in range(32)]
    payload = orjson.loads(body("json", alerts, folded=31)[0])
    assert payload["title"] == "hotprobe: 32 errors in run train-1"
    assert (
        "32 streams failed in run train-1: ValueError \u00d730, MemoryError \u00d72"
        in payload["text"]
    )
    assert "… and 27 more" in payload["text"] and "31 alerts folded" in payload["text"]
    assert len(payload["alerts"]) == 32 and payload["folded"] == 31


def test_the_webhooks_own_query_stays_in_its_url_as_written() -> None:
    from collector import SinkSpec
    from plugins.notify import NotifySink

    text = "notify:https://x.logic.azure.com/workflows/1?api-version=2016&sig=A%2FB&on=error"
    sink = NotifySink(SinkSpec.parse(text))
    assert sink.url == "https://x.logic.azure.com/workflows/1?api-version=2016&sig=A%2FB"
    assert sink.format == "teams" and sink.watch.on == {"error"}
    with pytest.raises(ValueError, match="webhook URL"):
        NotifySink(SinkSpec.parse("notify:not-a-url"))
