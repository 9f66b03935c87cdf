"""One POST to a webhook with urllib3, with timeouts, its answer sorted into success, a
failure worth retrying (no answer, 408, 429, 5xx) and a refusal for good (any other 4xx)."""

from __future__ import annotations

from typing import Any

RETRY_STATUSES = frozenset({408, 425, 429})


class TemporaryFailure(Exception):
    """No answer, or an answer that says to try again later."""


class PermanentFailure(Exception):
    """An answer that says this request will never be taken (a revoked or wrong URL)."""


class Poster:
    """Posts to one URL over a connection pool; never follows redirects, never retries itself."""

    def __init__(self, url: str, timeout: float) -> None:
        import urllib3  # when a notify sink starts, not whenever the collector loads plugins

        self.url = url
        self.timeout = urllib3.Timeout(connect=min(5.0, timeout), read=timeout)
        self.pool = urllib3.PoolManager(retries=False, timeout=self.timeout)
        self._no_answer = urllib3.exceptions.HTTPError

    def post(self, body: bytes, headers: dict[str, str]) -> None:
        """Send; raises ``TemporaryFailure`` or ``PermanentFailure`` (messages without the
        URL, which is a secret)."""
        headers = {"Content-Type": "application/json", "User-Agent": "hotprobe", **headers}
        try:
            response: Any = self.pool.request(
                "POST", self.url, body=body, headers=headers, redirect=False
            )
        except self._no_answer as exc:
            raise TemporaryFailure(f"no answer ({type(exc).__name__})") from None
        status = response.status
        if 200 <= status < 300:
            return
        if status >= 500 or status in RETRY_STATUSES:
            raise TemporaryFailure(f"HTTP {status}")
        raise PermanentFailure(f"HTTP {status}")

    def close(self) -> None:
        self.pool.clear()
