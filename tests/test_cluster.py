"""The picture in docs/operations.md: ranks on many nodes, one collector with CURVE, a MongoDB
replica set acknowledging with ``w=majority``."""

from __future__ import annotations

import os
import subprocess
import sys

from collector.pipeline.endpoints import free_tcp_endpoint
from tests.conftest import wait_for
from tests.mongo_server import collection_uri, external_server, fresh_name
from tests.test_mongodb_sink import collection_of
from tests.test_security import RANK, make_keys, reachable_host_name


def test_ranks_into_one_collector_into_a_replica_set(tmp_path, start_collector, mongo_servers):
    server = None if external_server() else mongo_servers(replica_set=True)
    collection = fresh_name()
    spec = collection_uri(server, collection, w="majority")
    if server is not None:
        assert "replicaSet=" in spec and "directConnection" not in spec
    keys, clients = make_keys(tmp_path)
    port = int(free_tcp_endpoint().rpartition(":")[2])
    collector = start_collector(
        "--interval", "0", "--sink", spec,
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
        endpoint=f"tcp://0.0.0.0:{port}",
    )  # fmt: skip
    host, extra = reachable_host_name()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTPROBE_")}
    env.update(
        extra,
        HOTPROBE_ENDPOINT=f"tcp://{host}:{port}",
        HOTPROBE_SERVER_KEY=str(keys / "collector.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
        HOTPROBE_RUN="slurm-81723",
    )
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", RANK], env=dict(env, RANK=str(rank)), stdout=subprocess.DEVNULL
        )
        for rank in range(4)
    ]
    assert [rank.wait(timeout=60) for rank in ranks] == [0, 0, 0, 0]
    documents = collection_of(spec)
    steps = {"run": "slurm-81723", "probe": "rank-step"}
    assert wait_for(lambda: documents.count_documents(steps) == 200, timeout=30), collector.stderr
    assert collector.stop() == 0
    assert sorted(documents.distinct("data.rank", steps)) == [0, 1, 2, 3]
    assert len(documents.distinct("pid", {"run": "slurm-81723"})) == 4
