"""Ending every stream and closing the socket, within ``exit_timeout``, however the process ends.

- A normal exit, ``sys.exit`` or an uncaught exception: ``atexit``.
- A ``multiprocessing`` worker ends with ``os._exit``, so ``atexit`` never runs there:
  ``multiprocessing.util.Finalize`` covers its normal end, and a SIGTERM handler its
  ``Pool.terminate()`` (which ``with Pool() as pool:`` calls on leaving the block). The
  handler is installed only in such a worker, only from its main thread and only while
  SIGTERM still has its default action; it ends the streams, then dies of SIGTERM as before.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from probe._stream import finish_open_streams, transport

_hooked_pid = 0


def shutdown() -> None:
    """Send ``end`` for every open stream, then close the socket (bounded linger)."""
    try:
        finish_open_streams()
    finally:
        transport.close()


def install_worker_hooks() -> None:
    """In a ``multiprocessing`` worker (fork or spawn), arrange for ``shutdown`` at its end.

    Called when a process opens its socket; does nothing in other processes."""
    global _hooked_pid
    if _hooked_pid == os.getpid():
        return
    _hooked_pid = os.getpid()
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None or multiprocessing.parent_process() is None:
        return
    from multiprocessing import util

    util.Finalize(None, shutdown, exitpriority=0)
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _end_streams_then_die)


def _end_streams_then_die(signum: int, frame: object) -> None:
    try:
        shutdown()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
