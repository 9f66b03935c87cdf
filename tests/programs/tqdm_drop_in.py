"""probe.tqdm and probe.trange as drop-ins: unnamed and named bars, postfix values."""

import io
import time

import probe


def load():
    for _ in probe.tqdm(range(40), file=io.StringIO(), mininterval=0):
        time.sleep(0.005)


load()
with probe.tqdm(total=6, desc="solve", unit="step", file=io.StringIO()) as bar:
    for i in range(6):
        bar.update()
        bar.set_postfix({"stage": "fit"}, loss=1 / (i + 1), model=object)
for _ in probe.trange(5, desc="epochs: ", file=io.StringIO()):
    pass
bar = probe.tqdm(total=3, desc="postfix-str", file=io.StringIO())
bar.set_postfix_str("warm")
bar.update(3)
bar.close()
