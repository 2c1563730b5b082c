"""``python -m skrnn``: the classification job and its regression mode, end to end."""

import subprocess
import sys

import numpy as np
import pytest

from skrnn.__main__ import choose_task, main, make_marker_distances


def write_tsv(path, labels, texts):
    path.write_text(
        "label\ttext\n" + "".join(f"{y}\t{t}\n" for y, t in zip(labels, texts)),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def distances_file(tmp_path):
    """Sentences whose numeric label is the distance from 'red' to 'blue'."""
    texts, targets = make_marker_distances(400, random_state=0)
    # 1.5 words per step: numbers that are not whole, so regression is detected
    return write_tsv(tmp_path / "distances.tsv", [f"{1.5 * t:g}" for t in targets], texts)


def test_regression_is_detected_and_said_on_the_first_line(distances_file, capsys):
    argv = ["--data", str(distances_file), "--folds", "3", "--hidden-size", "32"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Regression: detected, the label column is numeric")
    assert "--task classification" in lines[0]
    assert "400 sentences" in lines[1]
    assert "CountVectorizer -> RidgeCV" in lines[3]
    assert "OneHotSequenceTransformer -> RNNRegressor" in lines[4]
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


def test_classification_of_numeric_class_codes(tmp_path, capsys):
    """Star ratings 1 to 3 are class codes: the job stays a classification."""
    texts = ["good film", "bad film", "fine film"] * 10
    path = write_tsv(tmp_path / "stars.tsv", [3, 1, 2] * 10, texts)
    argv = ["--data", str(path), "--folds", "2", "--hidden-size", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 sentences from") and "3 classes" in out
    assert "mean accuracy" in out and "R²" not in out
    assert main(argv + ["--task", "regression"]) == 0
    assert capsys.readouterr().out.startswith("Regression: as --task regression asks.")


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
    with pytest.raises(SystemExit, match="needs numeric labels.*'good'"):
        choose_task("regression", np.array(["good", "bad"]), "f.tsv")


def test_make_marker_distances():
    texts, targets = make_marker_distances(200, random_state=1)
    for text, target in zip(texts, targets):
        words = text.split()
        assert words.count("red") == words.count("blue") == 1
        assert target == words.index("blue") - words.index("red") != 0
    assert (targets > 0).any() and (targets < 0).any()
    again, _ = make_marker_distances(200, random_state=1)
    assert again == texts


def test_help_lists_the_task():
    result = subprocess.run(
        [sys.executable, "-m", "skrnn", "--help"], capture_output=True, text=True,
        check=True,
    )
    assert "--task {auto,classification,regression}" in result.stdout
