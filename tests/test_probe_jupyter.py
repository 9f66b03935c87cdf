"""The probe inside a real Jupyter kernel: events arrive, and a kernel restart neither hangs nor
loses the ``end`` of the streams the old kernel left open."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient, KernelManager

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.helpers import PROGRAMS, probe_environment, read_jsonl, wait_for

HANG = 30.0  # seconds: jupyter_client kills a kernel that has not stopped after 5 s
CELL = (PROGRAMS / "jupyter_cell.py").read_text()
# Unnamed loops on line 1 of three cells; the third is the first one's code, run again.
LOOP_CELLS = (
    "for _ in probe.iterate(range(10)): pass",
    "for _ in probe.iterate(range(20)): pass",
    "for _ in probe.iterate(range(10)): pass",
)


@contextmanager
def kernel(endpoint: str, cwd: Path) -> Iterator[tuple[KernelManager, BlockingKernelClient]]:
    """A python3 kernel whose probe sends to ``endpoint``, and a client of it, once it is ready;
    both are shut down after."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=probe_environment(endpoint), cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


def run_cell(client: BlockingKernelClient, code: str) -> str:
    """Execute ``code`` in the kernel; returns what it printed."""
    printed: list[str] = []

    def output(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=60, output_hook=output)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


@pytest.mark.parametrize("listening", [True, False], ids=["collector", "no-collector"])
def test_probe_in_a_kernel_and_a_restart_that_does_not_hang(tmp_path, start_collector, listening):
    out = tmp_path / "events.jsonl"
    if listening:
        endpoint = start_collector("--interval", "0", "--sink", f"file:{out}").endpoint
    else:
        endpoint = free_tcp_endpoint()
    with kernel(endpoint, tmp_path) as (manager, client):
        first_pid = int(run_cell(client, CELL))
        assert not listening or wait_for(
            lambda: any(e["probe"] == "cell-loop" and e["event"] == "end" for e in read_jsonl(out))
        )

        started = time.monotonic()
        manager.restart_kernel(now=False)
        restart_seconds = time.monotonic() - started
        print(f"\nkernel restart took {restart_seconds:.2f} s (collector: {listening})")
        assert restart_seconds < HANG
        client.wait_for_ready(timeout=60)
        second_pid = int(run_cell(client, CELL))
        assert second_pid != first_pid
        if not listening:
            return

        def old_kernel_ends():
            return {
                e["probe"]: e["n"]
                for e in read_jsonl(out)
                if e["pid"] == first_pid and e["event"] == "end"
            }

        assert wait_for(lambda: len(old_kernel_ends()) == 3), read_jsonl(out)
        assert old_kernel_ends() == {"step": 1000, "cell-loop": 100, "open-bar": 5}
        assert wait_for(
            lambda: any(e["pid"] == second_pid and e["event"] == "start" for e in read_jsonl(out))
        )


def test_unnamed_loops_on_line_1_of_two_cells_are_two_streams(tmp_path, start_collector):
    out = tmp_path / "events.jsonl"
    endpoint = start_collector("--interval", "0", "--sink", f"file:{out}").endpoint
    with kernel(endpoint, tmp_path) as (_, client):
        run_cell(client, "import probe")
        for cell in LOOP_CELLS:
            run_cell(client, cell)

        def ends():
            return {e["probe"]: e["n"] for e in read_jsonl(out) if e["event"] == "end"}

        assert wait_for(lambda: len(ends()) == 3), read_jsonl(out)
        assert ends() == {"In[2]:1": 10, "In[3]:1": 20, "In[4]:1": 10}
