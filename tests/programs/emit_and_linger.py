"""Emits one mark, ``first``, and stays alive 3 s holding its socket."""

import time

import probe

probe.emit("first")
time.sleep(3)
