"""``probe.configure(run="x", labels=...)`` reaches the processes started after it: one mark
before the call, one after, then a ``subprocess`` child and a ``multiprocessing`` spawn child,
each emitting one ``child`` mark that carries the labels it read (what it would describe a run
of its own with). Exits non-zero if a child fails or an event is not handed over."""

import multiprocessing
import subprocess
import sys

import probe
from probe import _settings

LABELS = {"lr": 0.1, "note": "a,b=c", "seed": 7}


def child(kind: str) -> None:
    probe.emit("child", kind=kind, labels=_settings.settings.labels)
    assert probe.flush(20), probe.stats()


if __name__ == "__main__":
    if sys.argv[1:] == ["child"]:
        child("subprocess")
        sys.exit(0)
    probe.emit("before")
    probe.configure(run="x", labels=LABELS)
    probe.emit("after")
    subprocess.run([sys.executable, __file__, "child"], check=True, timeout=60)
    spawned = multiprocessing.get_context("spawn").Process(target=child, args=("spawn",))
    spawned.start()
    spawned.join(60)
    assert spawned.exitcode == 0, spawned.exitcode
    assert probe.flush(20), probe.stats()
