"""Plain tqdm, no probe: one bar of six, named ``as-module`` when run as ``python -m
tqdm_six``, else as the console script that calls ``main`` names it."""

from tqdm import tqdm


def main(desc: str) -> None:
    for _ in tqdm(range(6), desc=desc):
        pass


if __name__ == "__main__":
    main("as-module")
