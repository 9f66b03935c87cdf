"""A PAIR client that is not a probe: connects to ``argv[1]``, sends one message, says
"connected" and holds the PAIR slot until a line arrives on stdin."""

import sys

import zmq

sock = zmq.Context().socket(zmq.PAIR)
sock.connect(sys.argv[1])
sock.send(b'{"probe": "foreign", "event": "mark"}')
print("connected", flush=True)
sys.stdin.readline()
