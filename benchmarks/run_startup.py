"""What ``hotprobe run`` adds to a command's start and end, side by side with the command alone.

    PYTHONPATH=. python benchmarks/run_startup.py [--repeats 9]

Times, in interleaved repeats, ``python -c pass`` and ``hotprobe run -- python -c pass`` (off a
terminal, so the view is JSON lines on stderr; with and without the default record file), each
from its start to its exit, and prints the medians and the time added. Bytecode is cached as in
an installed copy (``PYTHONDONTWRITEBYTECODE`` is unset for the runs; the warm-up run writes
it). The goal (issue 14): at most 0.5 s added.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from statistics import median

GOAL = 0.5
HOTPROBE = "import sys; from collector.cli import main; sys.exit(main(sys.argv[1:]))"
COMMAND = [sys.executable, "-c", "pass"]
VARIANTS = {
    "python -c pass": COMMAND,
    "hotprobe run --record none -- python -c pass": [
        sys.executable,
        "-c",
        HOTPROBE,
        "run",
        "--record",
        "none",
        "--",
        *COMMAND,
    ],
    "hotprobe run -- python -c pass (recorded)": [
        sys.executable,
        "-c",
        HOTPROBE,
        "run",
        "--",
        *COMMAND,
    ],
}


def time_once(command: list[str], cwd: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=60,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="repeats (medians are reported)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, then cached
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as cwd:
        for command in VARIANTS.values():  # warm the file cache once
            time_once(command, cwd, env)
        for _ in range(args.repeats):
            for name, command in VARIANTS.items():
                times[name].append(time_once(command, cwd, env))
    anchor = median(times["python -c pass"])
    print(f"medians of {args.repeats} interleaved runs (start to exit):")
    for name, values in times.items():
        line = f"  {name:<46} {median(values):6.3f} s"
        if name != "python -c pass":
            added = median(values) - anchor
            verdict = "ok" if added <= GOAL else "OVER"
            line += f"   added {added:+.3f} s (goal <= {GOAL} s: {verdict})"
        print(line)


if __name__ == "__main__":
    main()
