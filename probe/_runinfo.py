"""What a run is: a readable run id, the user's labels, and the description its ``run`` event
carries (command line, working directory, Python version, git commit and dirty flag)."""

from __future__ import annotations

import os
import sys
from typing import Any

#: How long ``git status`` may take before the dirty flag is given up (``null``).
GIT_STATUS_TIMEOUT = 0.5


def parse_labels(text: str) -> dict[str, Any]:
    """``k=v,k=v`` (``HOTPROBE_LABELS``) as a dict; an item without ``=`` is a label with an
    empty value, spaces around names and values are dropped. A JSON object (what
    ``format_labels`` writes for child processes) is read as itself, values keeping their types."""
    if text.lstrip().startswith("{"):
        import json

        try:
            value = json.loads(text)
        except (ValueError, RecursionError):  # never raise at import: read as k=v instead
            value = None
        if isinstance(value, dict):
            return {str(key): item for key, item in value.items()}
    labels: dict[str, Any] = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key.strip():
            labels[key.strip()] = value.strip()
    return labels


def format_labels(labels: dict[str, Any]) -> str:
    """``labels`` as ``HOTPROBE_LABELS`` hands them to child processes: a JSON object, so that
    commas, ``=`` and the values' types survive (``parse_labels`` reads it back)."""
    import json

    from probe._wire import json_safe

    return json.dumps(json_safe(dict(labels)))  # ASCII: \u escapes for NUL and surrogates


def describe(labels: dict[str, Any]) -> dict[str, Any]:
    """The ``info`` of a run's ``start`` event, read now."""
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was removed
        cwd = None
    return {
        "phase": "start",
        "argv": list(sys.argv),
        "cwd": cwd,
        "python": sys.version.split()[0],
        "git": git_state(cwd) if cwd else None,
        "labels": dict(labels),
    }


def git_state(directory: str) -> dict[str, Any] | None:
    """``{"commit", "branch", "dirty"}`` of the repository holding ``directory``, or None.

    The commit is read from the ``.git`` files themselves (no process started); the dirty
    flag asks ``git status`` (tracked files only, no lock taken) and is None when git is
    missing or does not answer within ``GIT_STATUS_TIMEOUT``."""
    git_dir = _find_git_dir(directory)
    if git_dir is None:
        return None
    try:
        with open(os.path.join(git_dir, "HEAD")) as file:
            head = file.read().strip()
    except OSError:
        return None
    branch = None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref.removeprefix("refs/heads/")
        commit = _resolve_ref(git_dir, ref)
    else:
        commit = head or None
    return {"commit": commit, "branch": branch, "dirty": _dirty(directory)}


def _find_git_dir(directory: str) -> str | None:
    """The git directory for ``directory``: ``.git`` in it or a parent (a ``.git`` file, as
    in worktrees and submodules, names it)."""
    current = os.path.abspath(directory)
    while True:
        candidate = os.path.join(current, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):
            try:
                with open(candidate) as file:
                    text = file.read().strip()
            except OSError:
                return None
            if text.startswith("gitdir:"):
                return os.path.join(current, text[len("gitdir:") :].strip())
            return None
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _resolve_ref(git_dir: str, ref: str) -> str | None:
    """A ref's commit, from its loose file or ``packed-refs`` (in the common directory of a
    worktree); None for a branch without commits."""
    directories = [git_dir]
    try:
        with open(os.path.join(git_dir, "commondir")) as file:
            directories.append(os.path.join(git_dir, file.read().strip()))
    except OSError:
        pass
    for base in directories:
        try:
            with open(os.path.join(base, ref)) as file:
                return file.read().strip() or None
        except OSError:
            pass
        try:
            with open(os.path.join(base, "packed-refs")) as file:
                for line in file:
                    sha, _, name = line.strip().partition(" ")
                    if name == ref:
                        return sha
        except OSError:
            pass
    return None


def _dirty(directory: str) -> bool | None:
    import subprocess  # here, not at import: it costs ``import probe`` a few milliseconds

    try:
        result = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            timeout=GIT_STATUS_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return bool(result.stdout.strip())
