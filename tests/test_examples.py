"""Every example in examples/ runs end to end.

The examples run as sphinx-gallery runs them (as ``__main__``, from the
examples folder, matplotlib's Agg backend), with ``SKRNN_EXAMPLE_QUICK=1``,
which the slower ones read to train on less data. Each example prints what
it measures and draws it: here it must get to the end, print the figure it
is about (`REPORTS`), and leave figures with something drawn on them.
"""

import os
import re
import runpy
import warnings
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

matplotlib = pytest.importorskip("matplotlib")

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))

# What each example must print: the quantity it exists to show.
REPORTS = {
    "plot_char_language_model.py": r"final per-character loss: \d\.\d{3} nats",
    "plot_grid_search.py": r"best mean CV accuracy: [01]\.\d{3}",
    "plot_sequence_regression.py": r"RNNRegressor: +test R² = -?\d\.\d{3}",
    "plot_gunpoint.py": r"recurrent \(documented\): test accuracy [01]\.\d{3}",
    "plot_learning_curves.py": r"best validation accuracy [01]\.\d{3} at epoch \d+",
    "plot_time_series.py": r"accuracy [01]\.\d{3} \+/- ",
    "plot_trec_influence.py": r"test accuracy [01]\.\d{3}",
    "plot_word_order.py": r"'are you good' +-> \w+ +P\(question\) = [01]\.\d{3}",
}


def test_there_are_examples():
    assert len(EXAMPLES) >= 5, EXAMPLES


@pytest.fixture
def example_environment(monkeypatch):
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    monkeypatch.setenv("SKRNN_EXAMPLE_QUICK", "1")
    monkeypatch.chdir(EXAMPLES_DIR)
    # The examples limit BLAS threads and filter warnings for the whole
    # process; put both back afterwards.
    with threadpool_limits(limits=None), warnings.catch_warnings():
        yield
    plt.close("all")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, example_environment, capsys):
    import matplotlib.pyplot as plt

    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert path.name in REPORTS, f"say in REPORTS what {path.name} must print"
    assert re.search(REPORTS[path.name], out), out
    figures = [plt.figure(n) for n in plt.get_fignums()]
    assert figures, "an example draws its results"
    for figure in figures:
        assert any(ax.has_data() for ax in figure.axes), figure


@pytest.mark.slow
def test_trec_example_falls_back_to_generated_data(
    example_environment, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("SKRNN_TREC_DIR", os.fspath(tmp_path))  # no files there
    runpy.run_path(str(EXAMPLES_DIR / "plot_trec_influence.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "TREC not found" in out and "make_questions" in out
