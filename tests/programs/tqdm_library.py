"""A library with its own tqdm bar, imported before the program patches tqdm."""

from tqdm.auto import tqdm


def crunch(n: int) -> int:
    return sum(1 for _ in tqdm(range(n), desc="library.crunch", leave=False))
