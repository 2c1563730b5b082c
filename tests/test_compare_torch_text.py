"""Smoke tests of benchmarks/compare_torch_text.py on tiny generated data, so
that it keeps running as the package changes (its measurements go to
benchmarks/RESULTS.md, never asserted here)."""


import pytest
from _benchmark_scripts import load_script as load_benchmark_script

import skrnn
from skrnn.datasets import make_questions

TINY = ["--repeats", "1",
        "--params", '{"hidden_size": 3, "embedding_size": 2, "batch_size": 16}',
        "--regressor-samples", "20", "--regressor-length", "4",
        "--regressor-features", "2", "--regressor-hidden", "3",
        "--lm-hidden", "3", "--lm-embedding", "2", "--lm-batch", "4",
        "--lm-chars", "400"]


def load_script():
    return load_benchmark_script("compare_torch_text")


@pytest.fixture
def tiny_tsv(tmp_path):
    sentences, labels = make_questions(40, random_state=0)
    path = tmp_path / "tiny.tsv"
    path.write_text(
        "label\ttext\n" + "".join(f"{y}\t{s}\n" for y, s in zip(labels, sentences))
    )
    return path


def table_rows(out):
    """The rows of the printed tables, headers left out."""
    return [line for line in out.splitlines()
            if line.startswith("| ") and not line.startswith("| model")]


def test_compare_torch_text_runs(tiny_tsv, capsys):
    pytest.importorskip("torch")
    script = load_script()
    # one thread: on busy cores PyTorch's 2-thread pool is many times slower
    argv = ["--train", str(tiny_tsv), "--cells", "gru,lstm", "--threads", "1", *TINY]
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| model"))
    rows = table_rows(out)
    assert all(row.count("|") == header.count("|") for row in rows)
    assert all("| - |" not in row for row in rows)  # every row has torch's columns
    text = [row.split(" | ")[:3] for row in rows if row.startswith("| text")]
    assert text == [
        ["| text gru", "float32", "1"], ["| text gru", "float64", "1"],
        ["| text lstm", "float32", "1"], ["| text lstm", "float64", "1"],
    ]
    for name, model, row in [
        ("RNNRegressor", "regressor", "| regressor gru 3 | float32 | 1 |"),
        ("RNNLanguageModel", "language model", "| language model lstm 3 | float32 | 1 |"),
    ]:
        if name in skrnn.__all__:
            assert [r for r in rows if r.startswith(f"| {model}")] == [
                r for r in rows if r.startswith(row)
            ]
            assert any(r.startswith(row) for r in rows)
        else:
            assert f"{model} skipped" in out


def test_compare_torch_text_runs_without_torch(tiny_tsv, capsys):
    script = load_script()
    script.torch = None
    argv = ["--train", str(tiny_tsv), "--cells", "gru", "--threads", "1,2", *TINY]
    assert script.main(argv) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [row.split(" | ")[:3] for row in rows if row.startswith("| text")] == [
        ["| text gru", "float32", "1"], ["| text gru", "float64", "1"],
        ["| text gru", "float32", "2"], ["| text gru", "float64", "2"],
    ]
    assert all("| - | - |" in row for row in rows)


def test_compare_torch_text_rejects_unknown_options(tiny_tsv, capsys):
    script = load_script()
    argv = ["--train", str(tiny_tsv), "--models", "text,transformer"]
    assert script.main(argv) == 2
    assert "transformer" in capsys.readouterr().err
