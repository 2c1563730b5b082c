"""Smoke tests of benchmarks/time_series.py on tiny subsets of the dev sets
(its measurements are in benchmarks/RESULTS.md, never asserted here). The
sets live outside the repository, in ../shared/data/ts; without them the
tests skip."""

import warnings

import numpy as np
import pytest
from _benchmark_scripts import load_script
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skrnn import RNNClassifier, SequenceWindows, _presets

time_series = load_script("time_series")
needs_data = pytest.mark.skipif(
    not (time_series.DATA / "GunPoint_TRAIN.tsv").is_file(),
    reason=f"the time-series dev sets are not in {time_series.DATA}",
)


@needs_data
def test_load_set_gives_ragged_steps_by_channels():
    X, y = time_series.load_set("GunPoint", "TRAIN")
    assert len(X) == len(y) == 50 and {x.shape for x in X} == {(150, 1)}
    X, y = time_series.load_set("JapaneseVowels", "TEST")
    assert len(X) == 370 and {x.shape[1] for x in X} == {12}
    assert len({len(x) for x in X}) > 1  # ragged
    X, y = time_series.load_set("Covid3Month", "TRAIN")
    assert y.dtype == np.float64 and X[0].shape == (84, 1)


def test_load_set_rejects_channels_of_unequal_length(tmp_path):
    (tmp_path / "Bad_TRAIN.tsv").write_text("a\t1,2,3\t4,5\n")
    with pytest.raises(ValueError, match="line 1: channels of different lengths"):
        time_series.load_set("Bad", "TRAIN", tmp_path)


def test_recommended_pipeline_is_the_preset_unfitted_and_seeded():
    model = time_series.recommended_pipeline(random_state=3)
    assert isinstance(model, Pipeline) and isinstance(model[-1], RNNClassifier)
    assert model[-1].random_state == 3 and not hasattr(model[-1], "weights_")
    assert repr(model) == repr(_presets.time_series_classifier(random_state=3))
    assert model[1].get_params() == SequenceWindows(
        n_windows=time_series.RECOMMENDED_N_WINDOWS).get_params()
    clone(model)  # a proper scikit-learn estimator
    regressor = time_series.recommended_regressor(random_state=3)
    assert repr(regressor) == repr(_presets.time_series_regressor(random_state=3))


def test_recommended_pipeline_takes_ragged_steps_by_channels():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(length, 3)) for length in (40, 55, 31, 64)] * 3
    y = np.array(["a", "b"] * 6)
    model = time_series.recommended_pipeline(random_state=0)
    model[-1].set_params(max_iter=2, hidden_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert model.fit(X, y).predict(X).shape == (12,)


def test_summary_statistics_ignore_order_but_for_slope_and_change():
    x = np.arange(12.0).reshape(6, 2) ** 2
    row, reversed_row = time_series.SummaryStatistics().transform([x, x[::-1]])
    # mean, std, min, 3 quartiles, max: 7 statistics of 2 channels; then slope,
    # mean absolute change, and the length
    assert row.shape == (2 * 9 + 1,)
    np.testing.assert_allclose(row[:14], reversed_row[:14])
    np.testing.assert_allclose(row[14:16], -reversed_row[14:16])


@needs_data
def test_quick_run_prints_the_table(capsys):
    models = "default-gru,recommended,summary-rf"
    argv = ["--quick", "--sets", "GunPoint,JapaneseVowels,Covid3Month",
            "--models", models, "--seeds", "0", "--n-jobs", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert time_series.main(argv) == 0
    out = capsys.readouterr().out
    assert "GunPoint: 8 training / 16 test series" in out
    assert "regression, not benchmarked here: Covid3Month" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| model | GunPoint accuracy % | fit s | JapaneseVowels")
    assert len(rows) == 2 + len(models.split(","))  # header, rule, models
    assert all(line.count("|") == rows[0].count("|") for line in rows)


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    assert time_series.main(["--data-dir", str(tmp_path), "--quick"]) == 2
    assert "GunPoint_TRAIN.tsv does not exist" in capsys.readouterr().err


def test_unknown_set_and_model_are_errors(capsys):
    assert time_series.main(["--sets", "Nope"]) == 2
    assert "unknown set(s) ['Nope']" in capsys.readouterr().err
    assert time_series.main(["--models", "knn"]) == 2
    assert "unknown model(s) ['knn']" in capsys.readouterr().err


@needs_data
def test_quick_run_with_aeon_dtw(capsys):
    """aeon's 1-NN DTW on ragged multivariate series, (channels, steps) each
    (MiniRocket is left out here: numba compiles it for half a minute)."""
    pytest.importorskip("aeon")
    argv = ["--quick", "--sets", "JapaneseVowels", "--models", "dtw", "--n-jobs", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert time_series.main(argv) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert row.startswith("| aeon 1-NN DTW | ")
    assert float(row.split("|")[2]) > 50  # 9 classes: far above chance


# --study (issue 28): candidates over seeds, leave one set out


def test_candidates_are_the_preset_with_parameters_set():
    preset = time_series.candidate_pipeline("preset", 4)
    assert repr(preset) == repr(time_series.recommended_pipeline(random_state=4))
    averaged = time_series.candidate_pipeline("avg-e150", 4)[-1]
    assert (averaged.average, averaged.max_iter, averaged.n_iter_no_change) == (0.5, 150, 150)
    assert averaged.random_state == 4 and averaged.learning_rate == 0.003
    assert set(time_series.DTW_ACCURACY) == set(time_series.CLASSIFICATION_SETS)


def test_ensemble_runs_use_disjoint_member_seeds():
    assert time_series.parse_ensemble("ens3:avg-e150") == (3, "avg-e150")
    assert time_series.parse_ensemble("preset") == (1, "preset")
    seeds = [time_series.member_seeds(s, 3) for s in range(3)]
    assert seeds == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


def test_study_ensemble_is_the_voting_classifier_recipe():
    """The study's ensemble (its members' probabilities averaged) is what
    the recipe, `seed_ensemble`, a VotingClassifier, predicts."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(length, 2)) for length in rng.randint(20, 40, size=24)]
    y = np.array(["a", "b", "c"] * 8)
    study = time_series.Study({"toy": (X, y, X, y)}, quick=True, log=lambda *a, **k: None)
    run = study.run("ens2:preset", "toy", 1)  # members: seeds 2 and 3
    recipe = time_series.seed_ensemble(time_series.candidate_pipeline("preset", 0, quick=True),
                                       [2, 3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recipe.fit(X, y)
    np.testing.assert_allclose(run["proba"], recipe.predict_proba(X), rtol=1e-10)
    assert run["accuracy"] == recipe.score(X, y)
    assert [m[-1].random_state for m in recipe.estimators_] == [2, 3]


def test_rule_prefers_holding_on_every_set_and_prices_ensembles():
    def row(mean, sd=1.0, churn=1.0):
        return {"mean": mean, "sd": sd, "churn": churn}

    sets = ["GunPoint", "BasicMotions"]  # 1-NN DTW 90.7 and 97.5
    summaries = {
        ("best-on-one", "GunPoint"): row(99.0), ("best-on-one", "BasicMotions"): row(97.0),
        ("holds", "GunPoint"): row(92.0), ("holds", "BasicMotions"): row(98.0),
        ("ens3:holds", "GunPoint"): row(92.3), ("ens3:holds", "BasicMotions"): row(98.1),
        ("spread", "GunPoint"): row(95.0, sd=3.5), ("spread", "BasicMotions"): row(99.0),
    }
    names = ["best-on-one", "holds", "ens3:holds", "spread"]
    ranked = sorted(names, key=lambda n: time_series.rule_key(summaries, n, sets),
                    reverse=True)
    # ens3 gains 0.2 point over its single: less than its price (0.5)
    assert ranked[:2] == ["holds", "ens3:holds"]


@needs_data
def test_quick_study_prints_seed_tables_and_leave_one_set_out(capsys):
    argv = ["--study", "--quick", "--candidates", "preset,avg-e100", "--seeds", "0,1",
            "--ensemble", "2"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert time_series.main(argv) == 0
    out = capsys.readouterr().out
    for name in time_series.CLASSIFICATION_SETS:
        assert f"{name} (1-NN DTW {time_series.DTW_ACCURACY[name]:.1f} %)" in out
    assert "| candidate | seed 0 | seed 1 | mean | sd | log-loss | churn % |" in out
    assert "chosen on GunPoint, BasicMotions, JapaneseVowels: " in out
    loso = out[out.index("leave one set out"):].splitlines()
    rows = [line for line in loso if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 3  # header, one per held-out set
    assert {row.split("|")[1].strip() for row in rows[1:]} == set(
        time_series.CLASSIFICATION_SETS)
    assert "ens2:" in out  # the ensemble of the chosen single candidate


def test_unknown_candidate_is_an_error(capsys):
    assert time_series.main(["--study", "--candidates", "preset,nope"]) == 2
    assert "unknown candidate(s) ['nope']" in capsys.readouterr().err
    assert time_series.main(["--study", "--candidates", "ens3:nope"]) == 2
