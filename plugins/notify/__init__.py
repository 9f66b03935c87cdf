"""``notify:URL``: alerts to a chat or push service on a stream's error, a stall, a run's end.

``write`` folds kept events into the stream states (``alerts.Watch``) and queues the alerts
they raise in a journal (``outbox.Outbox``), durably, before the events count as delivered.
A sender thread posts what is queued: after ``window`` seconds, so that a burst (a whole Pool
failing) becomes one digest, and at most one message per ``min_interval`` seconds, folding
what waits meanwhile. While the webhook fails, ``write`` fails too, so the collector's
delivery retries, spools and replays the events as for any sink; a 4xx answer (a revoked
URL) is permanent: reported once, and the events from then on are refused into the
dead-letter file. Each alert's cause has a key, sent once across restarts.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

from collector import Option, Refused, Sink, SinkSpec, event_id, hookimpl
from collector.options import choice, did_you_mean, number_above_zero, seconds, text
from plugins.notify import formats
from plugins.notify.alerts import DEFAULT_ON, KINDS, Watch
from plugins.notify.outbox import Outbox
from plugins.notify.post import PermanentFailure, Poster, TemporaryFailure

log = logging.getLogger("collector")

_SEEN_EVENTS = 200_000  # event ids remembered, so a retried batch raises nothing twice


def _kinds(value: str) -> tuple[str, ...]:
    """Alert kinds, comma-separated: ``error,stall``."""
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    if not kinds or any(kind not in KINDS for kind in kinds):
        raise ValueError(f"expected some of {','.join(KINDS)}, not {value!r}")
    return kinds


def _globs(value: str) -> tuple[str, ...]:
    """Stream name globs, comma-separated."""
    return tuple(glob.strip() for glob in value.split(",") if glob.strip())


#: This sink's own options; any other query item belongs to the webhook's URL.
OPTIONS = (
    Option(
        "format",
        "slack, discord, teams, ntfy or json",
        choice(*formats.FORMATS),
        None,
        default_text="from the URL's host",
    ),
    Option("on", "what to tell: error,stall,end,run_end", _kinds, DEFAULT_ON),
    Option(
        "stall_after",
        "seconds without an event before a running stream is stalled",
        number_above_zero,
        600.0,
    ),
    Option(
        "probe",
        "only streams whose name matches one of these globs (comma-separated)",
        _globs,
        (),
        default_text="every stream",
    ),
    Option(
        "run_end_after",
        "seconds of quiet after a run's streams have all ended before its run_end "
        "(a run event from hotprobe run ends it at once)",
        seconds,
        10.0,
    ),
    Option("window", "seconds to gather a burst into one digest", seconds, 2.0),
    Option("min_interval", "seconds between two messages at least", seconds, 2.0),
    Option("timeout", "seconds a request may take", number_above_zero, 10.0),
    Option(
        "state",
        "the journal of pending and sent alerts",
        text,
        None,
        default_text="hotprobe-notify-<hash of the URL>.jsonl",
    ),
)


def webhook_parameter(name: str) -> bool:
    """A query item that is neither one of this sink's options nor a near miss of one belongs
    to the webhook's URL (a Teams workflow URL carries its signature there)."""
    return not did_you_mean(name, [option.name for option in OPTIONS])


class WebhookUnavailable(ConnectionError):
    """The webhook is failing: events wait (retried, spooled) until it answers again."""


class NotifySink(Sink):
    """Alerts for one webhook.

    A batch waits at most 0.02 s to fill, not the collector's 0.2 s: an error reaches the
    alert's ``window`` at once (a write journals only the alerts it raises)."""

    delivery_defaults = {"max_delay": 0.02}

    def __init__(self, spec: SinkSpec) -> None:
        super().__init__(spec)
        self.url = webhook_url(spec)
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("notify: needs a webhook URL: notify:https://hooks.slack.com/...")
        self.label = f"notify:{parts.hostname}"  # the URL itself is a secret
        options = spec.options
        self.format = options["format"] or formats.guess_format(self.url)
        self.watch = Watch(
            options["on"], options["stall_after"], options["probe"], options["run_end_after"]
        )
        self.window = options["window"]
        self.min_interval = options["min_interval"]
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        self.outbox = Outbox(options["state"] or f"hotprobe-notify-{digest}.jsonl")
        self.poster = Poster(self.url, options["timeout"])
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sender = threading.Thread(target=self._send_loop, name=self.label, daemon=True)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._failing: str | None = None  # why the last post failed, while it fails
        self._refused: str | None = None  # why the webhook refused for good
        self._last_post = -float("inf")
        self._backoff = 0.0
        self._delay = 1.0
        self.sent_messages = 0

    def open(self) -> None:
        with self._lock:
            self.outbox.open(time.monotonic())
            self._say_pending("left by a previous run will be sent")
        self._sender.start()

    def write(self, events: list[dict[str, Any]]) -> None:
        if self._refused is not None:
            raise Refused(self._refused, indexes=range(len(events)))
        if self._failing is not None:
            raise WebhookUnavailable(f"{self.label}: {self._failing}")
        now = time.monotonic()
        with self._lock:
            for event in events:
                identity = event_id(event)
                if identity in self._seen:
                    continue
                self._seen[identity] = None
                if len(self._seen) > _SEEN_EVENTS:
                    self._seen.popitem(last=False)
                self.outbox.add(self.watch.feed(event, now), now)
            self.outbox.sync()

    def close(self) -> None:
        """Send what is due now (within the post timeout); what is left stays in the journal
        for the next run."""
        self._stop.set()
        if self._sender.is_alive():
            self._sender.join(self.poster.timeout.read_timeout or 10.0)
        if self._refused is None and self._failing is None:
            self._send_due(time.monotonic(), final=True)
        with self._lock:
            self._say_pending("not sent yet; they will be sent by the next run")
            self.outbox.close()
        self.poster.close()

    def _say_pending(self, what: str) -> None:
        if self.outbox.pending:
            log.warning("%s: %d alerts %s", self.label, len(self.outbox.pending), what)

    # -- the sender ----------------------------------------------------------------------
    def _send_loop(self) -> None:
        while not self._stop.wait(0.1):
            now = time.monotonic()
            try:
                with self._lock:
                    self.outbox.add(self.watch.tick(now), now)
                    self.outbox.sync()
                if now >= self._backoff:
                    self._send_due(now)
            except Exception as exc:  # never let the sender die: report, go on
                log.error("%s: alert sender failed: %r", self.label, exc)

    def _send_due(self, now: float, final: bool = False) -> None:
        """Post everything pending as one message, once its window and the rate limit allow."""
        with self._lock:
            first = self.outbox.first_queued()
            if first is None or self._refused is not None:
                return
            if not final and (
                now < first + self.window or now < self._last_post + self.min_interval
            ):
                return
            alerts = [alert for alert, _ in self.outbox.pending.values()]
        folded = max(0, len(alerts) - 1) if now - first > self.window + 0.5 else 0
        payload, headers = formats.body(self.format, alerts, folded if len(alerts) > 1 else 0)
        try:
            self.poster.post(payload, headers)
        except TemporaryFailure as exc:
            self._fail(str(exc), now)
            return
        except PermanentFailure as exc:
            self._refuse(str(exc), [alert.key for alert in alerts])
            return
        with self._lock:
            self.outbox.mark_sent([alert.key for alert in alerts])
        self._last_post = time.monotonic()
        self.sent_messages += 1
        if self._failing is not None:
            log.warning("%s: the webhook answers again", self.label)
        self._failing, self._backoff = None, 0.0

    def _fail(self, reason: str, now: float) -> None:
        if self._failing is None:
            log.error("%s: %s; alerts wait and are retried", self.label, reason)
            self._delay = 1.0
        else:
            self._delay = min(60.0, self._delay * 2)
        self._failing, self._backoff = reason, now + self._delay

    def _refuse(self, reason: str, keys: list[str]) -> None:
        self._refused = f"webhook refused: {reason}"
        log.error(
            "%s: %s; %d alerts dropped, and events from now on go to the dead-letter file",
            self.label,
            self._refused,
            len(keys),
        )
        with self._lock:
            self.outbox.drop(keys)


def webhook_url(spec: SinkSpec) -> str:
    """The webhook's URL: the target and its own query items, exactly as written."""
    return spec.target + (f"?{spec.query}" if spec.query else "")


@hookimpl
def register_sinks(register):
    register(
        "notify",
        NotifySink,
        description="alerts to a Slack, Discord, Teams or ntfy webhook (or any URL, as JSON)",
        options=OPTIONS,
        target="URL",
        passthrough=webhook_parameter,
    )
