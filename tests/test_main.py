"""``python -m skrnn``: the main job on generated and own data, saved models,
predictions and the errors a user can make, end to end on tiny files."""

import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from _benchmark_scripts import load_script

from skrnn import _presets
from skrnn.__main__ import main
from skrnn._cli import CommandError, models
from skrnn._cli.arguments import build_parser
from skrnn._cli.data import choose_task
from skrnn._cli.saving import TRUSTED_TYPES
from skrnn.datasets import load_sequences, make_marker_distances, make_questions

skops_io = pytest.importorskip("skops.io")

ROOT = Path(__file__).resolve().parents[1]
# the quick settings of every test that trains
TINY = ["--folds", "2", "--preset", "default", "--hidden-size", "4"]


def write_tsv(path, labels, texts):
    path.write_text(
        "label\ttext\n" + "".join(f"{y}\t{t}\n" for y, t in zip(labels, texts)),
        encoding="utf-8",
    )
    return path


def write_sequences(path, labels, X):
    path.write_text(
        "".join(
            f"{y}\t" + "\t".join(",".join(f"{v:.4f}" for v in channel) for channel in x.T)
            + "\n"
            for y, x in zip(labels, X)
        ),
        encoding="utf-8",
    )
    return path


def ramps(n, random_state=0):
    """Ragged 2-channel series that rise or fall, and the change over each."""
    rng = np.random.RandomState(random_state)
    X, labels, change = [], [], []
    for i in range(n):
        length = rng.randint(8, 15)
        slope = 0.5 if i % 2 else -0.5
        level = np.cumsum(rng.randn(length) * 0.3) + slope * np.arange(length)
        X.append(np.c_[level, rng.randn(length)])
        labels.append("up" if i % 2 else "down")
        change.append(level[-1] - level[0])
    return X, np.array(labels), np.array(change)


@pytest.fixture
def questions_file(tmp_path):
    sentences, labels = make_questions(60, random_state=0)
    return write_tsv(tmp_path / "questions.tsv", labels, sentences)


@pytest.fixture
def distances_file(tmp_path):
    """Sentences whose numeric label is the distance from 'red' to 'blue'."""
    texts, targets = make_marker_distances(1000, random_state=0)
    # 1.5 words per step: numbers that are not whole, so regression is detected
    return write_tsv(tmp_path / "distances.tsv", [f"{1.5 * t:g}" for t in targets], texts)


def run_cli(*args):
    """``python -m skrnn args`` of this checkout (its worker processes too)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "skrnn", *map(str, args)], capture_output=True,
        text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": path}, check=False,
    )


# ---------------------------------------------------------------------------
# The job on generated data and on sentence files
# ---------------------------------------------------------------------------


def test_regression_is_detected_and_said_on_the_first_line(distances_file, capsys):
    argv = ["--data", str(distances_file), "--folds", "3", "--hidden-size", "32",
            "--preset", "default"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Regression: detected, the label column is numeric")
    assert "--task classification" in lines[0]
    assert "1000 sentences" in lines[1]
    assert lines[2].startswith("Recurrent pipeline: the plain regressor defaults")
    assert "CountVectorizer -> RidgeCV" in lines[4]
    assert "OneHotSequenceTransformer -> RNNRegressor(hidden_size=32)" in lines[5]
    epochs = [line for line in lines if line.startswith("[fold 3/3] Epoch ")]
    assert epochs and ", loss = " in epochs[0]
    folds = [line for line in lines if line.startswith("fold ")]
    assert len(folds) == 3 and all(line.count("R²") == 2 for line in folds)
    assert lines[-3] == "mean R²:"
    bag = float(lines[-2].split(":")[1].split("+/-")[0])
    recurrent = float(lines[-1].split(":")[1].split("+/-")[0])
    assert bag < 0.3 and recurrent > 0.8  # only word order tells the distance


def test_generated_regression(capsys):
    argv = ["--task", "regression", "--n-samples", "150", "--folds", "2",
            "--hidden-size", "8"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("Regression: as --task regression asks.\n150 sentences")
    assert out.count("R²") >= 4
    assert "Epoch" not in out  # the demo prints a line per fold, as before


def test_the_demo_keeps_its_output(capsys):
    assert main(["--n-samples", "40", "--folds", "2", "--hidden-size", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "40 sentences from make_questions(n_samples=40), 2 classes"
    assert lines[1] == "2-fold cross-validation of:"
    assert lines[3].endswith("OneHotSequenceTransformer -> RNNClassifier(hidden_size=4)")
    assert lines[4].startswith("fold 1/2: bag of words ")
    assert lines[-3] == "mean accuracy:" and len(lines) == 9


def test_classification_of_numeric_class_codes(tmp_path, capsys):
    """Star ratings 1 to 3 are class codes: the job stays a classification."""
    texts = ["good film", "bad film", "fine film"] * 10
    path = write_tsv(tmp_path / "stars.tsv", [3, 1, 2] * 10, texts)
    argv = ["--data", str(path), *TINY]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 sentences from") and "3 classes" in out
    assert "mean accuracy" in out and "R²" not in out
    assert main(argv + ["--task", "regression"]) == 0
    assert capsys.readouterr().out.startswith("Regression: as --task regression asks.")


def test_recommended_preset_is_the_default_with_data(questions_file, capsys,
                                                     monkeypatch):
    """--data picks the README's text configuration; --cell and --hidden-size
    still override it (one epoch here, without pretraining, to stay quick)."""
    chosen = []
    original = models.recurrent_model

    def spy(*args, **kwargs):
        model = original(*args, **kwargs)
        chosen.append(model)
        return model.set_params(rnnclassifier__max_iter=1,
                                rnnclassifier__embedding_size=4,
                                rnnclassifier__pretraining=None)

    monkeypatch.setattr(models, "recurrent_model", spy)
    argv = ["--data", str(questions_file), "--folds", "2", "--cell", "lstm",
            "--hidden-size", "4", "--quiet"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("fold 1/2: bag of words")
    rnn = chosen[0][-1]
    expected = _presets.text_classifier(cell="lstm")[-1]
    assert rnn.cell == "lstm" and rnn.hidden_size == 4
    assert (rnn.bidirectional, rnn.pooling, rnn.batch_size) == (
        expected.bidirectional, expected.pooling, expected.batch_size
    )
    assert chosen[0][0].min_frequency == 2 and chosen[0][0].dtype == np.float32


def test_text_save_then_predict(questions_file, tmp_path, capsys):
    model_path = tmp_path / "model.skops"
    argv = ["--data", str(questions_file), *TINY, "--save", str(model_path)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"60 sentences from {questions_file}, 2 classes"
    assert lines[1].startswith("Recurrent pipeline: the plain classifier defaults")
    assert any(line.startswith("[fold 1/2] Epoch 1/100, loss = ") for line in lines)
    assert any(line.startswith("[fold 2/2] Epoch ") for line in lines)
    assert any(line.startswith("[refit] Epoch 1/100") for line in lines)
    assert len([line for line in lines if line.startswith("fold ")]) == 2
    assert lines[-2].startswith("refit on all 60 samples (")
    assert lines[-1].startswith(f"saved to {model_path}; predict with:")

    model = skops_io.load(model_path, trusted=skops_io.get_untrusted_types(file=model_path))
    sentences = ["are you good", "you are good today", "can the dog swim", "I am here"]
    plain = tmp_path / "new.txt"
    plain.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    assert main(["predict", str(model_path), str(plain)]) == 0
    predicted = capsys.readouterr().out.splitlines()
    assert predicted == list(model.predict(sentences))

    # a TSV with a text column (no label needed), and probabilities
    table = tmp_path / "new.tsv"
    table.write_text("id\ttext\n" + "".join(f"{i}\t{s}\n" for i, s in enumerate(sentences)),
                     encoding="utf-8")
    assert main(["predict", str(model_path), str(table), "--proba"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split("\t") == list(model.classes_)
    probabilities = np.array([row.split("\t") for row in rows], dtype=float)
    np.testing.assert_allclose(probabilities, model.predict_proba(sentences), atol=1e-6)


# ---------------------------------------------------------------------------
# Numeric sequences
# ---------------------------------------------------------------------------


def test_numeric_sequences_classification(tmp_path, capsys):
    X, labels, _ = ramps(40)
    path = write_sequences(tmp_path / "ramps.tsv", labels, X)
    assert main(["--data", str(path), *TINY]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"40 numeric sequences from {path} (2 channels, "
                        f"{min(map(len, X))} to {max(map(len, X))} steps), 2 classes")
    assert lines[1].startswith("Recurrent pipeline: the plain classifier defaults")
    assert lines[3].strip() == "majority class: DummyClassifier"
    assert lines[4].strip() == "recurrent: RNNClassifier(hidden_size=4)"
    assert any(line.startswith("[fold 2/2] Epoch ") for line in lines)
    assert lines[-2].strip().startswith("majority class: 0.500")


def test_numeric_regression_recommended_save_and_predict(tmp_path, capsys):
    """The recommended time-series regressor (L-BFGS: quick, and no epoch
    lines), saved with its private preprocessing step and reloaded."""
    X, _, change = ramps(40)
    path = write_sequences(tmp_path / "change.tsv", [f"{c:.4f}" for c in change], X)
    model_path = tmp_path / "series.skops"
    argv = ["--data", str(path), "--folds", "2", "--save", str(model_path)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Regression: detected")
    assert lines[2].startswith("Recurrent pipeline: the recommended time-series regressor")
    assert "_SeriesPreparation -> SequenceScaler -> SequenceWindows -> RNNRegressor(" in lines[5]
    assert not any("Epoch" in line or "Iteration" in line for line in lines)
    assert lines[-1].startswith(f"saved to {model_path}")
    assert "skrnn._presets._SeriesPreparation" in skops_io.get_untrusted_types(
        file=model_path
    )
    model = skops_io.load(model_path, trusted=TRUSTED_TYPES)
    assert main(["predict", str(model_path), str(path)]) == 0
    predicted = np.array(capsys.readouterr().out.split(), dtype=float)
    X_read, _ = load_sequences(path)
    np.testing.assert_array_equal(predicted, model.predict(X_read))
    assert model.score(X_read, change) > 0.5


def test_n_jobs(tmp_path):
    """--n-jobs 2 in a real process: the folds' epoch lines come prefixed
    from the workers, the fold lines in order."""
    X, labels, _ = ramps(30)
    path = write_sequences(tmp_path / "ramps.tsv", labels, X)
    result = run_cli("--data", path, *TINY, "--n-jobs", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    folds = [line for line in lines if line.startswith("fold ")]
    assert [line[:8] for line in folds] == ["fold 1/2", "fold 2/2"]
    for k in (1, 2):
        assert any(line.startswith(f"[fold {k}/2] Epoch 1/100, ") for line in lines)
    header = lines[:5]  # data, pipeline, "2-fold cross-validation of:", 2 models
    assert header[0].startswith("30 numeric sequences") and "cross-val" in header[2]
    assert all(line.startswith(("[fold 1/2] ", "[fold 2/2] ", "fold "))
               for line in lines[5:-3])



def test_no_cv(tmp_path, capsys):
    X, labels, _ = ramps(30)
    path = write_sequences(tmp_path / "ramps.tsv", labels, X)
    model_path = tmp_path / "m.skops"
    argv = ["--data", str(path), *TINY, "--no-cv", "--save", str(model_path), "--quiet"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("refit on all 30 samples") and len(lines) == 2
    assert model_path.exists()


def test_quiet(questions_file, capsys):
    assert main(["--data", str(questions_file), *TINY, "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[:9] for line in lines[:2]] == ["fold 1/2:", "fold 2/2:"]
    assert lines[2] == "mean accuracy:" and len(lines) == 5


# ---------------------------------------------------------------------------
# Errors: one line on stderr, status 2, no traceback
# ---------------------------------------------------------------------------


class Foreign:
    """A type that skrnn does not trust."""


@pytest.fixture
def saved_model(questions_file, tmp_path, capsys):
    path = tmp_path / "m.skops"
    assert main(["--data", str(questions_file), *TINY, "--no-cv", "--save", str(path),
                 "--quiet"]) == 0
    capsys.readouterr()
    return path


def error_files(tmp_path):
    def text(name, content):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)

    skops_io.dump({"model": Foreign()}, tmp_path / "foreign.skops")
    from sklearn.linear_model import LogisticRegression

    skops_io.dump(LogisticRegression(), tmp_path / "sklearn.skops")
    return {
        "missing file": (["--data", str(tmp_path / "nope.tsv")], "no such file"),
        "no label/text columns": (
            ["--data", text("cols.tsv", "y\tsentence\na\tgood\nb\tbad\n")],
            "has no 'label' and no 'text' column",
        ),
        "single class": (
            ["--data", text("one.tsv", "label\ttext\nq\tare you\nq\tis it\n")],
            "needs at least 2 classes",
        ),
        "empty text": (
            ["--data", text("empty.tsv", "label\ttext\nq\tare you\ns\t\nq\tis it\n")],
            "sentence 2 (after the header) has an empty text",
        ),
        "ragged channels": (
            ["--data", text("ragged.tsv", "a\t1,2,3\t4,5,6\nb\t1,2,3\t4,5\n")],
            "line 2: channels of different lengths [3, 2]",
        ),
        "not skops": (
            ["predict", text("model.skops", "not a zip"), text("x.txt", "hi\n")],
            "is not a model saved by python -m skrnn --save",
        ),
        "untrusted types": (
            ["predict", str(tmp_path / "foreign.skops"), text("x.txt", "hi\n")],
            "holds types that skrnn does not trust: ['test_main.Foreign']",
        ),
        "not skrnn's": (
            ["predict", str(tmp_path / "sklearn.skops"), text("x.txt", "hi\n")],
            "holds a LogisticRegression, not a skrnn model",
        ),
        "too many folds": (
            ["--data", text("few.tsv", "label\ttext\na\tx\nb\ty\na\tz\nb\tw\n")],
            "class 'a' has 2 sample(s), fewer than the 5 folds",
        ),
    }


@pytest.mark.parametrize("case", [
    "missing file", "no label/text columns", "single class", "empty text",
    "ragged channels", "not skops", "untrusted types", "not skrnn's",
    "too many folds",
])
def test_errors_are_one_line(case, tmp_path, capsys):
    argv, message = error_files(tmp_path)[case]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ")
    assert message in captured.err


def test_predict_errors(saved_model, tmp_path, capsys):
    blank = tmp_path / "blank.txt"
    blank.write_text("are you good\n\nyou are\n", encoding="utf-8")
    numbers = write_sequences(tmp_path / "n.tsv", ["a"], [np.ones((3, 1))])
    for argv, message in [
        ([str(blank)], "blank.txt, line 2: empty text"),
        ([str(tmp_path / "none.txt")], "none.txt: no such file"),
        ([str(blank), "--proba", "--proba"], "line 2: empty text"),
    ]:
        assert main(["predict", str(saved_model), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
    # a file of numeric sequences is not read as sentences (test below)
    assert main(["predict", str(saved_model), str(numbers)]) == 2
    assert capsys.readouterr().out == ""


@pytest.fixture
def saved_sequence_model(tmp_path, capsys):
    X, labels, _ = ramps(30)
    data = write_sequences(tmp_path / "ramps.tsv", labels, X)
    path = tmp_path / "series.skops"
    assert main(["--data", str(data), *TINY, "--no-cv", "--save", str(path),
                 "--quiet"]) == 0
    capsys.readouterr()
    return path


def one_error_line(capsys):
    """The single ``error:`` line of a failed command, nothing on stdout."""
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ")
    return captured.err


def test_predict_refuses_numeric_sequences_for_a_text_model(saved_model, tmp_path,
                                                            capsys):
    X, labels, _ = ramps(3)
    numbers = write_sequences(tmp_path / "numeric.tsv", labels, X)
    assert main(["predict", str(saved_model), str(numbers)]) == 2
    err = one_error_line(capsys)
    assert "numeric.tsv holds numeric sequences" in err
    assert "reads only sentences" in err and "one sentence per line" in err
    # a sentence that is a number, or numbers with commas, is still a sentence
    plain = tmp_path / "plain.txt"
    plain.write_text("42\n1,2,3\nare you good\n", encoding="utf-8")
    assert main(["predict", str(saved_model), str(plain)]) == 0
    assert capsys.readouterr().out.count("\n") == 3


def test_predict_refuses_sentences_for_a_numeric_model(saved_sequence_model, tmp_path,
                                                       capsys):
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("are you good\nyou are good\n", encoding="utf-8")
    table = tmp_path / "table.tsv"
    table.write_text("label\ttext\nq\tare you good\n", encoding="utf-8")
    for path in (sentences, table):
        assert main(["predict", str(saved_sequence_model), str(path)]) == 2
        err = one_error_line(capsys)
        assert "saved from numeric sequences and reads only them" in err
        assert f"{path} is not in their format" in err
    # its own kind of file, labels left empty, is predicted
    X, _, _ = ramps(4)
    new = write_sequences(tmp_path / "new.tsv", [""] * 4, X)
    assert main(["predict", str(saved_sequence_model), str(new)]) == 0
    assert capsys.readouterr().out.count("\n") == 4


def test_errors_quote_at_most_80_characters_of_a_line(saved_sequence_model, tmp_path,
                                                      capsys):
    """A 3 KB line of numbers without a tab, as a --data file and as a file
    to predict: the error quotes its start, then an ellipsis."""
    line = ",".join(f"{v:.4f}" for v in np.linspace(0, 1, 400))
    assert len(line) > 2500
    path = tmp_path / "no_tabs.tsv"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    for argv in (["--data", str(path)],
                 ["predict", str(saved_sequence_model), str(path)]):
        assert main(argv) == 2
        err = one_error_line(capsys)
        assert line[:80] in err and line[:90] not in err
        assert f"'... ({len(line)} characters)" in err
        assert len(err.replace(str(tmp_path), "")) < 500


def test_predict_quiet(saved_model, tmp_path, capsys):
    plain = tmp_path / "new.txt"
    plain.write_text("are you good\nyou are good\n", encoding="utf-8")
    assert main(["predict", str(saved_model), str(plain)]) == 0
    loud = capsys.readouterr()
    for flag in ("--quiet", "-q"):
        assert main(["predict", str(saved_model), str(plain), flag]) == 0
        quiet = capsys.readouterr()
        assert quiet.out == loud.out and quiet.err == ""
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "--quiet" in capsys.readouterr().out


def test_test_file_scores_both_models(tmp_path, capsys):
    """--test: both models fitted on all of --data, scored on the test file
    side by side; no cross-validation unless --folds is given."""
    sentences, labels = make_questions(80, random_state=0)
    train = write_tsv(tmp_path / "train.tsv", labels[:60], sentences[:60])
    test = write_tsv(tmp_path / "test.tsv", labels[60:], sentences[60:])
    argv = ["--data", str(train), "--test", str(test), "--preset", "default",
            "--hidden-size", "4"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"60 sentences from {train}, 2 classes"
    assert lines[1] == f"Test file: 20 sentences from {test}, 2 classes"
    assert lines[3] == f"Fitted on all the data, scored on {test}:"
    assert any(line.startswith("[fit] Epoch 1/100, loss = ") for line in lines)
    assert not any(line.startswith(("fold ", "mean ")) for line in lines)
    assert lines[-3] == f"test accuracy on {test} (20 samples), fitted on all 60 samples:"
    assert lines[-2].strip().startswith("bag of words: ")
    assert lines[-1].strip().startswith("recurrent: ")
    scores = [float(line.split(":")[1].split("(")[0]) for line in lines[-2:]]
    assert all(0 <= value <= 1 for value in scores)

    # with --folds: cross-validation first; with --save: the model scored is saved
    model_path = tmp_path / "m.skops"
    assert main(argv + ["--folds", "2", "--quiet", "--save", str(model_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[:8] for line in lines[:3]] == ["fold 1/2", "fold 2/2", "mean acc"]
    assert lines[5].startswith("test accuracy on")
    assert lines[-1].startswith(f"saved to {model_path}") and len(lines) == 9
    model = skops_io.load(model_path, trusted=TRUSTED_TYPES)
    recurrent = float(lines[7].split(":")[1].split("(")[0])
    assert model.score(sentences[60:], labels[60:]) == pytest.approx(recurrent, abs=1e-3)


def test_test_file_regression(tmp_path, capsys):
    X, _, change = ramps(40)
    train = write_sequences(tmp_path / "train.tsv", [f"{c:.4f}" for c in change[:30]],
                            X[:30])
    test = write_sequences(tmp_path / "test.tsv", [f"{c:.4f}" for c in change[30:]],
                           X[30:])
    assert main(["--data", str(train), "--test", str(test), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"test R² on {test} (10 samples), fitted on all 30 samples:"
    assert lines[1].strip().startswith("training mean: ")
    assert lines[2].strip().startswith("recurrent: ") and len(lines) == 3


@pytest.mark.parametrize("case", ["other kind", "other channels", "text targets",
                                  "no data", "no-cv alone"])
def test_test_file_errors(case, tmp_path, capsys):
    sentences, labels = make_questions(20, random_state=0)
    questions = write_tsv(tmp_path / "q.tsv", labels, sentences)
    X, labels, change = ramps(20)
    ramps_file = write_sequences(tmp_path / "ramps.tsv", labels, X)
    argv, message = {
        "other kind": (
            ["--data", questions, "--test", ramps_file],
            (f"--test {ramps_file} holds numeric sequences, but --data {questions} "
             "holds sentences"),
        ),
        "other channels": (
            ["--data", ramps_file, "--test",
             write_sequences(tmp_path / "one.tsv", labels, [x[:, :1] for x in X])],
            "has 1 channel(s) per sequence, but --data",
        ),
        "text targets": (
            ["--data", write_sequences(tmp_path / "change.tsv", change, X),
             "--test", ramps_file],
            "must be numbers for a regression, but one is 'down'",
        ),
        "no data": (["--test", questions], "--test FILE needs --data TRAIN"),
        "no-cv alone": (["--data", questions, "--no-cv"],
                        "without --save MODEL.skops or --test FILE"),
    }[case]
    assert main([str(a) for a in argv] + ["--preset", "default"]) == 2
    assert message in one_error_line(capsys)


def test_run_leaves_its_arguments_alone(questions_file, capsys):
    args = build_parser().parse_args(["--data", str(questions_file), *TINY[:2],
                                      "--hidden-size", "4", "--quiet"])
    before = vars(args).copy()
    assert before["preset"] is None
    from skrnn._cli import run

    assert run(args) == 0
    assert vars(args) == before
    capsys.readouterr()


def test_errors_in_a_real_process(tmp_path):
    """Through ``python -m skrnn``: status 2, one line, no traceback."""
    ragged = tmp_path / "ragged.tsv"
    ragged.write_text("a\t1,2\t3\n", encoding="utf-8")
    result = run_cli("--data", ragged)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_task_choice():
    assert choose_task("auto", np.array(["a", "b"]), "f")[0] == "classification"
    assert choose_task("auto", np.array(["1", "2", "3"]), "f")[0] == "classification"
    assert choose_task("auto", np.array(["0.5", "2"]), "f")[0] == "regression"
    many = np.arange(21).astype(str)
    task, reason = choose_task("auto", many, "f")
    assert task == "regression" and "21 distinct values" in reason
    assert choose_task("classification", np.array(["0.5", "2"]), "f")[0] == (
        "classification"
    )
    assert choose_task("auto", np.array(["1", "nan"]), "f")[0] == "classification"
    with pytest.raises(CommandError, match="needs numeric labels.*'good'"):
        choose_task("regression", np.array(["good", "bad"]), "f.tsv")


def test_help_documents_the_formats(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--task {auto,classification,regression}" in out
    assert "--preset {default,recommended}" in out
    assert "label<TAB>x1,x2,...,xT<TAB>y1,y2,...,yT" in out
    assert "python -m skrnn predict model.skops FILE [--proba]" in out
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "--proba" in capsys.readouterr().out


# ---------------------------------------------------------------------------
# The presets
# ---------------------------------------------------------------------------


def test_series_preparation():
    x = np.array([[np.nan], [4.0], [np.nan], [2.0], [np.nan]])  # last step: padding
    (out,) = _presets._SeriesPreparation(window=3).fit_transform([x])
    # gaps filled (the first from the first value), padding dropped, then
    # the first step repeated in front up to two whole windows
    np.testing.assert_allclose(out, np.arcsinh([[4.0]] * 5 + [[2.0]]))
    (plain,) = _presets._SeriesPreparation().transform(np.array([[0.0, 1.0, np.nan]]))
    np.testing.assert_allclose(plain, np.arcsinh([0.0, 1.0, np.nan]))


def test_time_series_presets_fit_and_persist():
    X, labels, change = ramps(24)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = _presets.time_series_classifier(random_state=0)
        classifier.set_params(rnnclassifier__max_iter=2, rnnclassifier__hidden_size=4)
        classifier.fit(X, labels)
        regressor = _presets.time_series_regressor(random_state=0).fit(X, change)
    assert classifier[1].size_ == 1  # about 12 windows of the median length 11
    for model in (classifier, regressor):
        np.testing.assert_array_equal(
            pickle.loads(pickle.dumps(model)).predict(X), model.predict(X)
        )
        loaded = skops_io.loads(skops_io.dumps(model), trusted=TRUSTED_TYPES)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def load_benchmark(name):
    return load_script(name)


def networks(model):
    """Parameters of the estimators of a configuration, by class name."""
    params = model.get_params(deep=True)
    return {
        type(v).__name__: {
            k: w for k, w in v.get_params(deep=False).items()
            if not hasattr(w, "get_params")
        }
        for v in [model, *params.values()]
        if hasattr(v, "get_params") and type(v).__name__ not in (
            "Pipeline", "FunctionTransformer", "TransformedTargetRegressor"
        )
    }


@pytest.mark.parametrize("script, function, preset, args", [
    ("sentences", "recommended_pipeline", "text_classifier", ("lstm", 1)),
    ("ts_regression", "recommended_regressor", "time_series_regressor", (1,)),
])
def test_benchmark_scripts_expose_the_presets(script, function, preset, args):
    """The benchmark scripts' recommended configurations, which checks
    outside the repository import, are the presets the main job fits."""
    module = load_benchmark(script)
    theirs = getattr(module, function)(*args)
    ours = getattr(_presets, preset)(*args)
    assert repr(theirs) == repr(ours)
    assert networks(theirs) == networks(ours)
