"""The seed's simplest PAIR client: plain ``ping N`` strings, no JSON, no timestamps.

hotprobe collect --interval 0 --sink stdout &
python examples/seed_pair_client.py --count 10
"""

import argparse
import time

import zmq

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--endpoint", default="tcp://localhost:5556")
parser.add_argument("--count", type=int, default=0, help="stop after this many (0: for ever)")
parser.add_argument("--delay", type=float, default=0.0, help="seconds between messages")
args = parser.parse_args()

context = zmq.Context()
socket = context.socket(zmq.PAIR)
socket.setsockopt(zmq.LINGER, 2000)  # unsent messages may delay exit by 2 s at most
socket.connect(args.endpoint)

i = 0
while args.count == 0 or i < args.count:
    i += 1
    socket.send_string(f"ping {i}")
    time.sleep(args.delay)

socket.close()
context.term()
