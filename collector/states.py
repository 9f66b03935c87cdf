"""The states a stream is shown in, one vocabulary for the live views and the history.

A stream is ``running`` from its first event, ``done`` after ``end`` and ``failed`` after an
``error`` that no ``end`` followed. A running stream without an event for a while is
``stalled``, unless it counts the calls of a ``@probe.track``ed function (unit ``call``): that
function is simply not being called, and the stream is ``idle``. A tracked generator function
counts items (unit ``item``), as a loop does, and stalls like one.
"""

from __future__ import annotations

from typing import Any

RUNNING, DONE, FAILED, STALLED, IDLE = "running", "done", "failed", "stalled", "idle"
#: A stream's state after an event of each kind (``mark`` and ``run`` leave it as it was).
STATE_OF_KIND = {"start": RUNNING, "progress": RUNNING, "end": DONE, "error": FAILED}
#: The ``unit`` of a stream of function calls.
CALLS = "call"
#: A group's state is the liveliest of its members' states: the first of these that occurs.
LIVELIEST = (RUNNING, STALLED, IDLE, FAILED, DONE)


def quiet_state(unit: Any) -> str:
    """What a running stream counting ``unit`` is once it has been quiet too long."""
    return IDLE if unit == CALLS else STALLED
