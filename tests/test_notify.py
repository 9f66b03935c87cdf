"""The ``notify:`` sink: alerts from a real collector process, fed by real probe programs, to a
real HTTP server standing in for the webhook."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import zmq

from tests.helpers import CollectorProcess, read_jsonl, run_program, wait_for
from tests.webhook_server import WebhookServer


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    server = WebhookServer().start()
    yield server
    server.stop()


def notify(webhook: WebhookServer, tmp_path: Path, **options: str) -> str:
    options = {
        "window": "0.3",
        "min_interval": "0",
        "state": str(tmp_path / "alerts.jsonl"),
    } | options
    return f"notify:{webhook.url()}?" + "&".join(f"{k}={v}" for k, v in options.items())


def alerts(webhook: WebhookServer) -> list[dict]:
    return [alert for request in webhook.accepted() for alert in request.json()["alerts"]]


def test_an_error_is_told_with_the_stream_the_place_and_the_error(
    webhook, tmp_path, start_collector
):
    collector = start_collector("--sink", notify(webhook, tmp_path))
    assert run_program("notify_workload", "fail", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: alerts(webhook))
    (alert,) = alerts(webhook)
    assert alert["alert"] == "error" and alert["probe"] == "fit"
    assert alert["error"] == {"type": "ValueError", "message": "fit diverged"}
    assert alert["n"] == 7 and alert["total"] == 10
    assert alert["where"].endswith(":" + alert["where"].rpartition(":")[2])
    assert "fit failed on" in webhook.accepted()[0].json()["title"]
    assert collector.stop() == 0


def test_a_stall_is_told_once_and_its_resume_once(webhook, tmp_path, start_collector):
    spec = notify(webhook, tmp_path, stall_after="1", on="stall")
    collector = start_collector("--sink", spec)
    assert run_program("notify_workload", "stall", "3", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: len(alerts(webhook)) >= 2)
    time.sleep(1.5)  # no flood: nothing more comes
    kinds = [(a["alert"], a["probe"]) for a in alerts(webhook)]
    assert kinds == [("stall", "slow"), ("resumed", "slow")]  # ``prepare`` was idle, not stalled
    assert alerts(webhook)[1]["quiet_for"] >= 2
    assert collector.stop() == 0


def test_a_run_end_counts_its_streams(webhook, tmp_path, start_collector):
    spec = notify(webhook, tmp_path, on="run_end", run_end_after="1")
    collector = start_collector("--sink", spec)
    result = run_program(
        "notify_workload", "mixed", endpoint=collector.endpoint, HOTPROBE_RUN="r-mixed"
    )
    assert result.returncode == 0
    assert wait_for(lambda: alerts(webhook))
    (alert,) = alerts(webhook)
    assert alert["alert"] == "run_end" and alert["run"] == "r-mixed"
    assert alert["counts"] == {"done": 2, "failed": 1}
    assert collector.stop() == 0


def test_a_failing_pool_is_one_digest(webhook, tmp_path, start_collector):
    collector = start_collector("--sink", notify(webhook, tmp_path, window="3"))
    result = run_program("notify_workload", "pool", "32", endpoint=collector.endpoint, timeout=120)
    assert result.returncode == 0, result.stderr  # each task catches its own error
    assert wait_for(lambda: webhook.accepted(), timeout=30)
    time.sleep(1.0)
    (request,) = webhook.accepted()
    digest = request.json()
    assert len(digest["alerts"]) == 32
    assert "32 streams failed in run" in digest["text"]
    assert "ValueError \u00d730, MemoryError \u00d72" in digest["text"]
    assert collector.stop() == 0


def test_an_answer_of_500_is_retried_and_then_delivered(webhook, tmp_path, start_collector):
    webhook.answers = [500, 503]
    collector = start_collector("--sink", notify(webhook, tmp_path))
    assert run_program("notify_workload", "fail", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: alerts(webhook), timeout=30)
    assert [a["alert"] for a in alerts(webhook)] == ["error"]
    assert collector.stop() == 0
    assert "HTTP 500; alerts wait and are retried" in collector.stderr
    assert "the webhook answers again" in collector.stderr


def test_an_answer_of_404_is_final_and_events_are_dead_lettered(webhook, tmp_path, start_collector):
    webhook.default = 404
    collector = start_collector(
        "--sink", notify(webhook, tmp_path), "--dead-letter", str(tmp_path / "dead.jsonl")
    )
    assert run_program("notify_workload", "fail", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: "webhook refused: HTTP 404" in collector.stderr)
    assert run_program("notify_workload", "fail", endpoint=collector.endpoint).returncode == 0
    dead = tmp_path / "dead.jsonl"
    assert wait_for(lambda: dead.exists() and len(read_jsonl(dead)) >= 2), collector.stderr
    assert all("webhook refused: HTTP 404" in record["reason"] for record in read_jsonl(dead))
    collector.stop()
    assert collector.stderr.count("alerts dropped") == 1  # the refusal is reported once
    assert "rejected=" in collector.stderr.rpartition("stats:")[2]


def test_a_hung_webhook_holds_up_no_other_sink(webhook, tmp_path, start_collector):
    webhook.hang = 30.0
    out = tmp_path / "events.jsonl"
    spec = notify(webhook, tmp_path, timeout="30")
    collector = start_collector(
        "--interval", "0", "--sink", spec, "--sink", f"file:{out}", "--shutdown-timeout", "3"
    )
    result = run_program("notify_workload", "pool", "8", endpoint=collector.endpoint, timeout=120)
    assert result.returncode == 0, result.stderr
    ends = lambda: sum(e["event"] == "error" for e in read_jsonl(out))  # noqa: E731
    assert wait_for(lambda: ends() == 8, timeout=20)
    started = time.monotonic()
    collector.stop()
    assert time.monotonic() - started < 15


def test_no_alert_twice_for_one_cause_across_a_restart(webhook, tmp_path):
    spec = notify(webhook, tmp_path)
    event = {
        "v": 1,
        "timestamp": "2026-11-30T10:00:00.000000+00:00",
        "probe": "fit",
        "event": "error",
        "n": 3,
        "total": 9,
        "host": "h",
        "pid": 1,
        "run": "r",
        "seq": 4,
        "error": {"type": "ValueError", "message": "bad"},
    }
    for attempt in range(2):
        collector = CollectorProcess(tmp_path, ["--sink", spec]).start()
        context = zmq.Context()
        push = context.socket(zmq.PAIR)
        push.connect(collector.endpoint)
        push.send(orjson.dumps(event))
        time.sleep(1.5)
        push.close(linger=1000)
        context.term()
        assert collector.stop() == 0
        assert len(alerts(webhook)) == 1, attempt


def test_the_webhook_url_is_never_printed(webhook, tmp_path, start_collector):
    secret = "/services/T000/B000/XyZsecret"
    spec = notify(webhook, tmp_path).replace("/hook?", secret + "?")
    collector = start_collector("--sink", spec, "--stats-interval", "0.2")
    webhook.answers = [500]
    assert run_program("notify_workload", "fail", endpoint=collector.endpoint).returncode == 0
    assert wait_for(lambda: webhook.accepted(), timeout=30)
    assert collector.stop() == 0
    assert "stats:" in collector.stderr and "HTTP 500" in collector.stderr
    assert "XyZsecret" not in collector.stderr and "B000" not in collector.stderr
