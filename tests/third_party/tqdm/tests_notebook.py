# Copied from the tqdm 4.70.1 source distribution, tests/tests_notebook.py, unchanged below this header.
# Licence: MPL-2.0 (tqdm's LICENCE, in this folder).
from tqdm.notebook import tqdm as tqdm_notebook


def test_notebook_disabled_description():
    """Test that set_description works for disabled tqdm_notebook"""
    with tqdm_notebook(1, disable=True) as t:
        t.set_description("description")
