"""Time-series classification: skrnn beside 1-NN DTW, MiniRocket and an order-free baseline.

Trains on the development sets of ``../shared/data/ts`` (relative to the
repository root; ``--data-dir`` overrides), on their official train/test
splits, and scores each model once on the test part:

* GunPoint (UCR; 50 / 150 series, 1 channel, 150 steps, 2 classes),
* BasicMotions (UEA; 40 / 40 series, 6 channels, 100 steps, 4 classes),
* JapaneseVowels (UEA; 270 / 370 series, 12 channels, 7-29 steps, 9 classes).

Covid3Month (Monash TSER, regression) is read by `load_set`, and
`recommended_regressor` is the documented regressor, but the regression
benchmark is ``benchmarks/ts_regression.py``; this script skips the set.

The models, fitted on the ragged list of ``(steps, channels)`` arrays the data
files hold (skrnn's axis order; aeon's is ``(channels, steps)``):

* ``RNNClassifier(cell='gru')`` and ``RNNClassifier()``: skrnn's defaults on
  the raw series, as a new user would try them;
* `recommended_pipeline`: the documented time-series configuration,
  ``SequenceScaler() -> SequenceWindows(n_windows=12) -> RNNClassifier(...)``
  (a bidirectional GRU, max-pooled), `skrnn._presets.time_series_classifier`;
* an order-free scikit-learn baseline: per-channel summary statistics (mean,
  standard deviation, minimum, quartiles, maximum, slope of a least-squares
  line, mean absolute step-to-step change) and the length, fed to a
  ``RandomForestClassifier``; it sees no order beyond the slope and the
  step-to-step change;
* with aeon installed (optional; ``pip install aeon``): 1-NN DTW
  (``KNeighborsTimeSeriesClassifier(distance='dtw', n_neighbors=1)``) and
  ``MiniRocketClassifier``. MiniRocket needs series of one length: for
  JapaneseVowels every series is padded at its end, by repeating its last
  step, to the longest series of the set (29 steps; train and test).

Seeded models run once per ``--seeds`` value; 1-NN DTW is deterministic and
runs once. aeon's fit times leave out numba's compilation (an untimed fit on
two series per class comes first). Prints one line per fit, then a Markdown
table of test accuracy (mean over seeds, then each seed's) and mean fit time
per set. Run::

    python benchmarks/time_series.py --seeds 0,1,2     # 2 minutes on 2 cores (4 when busy)
    python benchmarks/time_series.py --sets GunPoint --models recommended,dtw
    python benchmarks/time_series.py --quick           # a smoke run on tiny subsets

``--study`` compares candidate time-series configurations instead
(issue 28: the documented configuration's accuracy swings with the seed):
each of `CANDIDATES` (the preset, weight averaging, more or fewer epochs, a
larger learning rate) and a soft-voting ensemble of ``--ensemble`` seeds of
the single candidate the rule chooses, on each set and seed; it prints each
seed's test accuracy, the mean and standard deviation over the seeds, the
fit and prediction times, beside 1-NN DTW (`DTW_ACCURACY`); the choice by
`choose` over all the sets; and a leave-one-set-out table (each set held
out in turn, the candidate chosen on the others, its result on the held-out
set). The study runs in this process, on one BLAS thread::

    OMP_NUM_THREADS=1 python benchmarks/time_series.py --study --seeds 0,1,2,3,4 \
        --n-jobs 1 --ensemble 0 --candidates before,avg0.5,avg-e150,avg-e300,\
avg-lr005-e150,ens3:avg0.5,ens3:avg-lr005-e150    # 50 min, one core
    python benchmarks/time_series.py --study --candidates before,preset --ensemble 0

BLAS threads: fits run in ``--n-jobs`` processes (default 2; 1 runs them in
this process), each limited to ``--blas-threads`` BLAS threads (default
``cores // n_jobs``). The per-step products of a recurrent network are small,
and multi-threaded OpenBLAS on them is slower than one thread. Fit times of
concurrent processes include their contention.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skrnn import RNNClassifier
from skrnn._presets import TIME_SERIES_N_WINDOWS as RECOMMENDED_N_WINDOWS  # noqa: F401
from skrnn._presets import TIME_SERIES_PARAMS as RECOMMENDED_PARAMS  # noqa: F401
from skrnn._presets import time_series_classifier, time_series_regressor
from skrnn.datasets import load_sequences

# _common beside this file (also when this file is loaded by its path).
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import SHARED_DATA, default_blas_threads, print_environment  # noqa: E402

DATA = SHARED_DATA / "ts"

# set -> task; the files are <set>_TRAIN.tsv and <set>_TEST.tsv.
TASKS = {
    "GunPoint": "classification",
    "BasicMotions": "classification",
    "JapaneseVowels": "classification",
    "Covid3Month": "regression",  # benchmarked by ts_regression.py
}
CLASSIFICATION_SETS = [name for name, task in TASKS.items() if task == "classification"]

# The documented time-series configuration (README, user guide "Time
# series", RESULTS.md) lives in skrnn._presets, imported above as
# RECOMMENDED_N_WINDOWS and RECOMMENDED_PARAMS: `SequenceWindows(n_windows=12)`
# makes a series of the median training length about 12 steps.


def load_set(name, split, data_dir=DATA):
    """``X, y`` of ``<data_dir>/<name>_<split>.tsv``, read by
    `skrnn.datasets.load_sequences`.

    ``X`` is a list of float64 arrays of shape (steps, channels), skrnn's
    ragged form; ``y`` holds the labels as strings for a classification set
    and the targets as floats for a regression set.
    """
    X, y = load_sequences(Path(data_dir) / f"{name}_{split}.tsv")
    if TASKS.get(name) == "regression":
        return X, y.astype(np.float64)
    return X, y


def recommended_pipeline(random_state=None):
    """The documented time-series classifier, unfitted:
    `skrnn._presets.time_series_classifier`.

    ``SequenceScaler() -> SequenceWindows(n_windows=12) -> RNNClassifier(
    cell='gru', bidirectional=True, pooling='max', learning_rate=0.005,
    batch_size=32, max_iter=150, n_iter_no_change=150, average=0.5)``: each
    feature standardised over all steps, each series cut into about 12
    windows of ``ceil(median training length / 12)`` steps, read both ways
    by a GRU whose outputs are max-pooled over the windows. It takes the
    ragged ``(steps, channels)`` arrays of `load_set` (or a 2-D array of
    univariate series, or a NaN-padded 3-D array) directly.
    """
    return time_series_classifier(random_state=random_state)


def recommended_regressor(random_state=None):
    """The documented time-series regressor, unfitted:
    `skrnn._presets.time_series_regressor`, as ``recommended_regressor`` of
    ``benchmarks/ts_regression.py``, which benchmarks it on Covid3Month."""
    return time_series_regressor(random_state=random_state)


class SummaryStatistics(TransformerMixin, BaseEstimator):
    """Per-channel summary statistics of each series: a fixed-width table.

    For each channel: mean, standard deviation, minimum, quartiles, maximum,
    the slope of a least-squares line over the steps, and the mean absolute
    change from one step to the next; then the length. Apart from the slope
    and the step-to-step change, a shuffle of the steps gives the same row.
    """

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.array([self._row(np.asarray(x, dtype=np.float64)) for x in X])

    @staticmethod
    def _row(x):
        x = x.reshape(len(x), -1)
        t = np.arange(len(x)) - (len(x) - 1) / 2
        slope = t @ (x - x.mean(axis=0)) / max(float(t @ t), 1e-12)
        change = np.abs(np.diff(x, axis=0)).mean(axis=0) if len(x) > 1 else np.zeros(x.shape[1])
        quartiles = np.percentile(x, [25, 50, 75], axis=0)
        return np.concatenate([
            x.mean(axis=0), x.std(axis=0), x.min(axis=0), *quartiles,
            x.max(axis=0), slope, change, [len(x)],
        ])


def order_free_baseline(random_state=None):
    """`SummaryStatistics` -> ``RandomForestClassifier(n_estimators=500)``."""
    return make_pipeline(
        SummaryStatistics(),
        RandomForestClassifier(n_estimators=500, random_state=random_state),
    )


class _AeonInput(BaseEstimator):
    """An aeon classifier fed ``(channels, steps)`` arrays: one 3-D array
    when the series share a length (or are padded to ``pad_to`` by
    repeating their last step), else a list of 2-D arrays."""

    def __init__(self, estimator, pad_to=None):
        self.estimator = estimator
        self.pad_to = pad_to

    def _convert(self, X):
        if self.pad_to is not None:
            X = [np.concatenate([x, np.repeat(x[-1:], self.pad_to - len(x), axis=0)])
                 for x in X]
        if len({len(x) for x in X}) == 1:
            return np.stack([np.asarray(x).T for x in X])
        return [np.ascontiguousarray(np.asarray(x).T) for x in X]

    def fit(self, X, y):
        self.estimator.fit(self._convert(X), y)
        return self

    def score(self, X, y):
        return float(np.mean(self.estimator.predict(self._convert(X)) == y))


def _aeon():
    try:
        import aeon
        from aeon.classification.convolution_based import MiniRocketClassifier
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier
    except ImportError:
        return None
    return aeon, MiniRocketClassifier, KNeighborsTimeSeriesClassifier


# name -> (description, seeded)
MODELS = {
    "default-gru": ("skrnn defaults, RNNClassifier(cell='gru')", True),
    "default": ("skrnn defaults, RNNClassifier()", True),
    "recommended": ("skrnn recommended_pipeline()", True),
    "summary-rf": ("order-free: summary statistics + RandomForest", True),
    "dtw": ("aeon 1-NN DTW", False),
    "minirocket": ("aeon MiniRocket", True),
}
AEON_MODELS = ("dtw", "minirocket")


def make_model(name, seed, pad_to=None, quick=False):
    """An unfitted model ``name``; ``pad_to``: the length MiniRocket's input
    is padded to (None when the series share a length)."""
    rnn_quick = {"max_iter": 3, "hidden_size": 8} if quick else {}
    if name == "default-gru":
        return RNNClassifier(cell="gru", random_state=seed, **rnn_quick)
    if name == "default":
        return RNNClassifier(random_state=seed, **rnn_quick)
    if name == "recommended":
        model = recommended_pipeline(random_state=seed)
        model[-1].set_params(**rnn_quick)
        return model
    if name == "summary-rf":
        model = order_free_baseline(random_state=seed)
        if quick:
            model[-1].set_params(n_estimators=20)
        return model
    _, MiniRocketClassifier, KNeighborsTimeSeriesClassifier = _aeon()
    if name == "dtw":
        return _AeonInput(KNeighborsTimeSeriesClassifier(distance="dtw", n_neighbors=1))
    if name == "minirocket":
        return _AeonInput(
            MiniRocketClassifier(n_kernels=84 if quick else 10000, random_state=seed,
                                 n_jobs=1),
            pad_to=pad_to,
        )
    raise ValueError(f"unknown model {name!r}")


def fit_and_score(name, seed, data, blas_threads, quick):
    """Fit model ``name`` on one set's training part; score on its test part.

    aeon's models are first fitted once, untimed, on two series per class,
    so that the fit time leaves out numba's compilation.
    """
    X_train, y_train, X_test, y_test = data
    lengths = {len(x) for x in X_train + X_test}
    pad_to = max(lengths) if len(lengths) > 1 else None
    with threadpool_limits(limits=blas_threads, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, numba's casts
        if name in AEON_MODELS:
            warm_up = make_model(name, seed, pad_to, quick)
            warm_up.fit(*subsample(X_train, y_train, 2)).score(X_test[:2], y_test[:2])
        model = make_model(name, seed, pad_to, quick)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
    final = model[-1] if hasattr(model, "steps") else model
    epochs = final.n_iter_ if isinstance(final, RNNClassifier) else None
    return {"accuracy": accuracy, "fit_time": fit_time, "epochs": epochs}


# ---------------------------------------------------------------------------
# --study: candidate configurations, several seeds, leave one set out (issue 28)
# ---------------------------------------------------------------------------

# 1-NN DTW's test accuracy (%) on the dev sets' official splits, measured with
# aeon 1.6.0 (../shared/data/ts/SOURCE.md; also `--models dtw`): the bar.
DTW_ACCURACY = {"GunPoint": 90.7, "BasicMotions": 97.5, "JapaneseVowels": 94.9}

# name -> (description, RNNClassifier parameters set on the preset). The
# documented configuration is "avg-lr005-e150" since issue 28; "before" is
# the one it replaced (learning_rate=0.003, max_iter=300, the tol rule's
# stop after 40-80 epochs, no averaging), and the other candidates set what
# they change from "before" explicitly, so that they mean what they did
# when they were measured. The averaging candidates run every epoch
# (n_iter_no_change=max_iter), except "avg0.5".
BEFORE = {"learning_rate": 0.003, "max_iter": 300, "n_iter_no_change": 10,
          "average": False}
CANDIDATES = {
    "preset": ("the documented configuration", {}),
    "before": ("the documented configuration before issue 28", BEFORE),
    "avg0.5": ("before, average=0.5", {**BEFORE, "average": 0.5}),
    "avg-all": ("before, average=True", {**BEFORE, "average": True}),
    "avg-e100": ("average=0.5, 100 epochs, no stop",
                 {**BEFORE, "average": 0.5, "max_iter": 100, "n_iter_no_change": 100}),
    "avg-e150": ("average=0.5, 150 epochs, no stop",
                 {**BEFORE, "average": 0.5, "max_iter": 150, "n_iter_no_change": 150}),
    "avg-e300": ("average=0.5, 300 epochs, no stop",
                 {**BEFORE, "average": 0.5, "max_iter": 300, "n_iter_no_change": 300}),
    "avg-all-e150": ("average=True, 150 epochs, no stop",
                     {**BEFORE, "average": True, "max_iter": 150, "n_iter_no_change": 150}),
    "avg-lr005-e150": ("average=0.5, learning_rate=0.005, 150 epochs, no stop",
                       {"average": 0.5, "learning_rate": 0.005, "max_iter": 150,
                        "n_iter_no_change": 150}),
}
# The rule's price of an ensemble: each fit beyond the first costs this many
# points of the mean accuracy over the sets (3 seeds: 0.5 point).
ENSEMBLE_PRICE = 0.25


def candidate_pipeline(name, seed, quick=False):
    """The unfitted single-model candidate ``name`` of `CANDIDATES`: the
    preset (`recommended_pipeline`) with its parameters set."""
    model = recommended_pipeline(random_state=seed)
    model[-1].set_params(**CANDIDATES[name][1])
    if quick:
        model[-1].set_params(max_iter=3, hidden_size=8, n_iter_no_change=3)
    return model


def seed_ensemble(model, seeds):
    """The seed-ensemble recipe of the user guide (docs/user_guide/ensembles.rst):
    ``VotingClassifier(voting='soft')`` over clones of the pipeline ``model``
    with ``random_state`` set to each of ``seeds``."""
    step = model.steps[-1][0]
    return VotingClassifier(
        [(f"seed{s}", clone(model).set_params(**{f"{step}__random_state": s}))
         for s in seeds],
        voting="soft",
    )


def ensemble_name(base, size):
    return f"ens{size}:{base}"


def parse_ensemble(name):
    """``'ens3:avg-e150'`` -> ``(3, 'avg-e150')``; a single candidate -> ``(1, name)``."""
    if name.startswith("ens") and ":" in name:
        size, base = name[3:].split(":", 1)
        return int(size), base
    return 1, name


def member_seeds(seed, size):
    """The member seeds of ensemble run ``seed``: ``size * seed`` to
    ``size * seed + size - 1``, so that the runs of seeds 0, 1, 2 share no
    member (run 0: seeds 0-2, run 1: 3-5, run 2: 6-8)."""
    return list(range(size * seed, size * seed + size))


class Study:
    """Fits of the candidates, each (candidate, set, seed) fitted once.

    An ensemble's run averages its members' ``predict_proba``, as
    ``VotingClassifier(voting='soft')`` does (`seed_ensemble`; a test checks
    they agree), from the members' single fits: an ensemble of seeds 0-2
    reuses the single candidate's fits of seeds 0, 1 and 2. Its fit and
    prediction times are the members' sums.
    """

    def __init__(self, data, quick=False, log=print):
        self.data, self.quick, self.log = data, quick, log
        self.fits = {}  # (single name, set, seed) -> dict

    def single(self, name, set_name, seed):
        key = (name, set_name, seed)
        if key not in self.fits:
            X_train, y_train, X_test, y_test = self.data[set_name]
            model = candidate_pipeline(name, seed, self.quick)
            with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning
                start = time.perf_counter()
                model.fit(X_train, y_train)
                fit_time = time.perf_counter() - start
                start = time.perf_counter()
                proba = model.predict_proba(X_test)
                predict_time = time.perf_counter() - start
            classes = model.classes_
            accuracy = float(np.mean(classes[proba.argmax(axis=1)] == y_test))
            self.fits[key] = {
                "accuracy": accuracy, "proba": proba, "classes": classes,
                "fit_time": fit_time, "predict_time": predict_time,
                "epochs": model[-1].n_iter_,
            }
            self.log(f"  {set_name:<15} {name:<16} seed {seed}: accuracy "
                     f"{accuracy:.4f}, fit {fit_time:.1f} s, "
                     f"{model[-1].n_iter_} epochs", flush=True)
        return self.fits[key]

    def run(self, name, set_name, seed):
        """One run of candidate ``name`` (single or ``ens<k>:<base>``)."""
        size, base = parse_ensemble(name)
        if size == 1:
            return self.single(base, set_name, seed)
        members = [self.single(base, set_name, s) for s in member_seeds(seed, size)]
        proba = np.mean([m["proba"] for m in members], axis=0)
        classes = members[0]["classes"]
        y_test = self.data[set_name][3]
        return {
            "accuracy": float(np.mean(classes[proba.argmax(axis=1)] == y_test)),
            "proba": proba, "classes": classes,
            "fit_time": sum(m["fit_time"] for m in members),
            "predict_time": sum(m["predict_time"] for m in members),
        }

    def summary(self, name, set_name, seeds):
        """Accuracy in % of each seed, their mean and standard deviation
        (ddof=1); the test log-loss (mean over the seeds); the churn, the
        share of test series (%) two seeds label differently (mean over the
        pairs of seeds), which a test set near 100 % does not hide; the mean
        fit and prediction times."""
        runs = [self.run(name, set_name, s) for s in seeds]
        accuracy = np.array([100 * r["accuracy"] for r in runs])
        y_test = self.data[set_name][3]
        labels = [r["classes"][r["proba"].argmax(axis=1)] for r in runs]
        pairs = [(i, j) for i in range(len(runs)) for j in range(i + 1, len(runs))]
        return {
            "accuracy": accuracy, "mean": accuracy.mean(),
            "sd": accuracy.std(ddof=1) if len(accuracy) > 1 else 0.0,
            "log_loss": np.mean([
                log_loss(y_test, np.clip(r["proba"], 1e-15, 1), labels=r["classes"])
                for r in runs]),
            "churn": 100 * np.mean([np.mean(labels[i] != labels[j]) for i, j in pairs])
            if pairs else 0.0,
            "fit_time": np.mean([r["fit_time"] for r in runs]),
            "predict_time": np.mean([r["predict_time"] for r in runs]),
        }


def rule_key(summaries, name, sets):
    """The choice rule, a key to maximise, from ``summaries[(name, set)]``.

    First whether the candidate holds on every set (mean over the seeds at
    least 1-NN DTW and a standard deviation of at most 3 points: what holds
    on every set beats the best on one); then the mean over the sets of its
    mean over the seeds, less `ENSEMBLE_PRICE` points per fit beyond the
    first (an ensemble must earn its cost); then the lower churn.
    """
    size, _ = parse_ensemble(name)
    rows = [summaries[(name, s)] for s in sets]
    holds = all(r["mean"] >= DTW_ACCURACY.get(s, 0) and r["sd"] <= 3
                for r, s in zip(rows, sets))
    mean = np.mean([r["mean"] for r in rows])
    churn = np.mean([r["churn"] for r in rows])
    return (holds, round(mean - ENSEMBLE_PRICE * (size - 1), 6), -churn)


def choose(study, candidates, sets, seeds, ensemble):
    """The candidate chosen on ``sets`` by `rule_key`: among ``candidates``
    (single ones and ``ens<k>:<single>``), with (``ensemble`` > 1) the
    ensemble of ``ensemble`` seeds of the single candidate chosen. Returns
    ``(chosen, single chosen, summaries)``."""
    summaries = {(n, s): study.summary(n, s, seeds) for n in candidates for s in sets}
    singles = [n for n in candidates if parse_ensemble(n)[0] == 1]
    single = max(singles, key=lambda n: rule_key(summaries, n, sets))
    names = list(candidates)
    if ensemble > 1 and ensemble_name(single, ensemble) not in names:
        names.append(ensemble_name(single, ensemble))
        for s in sets:
            summaries[(names[-1], s)] = study.summary(names[-1], s, seeds)
    best = max(names, key=lambda n: rule_key(summaries, n, sets))
    return best, single, summaries


def print_study(study, singles, sets, seeds, ensemble):
    """The per-set tables, the choice on all sets, the leave-one-set-out table."""
    chosen, single, summaries = choose(study, singles, sets, seeds, ensemble)
    names = list(dict.fromkeys(n for n, _ in summaries))
    seed_columns = " | ".join(f"seed {s}" for s in seeds)
    for set_name in sets:
        print(f"\n{set_name} (1-NN DTW {DTW_ACCURACY.get(set_name, float('nan')):.1f} %): "
              "test accuracy %")
        print(f"| candidate | {seed_columns} | mean | sd | log-loss | churn % | "
              "fit s | predict s |")
        print("| --- |" + " --- |" * (len(seeds) + 6))
        for name in names:
            r = summaries[(name, set_name)]
            cells = [f"{a:.1f}" for a in r["accuracy"]]
            print(f"| {name} | " + " | ".join(cells) + f" | {r['mean']:.1f} | "
                  f"{r['sd']:.1f} | {r['log_loss']:.3f} | {r['churn']:.1f} | "
                  f"{r['fit_time']:.1f} | {r['predict_time']:.2f} |")
    print("\nsummary: mean ± sd over the seeds; holds: mean >= 1-NN DTW and sd <= 3 "
          "on every set; score: the mean over the sets less the ensemble's price")
    print("| candidate | " + " | ".join(sets)
          + " | holds | mean | score | churn % | fit s (sum) |")
    print("| --- |" + " --- |" * (len(sets) + 5))
    for name in names:
        holds, score, churn = rule_key(summaries, name, sets)
        mean = np.mean([summaries[(name, s)]["mean"] for s in sets])
        print(f"| {name} | " + " | ".join(
            f"{summaries[(name, s)]['mean']:.1f} ± {summaries[(name, s)]['sd']:.1f}"
            for s in sets) + f" | {'yes' if holds else 'no'} | {mean:.2f} | {score:.2f} | "
            f"{-churn:.1f} | {sum(summaries[(name, s)]['fit_time'] for s in sets):.0f} |")
    print(f"\nchosen on {', '.join(sets)}: {chosen} (best single: {single}; "
          f"seeds {', '.join(map(str, seeds))})")
    if len(sets) < 2:
        return chosen
    print("\nleave one set out: chosen on the other sets, scored on the held-out one")
    print("| held out | chosen on the others | others' mean | held-out seeds | "
          "held-out mean ± sd | 1-NN DTW | holds |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for held_out in sets:
        others = [s for s in sets if s != held_out]
        name, _, fold = choose(study, singles, others, seeds, ensemble)
        r = study.summary(name, held_out, seeds)
        dtw = DTW_ACCURACY.get(held_out, float("nan"))
        holds = r["mean"] >= dtw and r["sd"] <= 3
        print(f"| {held_out} | {name} | "
              f"{np.mean([fold[(name, s)]['mean'] for s in others]):.1f} | "
              + ", ".join(f"{a:.1f}" for a in r["accuracy"])
              + f" | {r['mean']:.1f} ± {r['sd']:.1f} | {dtw:.1f} | "
              f"{'yes' if holds else 'no'} |")
    return chosen


def build_parser():
    parser = argparse.ArgumentParser(
        description="Time-series classification on the dev sets: skrnn's "
        "defaults and recommended pipeline beside an order-free baseline and "
        "(with aeon) 1-NN DTW and MiniRocket."
    )
    parser.add_argument("--data-dir", type=Path, default=DATA,
                        help="folder of <set>_TRAIN.tsv and <set>_TEST.tsv "
                        "(default: %(default)s)")
    parser.add_argument("--sets", default=",".join(CLASSIFICATION_SETS),
                        metavar="SET[,SET...]",
                        help="comma-separated (default: %(default)s)")
    parser.add_argument("--models", default=",".join(MODELS), metavar="M[,M...]",
                        help=f"comma-separated, of {', '.join(MODELS)} "
                        "(default: all; aeon's are skipped when aeon is absent)")
    parser.add_argument("--seeds", default="0", metavar="S[,S...]",
                        help="random_state of each seeded model, one fit each "
                        "(default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: at most 4 training and 8 test series "
                        "per class, 3 epochs, tiny models")
    parser.add_argument("--study", action="store_true",
                        help="compare the candidate configurations (CANDIDATES) "
                        "over --seeds on each set, and leave one set out; "
                        "in this process, on one BLAS thread")
    parser.add_argument("--candidates", default=",".join(CANDIDATES),
                        metavar="C[,C...]",
                        help="with --study: candidates of CANDIDATES, or "
                        "ens<k>:<candidate> for a soft vote of k seeds of one, "
                        "comma-separated (default: %(default)s)")
    parser.add_argument("--ensemble", type=int, default=3, metavar="K",
                        help="with --study: also a soft-voting ensemble of K seeds "
                        "of the chosen single candidate; 0 or 1: none "
                        "(default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="processes running fits, 1: in this process "
                        "(default: %(default)s)")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="BLAS threads per process (default: cores // n_jobs)")
    return parser


def subsample(X, y, per_class):
    """The first ``per_class`` series of each class, in file order."""
    keep = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in np.unique(y)])
    keep.sort()
    return [X[i] for i in keep], y[keep]


def header(args, blas_threads, aeon):
    print_environment(
        versions={"aeon": aeon.__version__ if aeon else "not installed"},
        threads="--study: this process, 1 BLAS thread" if args.study else
        f"{args.n_jobs} process(es) with {blas_threads} BLAS thread(s) each",
    )


def cell(results):
    """'mean (seed, seed, ...)' accuracy in %, and the mean fit time."""
    accuracy = [100 * r["accuracy"] for r in results]
    text = f"{np.mean(accuracy):.1f}"
    if len(accuracy) > 1:
        text += " (" + ", ".join(f"{a:.1f}" for a in accuracy) + ")"
    return text, f"{np.mean([r['fit_time'] for r in results]):.1f}"


def main(argv=None):
    args = build_parser().parse_args(argv)
    sets = args.sets.split(",")
    unknown = sorted(set(sets) - set(TASKS))
    if unknown:
        print(f"error: unknown set(s) {unknown}; known: {', '.join(TASKS)}",
              file=sys.stderr)
        return 2
    if args.study:
        candidates = args.candidates.split(",")
        unknown = sorted({c for c in candidates if parse_ensemble(c)[1] not in CANDIDATES})
        if unknown:
            print(f"error: unknown candidate(s) {unknown}; known: "
                  f"{', '.join(CANDIDATES)}", file=sys.stderr)
            return 2
    models = args.models.split(",")
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        print(f"error: unknown model(s) {unknown}; known: {', '.join(MODELS)}",
              file=sys.stderr)
        return 2
    for name in sets:
        for split in ("TRAIN", "TEST"):
            path = args.data_dir / f"{name}_{split}.tsv"
            if not path.is_file():
                print(f"error: {path} does not exist. Pass --data-dir, the folder "
                      "of the dev sets (../shared/data/ts from the repository "
                      "root by default).", file=sys.stderr)
                return 2
    aeon = _aeon()
    if aeon is None:
        skipped = [m for m in models if m in AEON_MODELS]
        models = [m for m in models if m not in AEON_MODELS]
    else:
        skipped = []
    seeds = [int(s) for s in args.seeds.split(",")]
    blas_threads = default_blas_threads(args.blas_threads, args.n_jobs)

    header(args, blas_threads, aeon[0] if aeon else None)
    if skipped:
        print(f"aeon is not installed: no {', '.join(skipped)} (pip install aeon)")
    data, regression = {}, []
    for name in sets:
        if TASKS[name] == "regression":
            regression.append(name)
            continue
        X_train, y_train = load_set(name, "TRAIN", args.data_dir)
        X_test, y_test = load_set(name, "TEST", args.data_dir)
        if args.quick:
            X_train, y_train = subsample(X_train, y_train, 4)
            X_test, y_test = subsample(X_test, y_test, 8)
        lengths = [len(x) for x in X_train]
        print(
            f"{name}: {len(X_train)} training / {len(X_test)} test series, "
            f"{X_train[0].shape[1]} channel(s), {min(lengths)}-{max(lengths)} "
            f"training steps, {len(np.unique(y_train))} classes"
        )
        data[name] = (X_train, y_train, X_test, y_test)
    if regression:
        print(f"regression, not benchmarked here: {', '.join(regression)} "
              "(python benchmarks/ts_regression.py)")
    print()

    if args.study:
        for name in candidates:
            size, base = parse_ensemble(name)
            print(f"{name}: {CANDIDATES[base][0]}" + (
                f"; soft vote of {size} seeds" if size > 1 else ""))
        if args.ensemble > 1:
            print(f"ens{args.ensemble}:<single>: soft vote of {args.ensemble} seeds "
                  "of the chosen single candidate (run s: seeds "
                  f"{args.ensemble}s to {args.ensemble}s+{args.ensemble - 1})")
        print()
        print_study(Study(data, args.quick), candidates, list(data), seeds,
                    args.ensemble)
        return 0

    jobs = [
        (name, model, seed)
        for name in data
        for model in models
        for seed in (seeds if MODELS[model][1] else seeds[:1])
    ]

    def run(job):
        name, model, seed = job
        result = fit_and_score(model, seed, data[name], blas_threads, args.quick)
        epochs = "" if result["epochs"] is None else f", {result['epochs']} epochs"
        print(
            f"  {name:<15} {MODELS[model][0]:<48} seed {seed}: accuracy "
            f"{result['accuracy']:.4f}, fit {result['fit_time']:.1f} s{epochs}",
            flush=True,
        )
        return result

    if args.n_jobs > 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=args.n_jobs)(delayed(run)(job) for job in jobs)
    else:
        results = [run(job) for job in jobs]
    by_job = dict(zip(jobs, results))

    print()
    print("| model | " + " | ".join(f"{n} accuracy % | fit s" for n in data) + " |")
    print("| --- |" + " --- | --- |" * len(data))
    for model in models:
        row = [MODELS[model][0]]
        for name in data:
            row.extend(cell([r for (n, m, _), r in by_job.items() if n == name and m == model]))
        print("| " + " | ".join(row) + " |")
    if len(seeds) > 1:
        print(f"\nseeded models: mean (seeds {', '.join(map(str, seeds))}); "
              "1-NN DTW is deterministic and runs once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
