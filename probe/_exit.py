"""Ending every stream and closing the socket, within ``exit_timeout``, however the process ends.

- A normal exit, ``sys.exit`` or an uncaught exception: ``atexit``.
- A ``multiprocessing`` worker ends with ``os._exit``, so ``atexit`` never runs there:
  ``multiprocessing.util.Finalize`` covers its normal end, and a SIGTERM handler its
  ``Pool.terminate()`` (which ``with Pool() as pool:`` calls on leaving the block). The
  handler is installed only in such a worker, only from its main thread and only while
  SIGTERM still has its default action; it ends the streams, then dies of SIGTERM as before.

Python runs a signal handler between two bytecodes of the main thread. A SIGTERM that arrives
just before the main thread blocks in a C call (a pool worker waiting for its queue's lock)
would wait for ever, and so would ``Pool.terminate()``. So a helper thread learns of every
signal from ``signal.set_wakeup_fd`` and sends SIGTERM to the main thread again until the
handler has started (each one interrupts the blocking call). Should the handler never start,
the helper ends the streams itself and kills the process, as SIGTERM's default action would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time

from probe._stream import finish_open_streams, transport

POKE_INTERVAL = 0.05  # seconds between two SIGTERMs sent to a main thread that has not reacted
POKES = 40

_hooked_pid = 0
_shutdown_started = False
_shutdown_running = False
_sigterm_deferred = False
_handler_started = threading.Event()
_wakeup_pipe: tuple[int, int] | None = None


def shutdown() -> None:
    """Send ``end`` for every open stream, then close the socket: all within ``exit_timeout``.

    Runs once per process; a second call returns at once. Where the probe handles SIGTERM,
    the main thread holds it back meanwhile (a signal would cut short the wait for unsent
    messages, and the ``end`` events with it), and a SIGTERM that came in the meantime takes
    effect as soon as it is done."""
    global _shutdown_started, _shutdown_running
    if _shutdown_started:
        return
    _shutdown_started = _shutdown_running = True
    transport.set_deadline(time.monotonic() + transport.settings.exit_timeout)
    in_main = threading.current_thread() is threading.main_thread()
    hold = _wakeup_pipe is not None and in_main
    previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM}) if hold else None
    try:
        finish_open_streams()
    finally:
        transport.close()
        _shutdown_running = False
        if previous_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        if _sigterm_deferred and in_main:
            _die_of_sigterm()


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
        _catch_sigterm()


def _catch_sigterm() -> None:
    global _wakeup_pipe
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    if previous != -1:  # the program uses the wakeup fd itself: leave SIGTERM alone
        signal.set_wakeup_fd(previous)
        os.close(read_fd)
        os.close(write_fd)
        return
    _wakeup_pipe = (read_fd, write_fd)
    signal.signal(signal.SIGTERM, _end_streams_then_die)
    helper = threading.Thread(
        target=_redeliver_sigterm, args=(read_fd,), name="hotprobe-sigterm", daemon=True
    )
    helper.start()


def _end_streams_then_die(signum: int, frame: object) -> None:
    global _sigterm_deferred
    _handler_started.set()
    if _shutdown_running:  # we interrupted the worker's own shutdown: die when it is done
        _sigterm_deferred = True
        return
    try:
        shutdown()
    finally:
        _die_of_sigterm()


def _die_of_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _redeliver_sigterm(read_fd: int) -> None:
    while True:
        received = os.read(read_fd, 256)
        if not received:
            return
        if signal.SIGTERM in received:
            break
    main = threading.main_thread().ident
    for _ in range(POKES):
        if _handler_started.wait(POKE_INTERVAL) or main is None:
            return
        signal.pthread_kill(main, signal.SIGTERM)
    shutdown()
    os.kill(os.getpid(), signal.SIGKILL)


def _after_fork_in_child() -> None:
    """A forked child inherits the handler and the wakeup fd, but not the helper thread."""
    global _shutdown_started, _shutdown_running, _sigterm_deferred
    global _handler_started, _wakeup_pipe
    _shutdown_started = _shutdown_running = _sigterm_deferred = False
    _handler_started = threading.Event()
    if _wakeup_pipe is not None:
        with contextlib.suppress(ValueError, OSError):
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in _wakeup_pipe:
            with contextlib.suppress(OSError):
                os.close(fd)
        _wakeup_pipe = None


os.register_at_fork(after_in_child=_after_fork_in_child)
