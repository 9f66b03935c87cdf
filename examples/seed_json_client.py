"""The seed's JSON client: dicts without timestamps, sent with ``send_json``.

The collector stamps each with its arrival time.

    hotprobe collect --interval 0 --sink stdout &
    python examples/seed_json_client.py
"""

import argparse
import random

import zmq

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--endpoint", default="tcp://localhost:5556")
parser.add_argument("--count", type=int, default=50)
args = parser.parse_args()

context = zmq.Context()
socket = context.socket(zmq.PAIR)
socket.setsockopt(zmq.LINGER, 2000)
socket.connect(args.endpoint)

for _ in range(args.count):
    d = dict(
        apples=random.randint(1, 1000),
        oranges=random.randint(1, 1000),
        bananas=random.randint(1, 1000),
    )
    print(f"sending data {d}")
    socket.send_json(d)

socket.close()
context.term()
