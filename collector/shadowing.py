"""hotprobe's import packages come from one place: a ``plugins`` or ``probe`` package of
the user's, earlier on ``sys.path``, is never imported in their place."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

#: hotprobe's top-level packages other than ``collector`` (which is where this module is).
SIBLING_PACKAGES = ("probe", "plugins")
OWN_ROOT = Path(__file__).resolve().parent.parent


class ShadowedPackage(ImportError):
    """A package of one of hotprobe's names is found somewhere other than beside ``collector``."""


def check_own_packages() -> None:
    """Raise ``ShadowedPackage``, naming both paths, unless ``probe`` and ``plugins`` resolve
    to hotprobe's own. Nothing of a shadowing package is run to find out."""
    for name in SIBLING_PACKAGES:
        own = OWN_ROOT / name / "__init__.py"
        found = _location(name)
        if found is None or found != own:
            raise ShadowedPackage(
                f"the package {name!r} would be imported from {found or 'nowhere'}, not from "
                f"hotprobe's {own}: a package of that name earlier on sys.path (the current "
                "directory, PYTHONPATH) shadows it; rename that package, or run from another "
                "directory"
            )


def _location(name: str) -> Path | None:
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None) if module is not None else None
    if module is None:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
    return Path(origin).resolve() if origin else None
