"""With ``HOTPROBE_CLIENT_KEY`` naming a missing file, sends never raise; ``configure`` with
unusable keys raises ``ValueError`` saying why. Key files are in ``$KEYS``; prints ``ok``."""

import logging
import os

import probe

logging.basicConfig(level=logging.WARNING)
for i in range(5):
    probe.emit("step", i=i)  # HOTPROBE_CLIENT_KEY names a missing file: never raises
# the five marks and the run event before them
assert probe.stats()["sent"] == 0 and probe.stats()["dropped"] == 6, probe.stats()
keys = os.environ["KEYS"]
for server, client, message in [
    (keys + "/collector.key", keys + "/missing.key_secret", "no such key file"),
    (keys + "/collector.key", keys + "/alice.key", "holds no secret key"),
    ("not-a-key", None, "no such key file"),
    ("~" * 40, None, "neither 40 z85 characters nor a key file"),
    ("#" * 40, None, "neither 40 z85 characters nor a key file"),
]:
    try:
        probe.configure(server_key=server, client_key=client)
    except ValueError as exc:
        assert message in str(exc), exc
    else:
        raise AssertionError(f"no error for {server}, {client}")
probe.configure(server_key=keys + "/collector.key", client_key=keys + "/alice.key_secret")
print("ok")
