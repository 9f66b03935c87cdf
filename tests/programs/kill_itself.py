"""A program that dies of SIGKILL."""

import os
import signal

os.kill(os.getpid(), signal.SIGKILL)
