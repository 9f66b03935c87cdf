"""tqdm, bridged: what a bar costs per iteration, and what the start-up hook costs, side by side.

    PYTHONPATH=. python benchmarks/tqdm_bridge.py [--n 300000] [--repeats 41] [--starts 40]

Per iteration, in one process with a reader bound to the probe's endpoints (so events are
really sent), interleaved repeats of: a bare loop; ``tqdm(range(N))`` and ``bar.update()``
(the anchors); the same with ``probe.patch_tqdm()`` in force; ``probe.tqdm``; and
``probe.iterate``. Printed ratios are each one's overhead over the bare loop divided by
tqdm's, from the fastest repeats (goals from issue 14: patched <= 1.02, ``probe.tqdm``
<= 1.05).

Start-up, with ``HOTPROBE_TQDM`` unset: the time site takes to process a site-packages folder
holding ``hotprobe_startup.pth``, against the same folder without it, in one process (the
cost of the hook itself, goal < 1 ms); and ``python -c pass`` started from two virtual
environments, one with the hook and one without, interleaved (whole start-ups, noisier).
Also, with the variable set: the cost when the program never imports tqdm, and what patching
adds to ``import tqdm``. ``hotprobe run``'s own start-up overhead is measured where that
command is available (see ``run_overhead``).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path
from statistics import median

from _common import clean_environment, iteration_parser, run_measuring, start_reader

from collector.pipeline.endpoints import free_tcp_endpoint

ROOT = Path(__file__).resolve().parent.parent
HOOK_FILES = {
    ROOT / "probe" / "hotprobe_startup.pth": "hotprobe_startup.pth",
    ROOT / "probe" / "_startup.py": "_hotprobe_startup.py",
}
GOALS = {"patched tqdm": 1.02, "probe.tqdm": 1.05}


# -- per iteration --------------------------------------------------------------------------
def measure_iterations(n: int, repeats: int) -> dict[str, list[float]]:
    """Seconds per iteration of every variant, one value per repeat, in this process."""
    from tqdm import tqdm

    import probe

    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole measurement

    def bare():
        for _ in range(n):
            pass

    def loop(cls):
        for _ in cls(range(n), file=devnull):
            pass

    def update(cls):
        with cls(total=n, file=devnull) as bar:
            for _ in range(n):
                bar.update()

    def iterate():
        for _ in probe.iterate(range(n), "bench.iterate"):
            pass

    variants = {
        "bare": bare,
        "tqdm": lambda: loop(tqdm),
        "patched tqdm": lambda: loop(tqdm),
        "probe.tqdm": lambda: loop(probe.tqdm),
        "probe.iterate": iterate,
        "tqdm update()": lambda: update(tqdm),
        "patched update()": lambda: update(tqdm),
        "probe.tqdm update()": lambda: update(probe.tqdm),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for repeat in range(repeats):
        turn = repeat % len(names)  # each repeat starts elsewhere: no variant always follows one
        for name in names[turn:] + names[:turn]:
            variant = variants[name]
            patched = name.startswith("patched")
            if patched:
                probe.patch_tqdm()
            started = time.perf_counter()
            variant()
            times[name].append((time.perf_counter() - started) / n)
            if patched:
                probe.unpatch_tqdm()
    return {**times, "sent": probe.stats()["sent"]}


def iteration_ratios(t: dict[str, list[float]]) -> list[tuple[str, float, float, float, float]]:
    """(comparison, its overhead, tqdm's, ratio, median ratio). Overheads over the bare loop
    and the ratio come from each variant's fastest repeat, as ``timeit`` advises: on a shared
    machine the slower repeats measure the other processes. The median ratio pairs each
    repeat with the same repeat's bare loop and anchor, as a check."""
    rows = []
    for name, anchor in (
        ("patched tqdm", "tqdm"),
        ("probe.tqdm", "tqdm"),
        ("probe.iterate", "tqdm"),
        ("patched update()", "tqdm update()"),
        ("probe.tqdm update()", "tqdm update()"),
    ):
        ours, theirs = min(t[name]) - min(t["bare"]), min(t[anchor]) - min(t["bare"])
        paired = median(
            (v - b) / (a - b) for v, a, b in zip(t[name], t[anchor], t["bare"], strict=True)
        )
        rows.append((name, ours, theirs, ours / theirs, paired))
    return rows


# -- start-up -------------------------------------------------------------------------------
def hook_processing_cost(repeats: int) -> tuple[float, float]:
    """Median seconds for site to process a folder with the hook and one without (unset)."""
    assert "HOTPROBE_TQDM" not in os.environ
    with tempfile.TemporaryDirectory() as hooked, tempfile.TemporaryDirectory() as empty:
        for source, name in HOOK_FILES.items():
            shutil.copy(source, Path(hooked, name))
        times: dict[str, list[float]] = {hooked: [], empty: []}
        for _ in range(repeats):
            for folder, values in times.items():
                started = time.perf_counter()
                site.addsitedir(folder)
                values.append(time.perf_counter() - started)
                sys.path.remove(folder)
        return median(times[hooked]), median(times[empty])


def environment(folder: Path, hooked: bool) -> Path:
    """A virtual environment that sees this machine's packages, with or without the hook."""
    venv.create(folder, system_site_packages=True, with_pip=False, symlinks=True)
    if hooked:
        purelib = Path(sysconfig.get_path("purelib", vars={"base": str(folder)}))
        for source, name in HOOK_FILES.items():
            shutil.copy(source, purelib / name)
    return folder / "bin" / "python"


def start_times(commands: dict[str, tuple[Path, list[str], dict]], starts: int) -> dict:
    """Median wall-clock seconds of each command, run in interleaved turns."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(starts):
        for name, (python, args, env) in commands.items():
            started = time.perf_counter()
            subprocess.run([str(python), *args], env=env, check=True, timeout=60)
            times[name].append(time.perf_counter() - started)
    return {name: median(values) for name, values in times.items()}


HOTPROBE = [sys.executable, "-c", "import sys; from collector.cli import main; sys.exit(main())"]


def run_overhead(starts: int) -> str:
    """``hotprobe run -- python -c pass`` against ``python -c pass`` (goal: <= 0.5 s more)."""
    base = clean_environment()
    available = subprocess.run([*HOTPROBE, "run", "--help"], capture_output=True, timeout=60)
    if available.returncode != 0:
        return "hotprobe run -- python -c pass: no `hotprobe run` in this checkout"
    command = [sys.executable, "-c", "pass"]
    times = start_times(
        {
            "python -c pass": (Path(command[0]), command[1:], base),
            "hotprobe run": (Path(HOTPROBE[0]), [*HOTPROBE[1:], "run", "--", *command], base),
        },
        starts,
    )
    extra = times["hotprobe run"] - times["python -c pass"]
    return f"hotprobe run -- python -c pass: {extra * 1e3:+.0f} ms over python -c pass (goal 500)"


def print_iterations(t: dict, n: int, repeats: int) -> None:
    print(f"per iteration, N={n:,}, fastest of {repeats} repeats (events sent: {t['sent']})")
    print(f"  bare loop {min(t['bare']) * 1e9:.1f} ns; tqdm {min(t['tqdm']) * 1e9:.1f} ns")
    for name, ours, anchor, ratio, paired in iteration_ratios(t):
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            verdict = f"  goal <= {goal:.2f}: {'met' if ratio <= goal else 'MISSED'}"
        print(
            f"  {name:<20} {ours * 1e9:6.1f} ns over bare vs tqdm's {anchor * 1e9:6.1f} ns"
            f"  ratio {ratio:.3f} (median of pairs {paired:.3f}){verdict}"
        )


def print_startup(base: dict[str, str], starts: int) -> None:
    with_hook, without = hook_processing_cost(repeats=2000)
    cost = (with_hook - without) * 1e6
    print("start-up hook, HOTPROBE_TQDM unset:")
    print(
        f"  site processing a folder with the hook {with_hook * 1e6:.1f} us, without"
        f" {without * 1e6:.1f} us: the hook costs {cost:.1f} us (goal < 1000)"
    )
    with tempfile.TemporaryDirectory() as folder:
        hooked = environment(Path(folder, "hooked"), hooked=True)
        plain = environment(Path(folder, "plain"), hooked=False)
        on = {**base, "HOTPROBE_TQDM": "1"}
        times = start_times(
            {
                "plain, pass": (plain, ["-c", "pass"], base),
                "hooked, pass": (hooked, ["-c", "pass"], base),
                "hooked, set, pass": (hooked, ["-c", "pass"], on),
                "plain, import tqdm": (plain, ["-c", "import tqdm"], base),
                "hooked, set, import tqdm": (hooked, ["-c", "import tqdm"], on),
            },
            starts,
        )
    ms = {name: value * 1e3 for name, value in times.items()}
    unset = ms["hooked, pass"] - ms["plain, pass"]
    print(
        f"  python -c pass, medians of {starts} starts: without the hook"
        f" {ms['plain, pass']:.1f} ms, with it {ms['hooked, pass']:.1f} ms ({unset:+.1f} ms)"
    )
    print("start-up hook, HOTPROBE_TQDM=1:")
    waiting = ms["hooked, set, pass"] - ms["plain, pass"]
    print(f"  python -c pass: {waiting:+.1f} ms (tqdm waits for the program to import it)")
    patching = ms["hooked, set, import tqdm"] - ms["plain, import tqdm"]
    print(
        f"  python -c 'import tqdm': {ms['hooked, set, import tqdm']:.1f} ms against"
        f" {ms['plain, import tqdm']:.1f} ms ({patching:+.1f} ms: importing probe, and the patch)"
    )


def main() -> None:
    parser = iteration_parser(__doc__, n=300_000, repeats=41, repeats_help="repeats of every loop")
    parser.add_argument("--starts", type=int, default=40, help="interpreter starts per command")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_iterations(args.n, args.repeats)))
        return

    base = clean_environment()
    endpoint = free_tcp_endpoint()
    reader = start_reader(endpoint)
    try:
        env = {**base, "HOTPROBE_ENDPOINT": endpoint}
        measured = run_measuring(__file__, args, env, timeout=900, label="per iteration")
    finally:
        reader.kill()
        reader.wait()
    print_iterations(measured, args.n, args.repeats)
    print_startup(base, args.starts)
    print(run_overhead(args.starts))


if __name__ == "__main__":
    main()
