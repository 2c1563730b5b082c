"""Worst gradient error and PyTorch parity error per cell, from the test suite.

The tests assert bounds (relative error < 1e-6 against central differences,
absolute difference from PyTorch < 1e-9); this script reports the figures
behind them. It runs ``tests/test_gradients.py`` and, when torch is installed
(``pip install torch==2.13.0``, never unpinned),
``tests/test_torch_parity.py`` in this process with pytest, records every
error those tests compute, and prints the worst per cell::

    python benchmarks/correctness.py
    python benchmarks/correctness.py -k "gru and 2layers"   # extra pytest arguments
"""

import collections
import importlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1] / "tests"


def load_test_module(name):
    """Import ``tests/<name>.py`` under the name pytest will look up, so that
    pytest runs this very module object (and the wrappers set on it)."""
    sys.path.insert(0, str(TESTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(TESTS))


def cell_key(params):
    """'rnn-tanh', 'rnn-relu', 'gru' or 'lstm' from a test's parameters."""
    cell = params.get("cell", "?")
    return f"{cell}-{params['nonlinearity']}" if cell == "rnn" else cell


class Recorder:
    """A pytest plugin that notes which test is running and the worst
    error recorded for its cell."""

    def __init__(self):
        self.worst = collections.defaultdict(float)
        self.cases = collections.Counter()
        self.key = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        params = getattr(getattr(item, "callspec", None), "params", {})
        self.key = (item.module.__name__, cell_key(params))
        self.cases[self.key] += 1

    def record(self, error):
        self.worst[self.key] = max(self.worst[self.key], float(error))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    recorder = Recorder()
    files = [str(TESTS / "test_gradients.py")]

    gradients = load_test_module("test_gradients")
    check_gradient = gradients.check_gradient

    def recording_check_gradient(*args, **kwargs):
        errors = check_gradient(*args, **kwargs)
        recorder.record(max(errors.values()))
        return errors

    gradients.check_gradient = recording_check_gradient

    if importlib.util.find_spec("torch") is not None:
        parity = load_test_module("test_torch_parity")
        assert_allclose = parity.assert_allclose

        def recording_assert_allclose(actual, desired, *args, **kwargs):
            actual = np.asarray(actual, dtype=float)
            desired = np.asarray(desired, dtype=float)
            if actual.size:
                recorder.record(np.max(np.abs(actual - desired)))
            return assert_allclose(actual, desired, *args, **kwargs)

        parity.assert_allclose = recording_assert_allclose
        files.append(str(TESTS / "test_torch_parity.py"))
    else:
        print("torch is not installed (pip install torch==2.13.0): gradients only")

    try:
        status = pytest.main(["-q", "-p", "no:cacheprovider", *files, *argv],
                             plugins=[recorder])
    finally:
        gradients.check_gradient = check_gradient
        if len(files) > 1:
            parity.assert_allclose = assert_allclose
    titles = {
        "test_gradients": "worst relative error against central differences",
        "test_torch_parity": "largest absolute difference from PyTorch",
    }
    for module, title in titles.items():
        keys = sorted(key for key in recorder.worst if key[0] == module)
        if keys:
            print(f"{module}.py, {title}:")
            for key in keys:
                print(f"  {key[1]:<9} {recorder.worst[key]:.1e}"
                      f"   ({recorder.cases[key]} tests)")
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
