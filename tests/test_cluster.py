"""The picture in docs/operations.md: ranks on many nodes, one collector with CURVE, a MongoDB
replica set acknowledging with ``w=majority``."""

from __future__ import annotations

import subprocess

from tests.helpers import (
    free_port,
    make_keys,
    probe_environment,
    program,
    reachable_host_name,
    wait_for,
)
from tests.mongo_server import collection_of, collection_uri, external_server, fresh_name


def test_ranks_into_one_collector_into_a_replica_set(tmp_path, start_collector, mongo_servers):
    server = None if external_server() else mongo_servers(replica_set=True)
    collection = fresh_name()
    spec = collection_uri(server, collection, w="majority")
    if server is not None:
        assert "replicaSet=" in spec and "directConnection" not in spec
    keys, clients = make_keys(tmp_path)
    port = free_port()
    collector = start_collector(
        "--interval", "0", "--sink", spec,
        "--curve-secret-key", str(keys / "collector.key_secret"),
        "--curve-clients", str(clients),
        endpoint=f"tcp://0.0.0.0:{port}",
    )  # fmt: skip
    host, extra = reachable_host_name()
    env = probe_environment(
        f"tcp://{host}:{port}",
        **extra,
        HOTPROBE_SERVER_KEY=str(keys / "collector.key"),
        HOTPROBE_CLIENT_KEY=str(keys / "alice.key_secret"),
        HOTPROBE_RUN="slurm-81723",
    )
    ranks = [
        subprocess.Popen(program("rank"), env=dict(env, RANK=str(rank)), stdout=subprocess.DEVNULL)
        for rank in range(4)
    ]
    assert [rank.wait(timeout=60) for rank in ranks] == [0, 0, 0, 0]
    documents = collection_of(spec)
    steps = {"run": "slurm-81723", "probe": "rank-step"}
    assert wait_for(lambda: documents.count_documents(steps) == 200, timeout=30), collector.stderr
    assert collector.stop() == 0
    assert sorted(documents.distinct("data.rank", steps)) == [0, 1, 2, 3]
    assert len(documents.distinct("pid", {"run": "slurm-81723"})) == 4
