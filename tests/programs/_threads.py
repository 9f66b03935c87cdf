"""What the threaded probe programs share (imported from their own folder, the first entry of
``sys.path`` when one runs as a script)."""

import threading
from collections.abc import Callable


def run_in_threads(worker: Callable[[int], object], count: int) -> None:
    """Run ``worker(k)`` for ``k`` in ``range(count)``, each in its own thread, all at once;
    returns when every one has finished."""
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
