"""Raw messages as fast as ZeroMQ takes them, to the PAIR endpoint argv[1] and its fan-in
argv[2], until it is killed."""

import contextlib
import sys

import zmq

context = zmq.Context()
pair = context.socket(zmq.PAIR)
push = context.socket(zmq.PUSH)
pair.connect(sys.argv[1])
push.connect(sys.argv[2])
n = 0
while True:
    n += 1
    for sock in (pair, push):
        with contextlib.suppress(zmq.Again):
            sock.send(b'{"probe": "flood", "n": %d}' % n, zmq.NOBLOCK)
