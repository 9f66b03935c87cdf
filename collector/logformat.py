"""The collector's log lines: inert text with secrets redacted, whatever a message quotes."""

from __future__ import annotations

import logging

from collector.redact import redacted_text
from collector.text import inert


class InertFormatter(logging.Formatter):
    """Each message is one line of inert text (an event's text can neither drive the
    terminal nor forge a second line) with every connection string in it redacted;
    tracebacks keep their line breaks and nothing else."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = inert(redacted_text(record.message))
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return inert(redacted_text(super().formatException(ei)), keep_newlines=True)

    def formatStack(self, stack_info: str) -> str:
        return inert(redacted_text(super().formatStack(stack_info)), keep_newlines=True)
