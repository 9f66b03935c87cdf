"""``HOTPROBE_TQDM=1``: every tqdm bar of every Python process becomes a stream.

Installing the package puts two files at the top of site-packages: ``hotprobe_startup.pth``
(``probe/hotprobe_startup.pth``), whose one line site runs at each interpreter start-up, and
this module, as ``_hotprobe_startup``. With the variable unset (or ``0``) the line reads it and
does nothing else. With it set, the line imports this module, which imports nothing but the
standard library: at that moment ``sys.path`` may not be complete yet, and a program that never
uses tqdm should not pay for importing probe. A finder then waits for the program's own import
of ``tqdm.std`` and patches its class as soon as the module has run. ``python script.py``,
``python -m module``, console scripts and multiprocessing workers (fork, spawn, forkserver:
they inherit the environment) are all covered.

An editable install holds a copy of this module: reinstall after changing it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # ``typing`` alone would cost more start-up time than all the rest
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

TRUE = ("1", "true", "yes", "on")
TQDM_BASE_MODULE = "tqdm.std"


def requested() -> bool:
    """Whether ``HOTPROBE_TQDM`` asks for the patch."""
    return os.environ.get("HOTPROBE_TQDM", "").strip().lower() in TRUE


def _patch() -> None:
    bridge = sys.modules.get("probe._tqdm")
    if bridge is not None and not hasattr(bridge, "patch_tqdm"):
        return  # probe._tqdm itself is importing tqdm: it patches once it is ready
    try:
        from probe import _tqdm

        _tqdm.patch_tqdm()
    except Exception as exc:  # never into the program's import of tqdm
        import logging

        logging.getLogger("probe").warning("hotprobe: HOTPROBE_TQDM: cannot patch tqdm: %r", exc)


class _PatchAfterExec:
    """``tqdm.std``'s own loader, followed by the patch (no ``importlib.abc`` base: importing
    it costs more than everything else here)."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: Any) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _patch()

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, is_package...
        return getattr(self.loader, name)


class TqdmFinder:
    """Finds ``tqdm.std`` through the other finders and patches it once it is loaded."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != TQDM_BASE_MODULE:
            return None
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                if hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchAfterExec(spec.loader)
                return spec
        return None


def install() -> None:
    """Patch tqdm now if it is loaded, else as soon as it is; once per process."""
    if not requested() or any(isinstance(f, TqdmFinder) for f in sys.meta_path):
        return
    if TQDM_BASE_MODULE in sys.modules:
        _patch()
    sys.meta_path.insert(0, TqdmFinder())


install()
