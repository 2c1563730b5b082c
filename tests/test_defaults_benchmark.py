"""Smoke tests of benchmarks/defaults.py's helpers on tiny generated data
(its measurements are reported in issue 28, never asserted here). The dev
sets live outside the repository, in ../shared/data; the tests that read
them skip without them."""

import json

import numpy as np
import pytest
from _benchmark_scripts import load_script

from skrnn import RNNClassifier

defaults = load_script("defaults")
needs_trec = pytest.mark.skipif(
    not (defaults.TREC / "train.tsv").is_file(),
    reason=f"the TREC dev set is not in {defaults.TREC}")
needs_sst2 = pytest.mark.skipif(
    not (defaults.SST2 / "dev.tsv").is_file(),
    reason=f"the SST-2 dev set is not in {defaults.SST2}")


def tiny_sentences(n=40, seed=0):
    """Sentences whose label is whether 'good' or 'bad' is in them."""
    rng = np.random.default_rng(seed)
    words = ["the", "film", "was", "quite", "a", "plot", "very"]
    X, y = [], []
    for i in range(n):
        label = i % 2
        body = list(rng.choice(words, size=rng.integers(3, 7)))
        body.insert(int(rng.integers(0, len(body))), "good" if label else "bad")
        X.append(" ".join(body))
        y.append(str(label))
    return X, np.array(y)


def test_candidates_start_with_the_replaced_and_todays_defaults_and_are_valid():
    names = list(defaults.CANDIDATES)
    assert names[:2] == ["before", "defaults"] and defaults.CANDIDATES["defaults"] == {}
    # "before" names only what the study changed, each a value no longer the default
    today = RNNClassifier().get_params()
    assert all(today[name] != value for name, value in defaults.BEFORE.items())
    valid = set(RNNClassifier().get_params())
    for params in defaults.CANDIDATES.values():
        assert set(params) <= valid
        RNNClassifier(**params)._validate_params()


def test_stratified_sample_is_seeded_sized_and_stratified():
    X, y = tiny_sentences(100)
    X1, y1 = defaults.stratified_sample(X, y, 20, random_state=1)
    X2, y2 = defaults.stratified_sample(X, y, 20, random_state=1)
    X3, _ = defaults.stratified_sample(X, y, 20, random_state=2)
    assert X1 == X2 and list(y1) == list(y2) and X1 != X3
    assert len(X1) == 20 and sorted(np.unique(y1, return_counts=True)[1]) == [10, 10]
    assert set(X1) <= set(X)
    X_all, y_all = defaults.stratified_sample(X, y, None, random_state=0)
    assert X_all == X and len(y_all) == 100


def test_summarize_gives_mean_and_sample_sd():
    mean, sd = defaults.summarize([0.5, 0.7, 0.6])
    assert mean == pytest.approx(0.6) and sd == pytest.approx(0.1)
    assert np.isnan(defaults.summarize([0.5])[1])


def test_holdout_and_cross_validated_on_tiny_sentences():
    X, y = tiny_sentences(40)
    params = {"hidden_size": 4, "max_iter": 2}
    accuracy, seconds, epochs = defaults.holdout(
        defaults.recurrent(params, 0), X[:30], y[:30], X[30:], y[30:])
    assert 0 <= accuracy <= 1 and seconds > 0 and epochs == 2
    accuracy, seconds, epochs = defaults.cross_validated(
        lambda: defaults.recurrent(params, 0), X, y, folds=2, seed=0)
    assert 0 <= accuracy <= 1 and seconds > 0 and epochs == 2
    dummy = defaults.small_baselines()["majority (DummyClassifier)"]
    assert defaults.cross_validated(lambda: dummy, X, y, 2, 0)[0] == 0.5


def test_tables_show_per_seed_mean_sd_and_deterministic_baselines():
    records = [
        {"task": "small", "model": "defaults", "seed": s, "accuracy": a,
         "fit_seconds": 1.0, "epochs": 10, "params": {}}
        for s, a in [(0, 0.5), (1, 0.7), (2, 0.6)]
    ] + [{"task": "trec", "model": "tf-idf", "seed": None, "accuracy": 0.9,
          "fit_seconds": 2.0, "epochs": None, "params": None}]
    text = defaults.tables(records)
    assert text.index("### trec") < text.index("### small")
    assert "| defaults | 0.5000 | 0.7000 | 0.6000 | 0.6000 | 0.1000 | 3 | 1.0 | 10.0 |" in text
    assert "| tf-idf | 0.9000 | 0.9000 | 0.9000 | 0.9000 |  | 1 | 2.0 |  |" in text


def test_main_runs_the_small_task_and_reports_from_its_results(tmp_path, monkeypatch, capsys):
    X, y = tiny_sentences(60)
    monkeypatch.setattr(defaults, "small_pool", lambda data=None: (X, y))
    monkeypatch.setitem(defaults.CANDIDATES, "tiny", {"hidden_size": 4, "max_iter": 2})
    results = tmp_path / "r.jsonl"
    assert defaults.main(["--tasks", "small", "--candidates", "tiny", "--seeds", "0",
                          "--small-n", "20", "--folds", "2",
                          "--results", str(results)]) == 0
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert {r["model"] for r in records} == {"tiny", *defaults.small_baselines()}
    assert "| tiny |" in capsys.readouterr().out
    defaults.main(["--report", str(results)])
    assert "### small" in capsys.readouterr().out


@needs_trec
def test_trec_dev_is_sentences_dev_split():
    X_train, X_dev, y_train, y_dev = defaults.trec_dev()
    assert len(X_dev) == 1000 and len(X_train) == 4452
    assert len(y_train) == 4452 and len(y_dev) == 1000


@needs_sst2
def test_sst2_dev_samples_train_and_keeps_dev():
    X_train, X_dev, y_train, y_dev = defaults.sst2_dev(200)
    assert len(X_train) == 200 and len(X_dev) == 872
    assert defaults.sst2_dev(200)[0] == X_train  # the same sample every time


def test_imbalanced_sample_has_the_majority_share_and_is_seeded():
    X = [f"sentence {i}" for i in range(100)]
    y = np.where(np.arange(100) < 60, "a", "b")  # 'a' is the larger class
    X1, y1 = defaults.imbalanced_sample(X, y, 20, 0.7, random_state=0)
    assert len(X1) == 20 and list(y1).count("a") == 14
    assert defaults.imbalanced_sample(X, y, 20, 0.7, random_state=0)[0] == X1
    assert defaults.imbalanced_sample(X, y, 20, 0.7, random_state=1)[0] != X1
    lookup = dict(zip(X, y))
    assert all(lookup[x] == label for x, label in zip(X1, y1))
