"""``hotprobe demo``: a collector and an instrumented Monte Carlo run, side by side."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from collector import registry as registry_module
from collector.config import CollectorConfig
from collector.pipeline.collect import Collector
from collector.pipeline.endpoints import free_tcp_endpoint
from probe.protocol import new_run_id


def run_demo(sinks: list[str] | None = None, seconds: float = 3.0, stay: bool = False) -> int:
    """Run the collector here and ``collector.demo.workload`` in a child process; with
    ``stay``, the collector goes on after the workload until SIGINT or SIGTERM (for a view
    that is looked at afterwards, such as the web page)."""
    endpoint = free_tcp_endpoint()
    config = CollectorConfig(bind=[endpoint], interval=0.1, sinks=sinks or ["stdout"])
    collector = Collector.from_config(config, registry_module.load())
    env = dict(
        os.environ,
        HOTPROBE_ENDPOINT=endpoint,
        HOTPROBE_DEMO_SECONDS=str(seconds),
        HOTPROBE_RUN=new_run_id(["demo"]),
        HOTPROBE_RUN_START="1",  # the workload describes its run
    )
    env.pop("HOTPROBE_DISABLE", None)
    worker = subprocess.Popen([sys.executable, "-m", "collector.demo.workload"], env=env)

    def stop_when_done() -> None:
        try:
            worker.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            worker.kill()
        if stay:
            print("hotprobe: demo done; the collector runs on until Ctrl-C", file=sys.stderr)
        else:
            collector.stop()

    threading.Thread(target=stop_when_done, daemon=True).start()
    status = collector.run()
    return worker.wait() or status
