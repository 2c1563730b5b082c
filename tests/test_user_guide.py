"""The ``>>>`` lines of the user guide (docs/user_guide/*.rst) run and print
what the pages say they print."""

import doctest
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "user_guide"
PAGES = sorted(GUIDE.glob("*.rst"))
NEEDS = {
    "pytorch.rst": "torch",
    "inspection.rst": "matplotlib",
    "saving.rst": "skops onnx onnxruntime",
}


def test_there_are_pages():
    assert {page.name for page in PAGES} >= {
        "data_model.rst", "cells.rst", "training.rst", "pytorch.rst",
        "inspection.rst",
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_user_guide_page(page):
    for module in NEEDS.get(page.name, "").split():
        pytest.importorskip(module)
    with warnings.catch_warnings():
        # Short fits in the pages stop at max_iter on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = doctest.testfile(
            str(page), module_relative=False, report=True,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
