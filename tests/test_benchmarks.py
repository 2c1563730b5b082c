"""Smoke tests of the benchmark scripts on tiny generated data, so that they
keep running as the package changes (their measurements are in
benchmarks/RESULTS.md, never asserted here)."""

import warnings

import numpy as np
import pytest
from _benchmark_scripts import load_script

from skrnn.datasets import make_questions


@pytest.fixture
def tiny_tsv(tmp_path):
    sentences, labels = make_questions(60, random_state=0)
    path = tmp_path / "tiny.tsv"
    path.write_text(
        "label\ttext\n" + "".join(f"{y}\t{s}\n" for y, s in zip(labels, sentences))
    )
    return path


@pytest.mark.parametrize("preset", ["search", "default", "recommended"])
def test_sentences_presets_run(preset, tiny_tsv, capsys):
    sentences = load_script("sentences")
    params = '{"max_iter": 1, "hidden_size": 3, "embedding_size": 2}'
    argv = ["--train", str(tiny_tsv), "--test", str(tiny_tsv), "--cell", "rnn,gru",
            "--preset", preset, "--params", params, "--hidden-size", "3",
            "--learning-rate", "0.01", "--folds", "2", "--n-jobs", "1", "--C", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sentences.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count(f"recurrent ({preset})") == 2
    assert out.count("test accuracy") == 3  # the baseline and two cells
    if preset == "recommended":
        assert "'min_frequency': 2" in out and "'bidirectional': True" in out


def test_sentences_rejects_unknown_cell(tiny_tsv, capsys):
    sentences = load_script("sentences")
    with pytest.raises(SystemExit):
        sentences.main(["--train", str(tiny_tsv), "--cell", "rnn,transformer"])
    assert "unknown cell(s) ['transformer']" in capsys.readouterr().err


def test_sentences_dev_split_never_reads_the_test_file(tiny_tsv, tmp_path, capsys):
    sentences = load_script("sentences")
    params = '{"max_iter": 1, "hidden_size": 3}'
    argv = ["--train", str(tiny_tsv), "--test", str(tmp_path / "absent.tsv"),
            "--dev", "20", "--cell", "rnn", "--preset", "default",
            "--params", params, "--folds", "2", "--n-jobs", "1", "--C", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sentences.main(argv) == 0
    out = capsys.readouterr().out
    assert "data: 40 training, 20 dev sentences" in out
    assert out.count("dev accuracy") == 2 and "test accuracy" not in out


def test_correctness_report_runs(capsys):
    correctness = load_script("correctness")
    selected = "test_gradient_finite_differences and rnn-tanh-1layer-uni-last"
    assert correctness.main(["-k", selected]) == 0
    out = capsys.readouterr().out
    assert "worst relative error against central differences" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("rnn-tanh"))
    assert float(line.split()[1]) < 1e-6


def test_compare_torch_replay_counts_the_epochs_products():
    """The replayed products are exactly skrnn's: forward and backward for
    every step but each sequence's first, the weight gradient for all."""
    compare_torch = load_script("compare_torch")
    lengths = np.array([3, 1, 4, 2, 2])
    calls = []
    original = compare_torch.np.matmul

    def counting(a, b, out=None):
        calls.append((a.shape, b.shape))
        return original(a, b, out=out)

    compare_torch.np.matmul = counting
    try:
        gflops = compare_torch.replay_gflops(lengths, 2, 3, 4, np.float64, 0, repeats=1)
    finally:
        compare_torch.np.matmul = original
    flops = sum(2 * a[0] * a[1] * b[1] for a, b in calls)
    assert flops == 2 * 4 * 3 * 3 * (3 * lengths.sum() - 2 * len(lengths))
    assert np.isfinite(gflops) and gflops > 0


def test_compare_torch_runs(capsys):
    compare_torch = load_script("compare_torch")
    argv = ["--cells", "gru", "--hidden-sizes", "4", "--dtypes", "float32",
            "--repeats", "1", "--n-samples", "70", "--vocab", "20", "--max-length", "8"]
    assert compare_torch.main(argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    header, row = lines[0], lines[-1]
    assert len(lines) == 3 and row.startswith("| gru | 4 | float32 |")
    assert header.count("|") == row.count("|") and "share (replay)" in header


def test_threads_runs_and_restores_the_switch(capsys):
    threads = load_script("threads")
    import skrnn._parallel as module

    real = module.blas_threads
    argv = ["--predict", "gru:4", "--train", "gru:4:3", "--repeats", "1",
            "--n-samples", "60", "--n-train", "30"]
    assert threads.main(argv) == 0
    assert module.blas_threads is real
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith("| gru")]
    assert len(rows) == 2 and rows[1].startswith("| gru 4, embedding 3 | 30 |")


def test_sentences_torch_runs(tiny_tsv, capsys):
    pytest.importorskip("torch")
    sentences_torch = load_script("sentences_torch")
    argv = ["--train", str(tiny_tsv), "--test", str(tiny_tsv), "--seeds", "0,1",
            "--epochs", "2", "--hidden-size", "3", "--embedding-size", "2",
            "--cell", "lstm"]
    assert sentences_torch.main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("seed ") == 2 and "mean:" in out and "final epoch:" in out


def test_long_range_runs(capsys):
    long_range = load_script("long_range")
    argv = ["--n-samples", "40", "--min-length", "5", "--max-length", "8",
            "--folds", "2",
            "--params", '{"max_iter": 2, "hidden_size": 3, "batch_size": 8}']
    assert long_range.main(argv) == 0
    out = capsys.readouterr().out
    assert "40 sentences of 5-8 words" in out
    assert all(f"cell={cell!r}" in out for cell in ("rnn", "gru", "lstm"))


def test_window_sizes_runs_on_generated_series(tmp_path, capsys):
    """Without the data files (an empty --data-dir) window_sizes.py falls back
    to generated series, trains every size the same epochs, and skips a size
    longer than every series."""
    window_sizes = load_script("window_sizes")
    argv = ["--data-dir", str(tmp_path), "--sizes", "1,4,64", "--epochs", "2",
            "--repeats", "1", "--n-samples", "12", "--length", "16"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert window_sizes.main(argv) == 0
    out = capsys.readouterr().out
    assert "data: generated sawtooth series" in out
    assert "skipped: size(s) [64]" in out
    fits = [line for line in out.splitlines() if line.startswith("  size")]
    assert len(fits) == 2 and all(line.endswith(", 2 epochs") for line in fits)
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 4 and rows[0].startswith("| size | steps per sequence |")
    assert rows[2].startswith("| 1 | 16.0 | 1 |")
    assert rows[3].startswith("| 4 | 4.0 | 4 |")
    assert all(line.count("|") == rows[0].count("|") for line in rows)
