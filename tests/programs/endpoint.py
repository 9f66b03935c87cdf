"""Prints the endpoint the probe is pointed at."""

import os

print(os.environ["HOTPROBE_ENDPOINT"])
