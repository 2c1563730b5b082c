"""Issue 28: which defaults of `RNNClassifier` serve a first try?

Scores ``make_pipeline(OneHotSequenceTransformer(), RNNClassifier(**c))`` for
candidate default sets ``c`` (dicts of RNNClassifier parameters; the first,
``before``, states the defaults this study replaced, ``pooling='last',
learning_rate=0.001, average=False``; the second, ``defaults``, is ``{}``:
the installed defaults) on three development tasks, with
the transformer at its defaults (the plain pipeline a first try runs):

1. ``trec``: TREC's training file minus sentences.py's ``--dev 1000`` split
   (stratified, ``random_state=0``, `sentences.read_data`), scored on those
   1,000; the test file is never read.
2. ``sst2``: a stratified sample of ``--sst2-train`` (2,000) sentences of
   SST-2's train.tsv (``random_state=0``, the same sample for every seed),
   scored on dev.tsv (872).
3. ``small``: ``--small-n`` (600) sentences drawn stratified from SST-2's
   train.tsv (``random_state=seed``: each seed draws its own sample, as a
   user's small data set would differ), ``--folds``-fold stratified CV
   accuracy (folds shuffled with ``random_state=seed``), beside
   ``DummyClassifier()`` (the majority class), ``CountVectorizer() +
   LogisticRegression()`` and ``TfidfVectorizer(ngram_range=(1, 2)) +
   LogisticRegression()`` on the same folds.

Seed ``s`` is the classifier's ``random_state``. On trec and sst2 the
baselines are ``DummyClassifier()`` and sentences.py's ``TfidfVectorizer(
ngram_range=(1, 2)) + LogisticRegression`` with C chosen from 1, 10, 100 by
3-fold CV on the training part (deterministic: one run, not per seed).

Prints one line per fit as it goes, then per task a Markdown table: accuracy
per seed, mean, sample sd over seeds, mean fit seconds per seed (on
``small``: the ``--folds`` fits together) and mean epochs (``n_iter_``).
``--results FILE`` appends every measurement as a JSON line, and
``--report FILE`` prints the tables of such a file without fitting, so that
a one-seed pruning pass and a three-seed pass of the finalists make one
table::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/defaults.py \\
        --seeds 0 --results defaults.jsonl                 # prune
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/defaults.py \\
        --candidates defaults,gru-max-es-avg --seeds 1,2 \\
        --no-baselines --results defaults.jsonl            # finalists
    python benchmarks/defaults.py --report defaults.jsonl

``--check-estimator`` times ``check_estimator(RNNClassifier(**c))`` for each
chosen candidate, each in a fresh Python process, alternating with
``before`` ``--check-repeats`` times, and prints the ratio to ``before``
(issue 28 allows at most 1.5x); a candidate that fails a check is shown
with the error's last line (``early_stopping=True`` fails the partial_fit
checks; ``cell='gru', pooling='mean', max_iter=30`` underfits
check_classifiers_train). ``--params '{"cell": "lstm"}'`` adds an
ad-hoc candidate.

The data are read from ``../shared/data/{trec,sst2}`` relative to the
repository root. Run on one core (``OMP_NUM_THREADS=1``; BLAS is also
limited to ``--blas-threads``, default 1). On one core the one-seed pass of
all candidates takes about 40 minutes; a GRU candidate that trains all 100
epochs about 5 minutes per seed over the three tasks.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skrnn import OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import load_sentences

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import sentences  # noqa: E402  (TREC's loader and dev split)
from _common import SHARED_DATA, ints, print_environment  # noqa: E402

TREC = SHARED_DATA / "trec"
SST2 = SHARED_DATA / "sst2"
TASKS = ("trec", "sst2", "small", "small-imb")

# Candidate default sets, in the order tried. "before" is the defaults the
# study replaced (results files written before then call it "defaults");
# "defaults" is whatever the installed RNNClassifier has.
BEFORE = {"pooling": "last", "learning_rate": 0.001, "average": False}
CANDIDATES = {
    "before": BEFORE,
    "defaults": {},
    "max": {"pooling": "max"},
    "mean": {"pooling": "mean"},
    "max-avg.5": {"pooling": "max", "average": 0.5},
    "max-es-avg": {"pooling": "max", "early_stopping": True, "average": True},
    "max-it30-avg.5": {"pooling": "max", "max_iter": 30, "average": 0.5},
    "gru": {"cell": "gru"},
    "gru-max": {"cell": "gru", "pooling": "max"},
    "gru-mean": {"cell": "gru", "pooling": "mean"},
    "gru-max-es": {"cell": "gru", "pooling": "max", "early_stopping": True},
    "gru-max-avg.5": {"cell": "gru", "pooling": "max", "average": 0.5},
    "gru-max-es-avg": {"cell": "gru", "pooling": "max", "early_stopping": True,
                       "average": True},
    "gru-max-it30": {"cell": "gru", "pooling": "max", "max_iter": 30},
    "gru-max-it30-avg.5": {"cell": "gru", "pooling": "max", "max_iter": 30,
                           "average": 0.5},
    "gru-max-emb64": {"cell": "gru", "pooling": "max", "embedding_size": 64},
    "mean-it30": {"pooling": "mean", "max_iter": 30},
    "mean-it30-avg.5": {"pooling": "mean", "max_iter": 30, "average": 0.5},
    "bi-max-it30-avg.5": {"pooling": "max", "bidirectional": True, "max_iter": 30,
                          "average": 0.5},
    "gru-mean-it30-avg.5": {"cell": "gru", "pooling": "mean", "max_iter": 30,
                            "average": 0.5},
    "gru-max-it30-avg": {"cell": "gru", "pooling": "max", "max_iter": 30,
                         "average": True},
    "gru-max-it30-avg.5-emb64": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                 "average": 0.5, "embedding_size": 64},
    "gru-max-it30-avg.5-h128": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                "average": 0.5, "hidden_size": 128},
    "gru-max-it30-avg.5-do.3": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                "average": 0.5, "dropout": 0.3, "input_dropout": 0.3},
    "gru-max-it30-avg.5-lr.002": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                  "average": 0.5, "learning_rate": 0.002},
    "gru-max-it30-avg.5-b32-lr.002": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                      "average": 0.5, "batch_size": 32,
                                      "learning_rate": 0.002},
    "gru-max-it30-avg.5-b32": {"cell": "gru", "pooling": "max", "max_iter": 30,
                               "average": 0.5, "batch_size": 32},
    "gru-max-it20-avg.5-do.3-lr.002": {"cell": "gru", "pooling": "max", "max_iter": 20,
                                       "average": 0.5, "dropout": 0.3,
                                       "input_dropout": 0.3, "learning_rate": 0.002},
    # Third pass: the check_estimator budget (1.5x) rules out GRU at batch 32 (1.76x).
    "max-it30-avg.5-b32-lr.002": {"pooling": "max", "max_iter": 30, "average": 0.5,
                                  "batch_size": 32, "learning_rate": 0.002},
    "max-it30-avg.5-b64-lr.003": {"pooling": "max", "max_iter": 30, "average": 0.5,
                                  "batch_size": 64, "learning_rate": 0.003},
    "max-avg.5-lr.002": {"pooling": "max", "average": 0.5, "learning_rate": 0.002},
    "max-it50-avg.5-lr.002": {"pooling": "max", "max_iter": 50, "average": 0.5,
                              "learning_rate": 0.002},
    "gru-max-it30-avg.5-b64-lr.002": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                      "average": 0.5, "batch_size": 64,
                                      "learning_rate": 0.002},
    "gru-max-it60-avg.5-lr.003": {"cell": "gru", "pooling": "max", "max_iter": 60,
                                  "average": 0.5, "learning_rate": 0.003},
    "gru-max-it30-avg.5-lr.005": {"cell": "gru", "pooling": "max", "max_iter": 30,
                                  "average": 0.5, "learning_rate": 0.005},
    # On top of the defaults chosen by the third pass: direct n-gram tables
    # trained alone for 20 epochs, then frozen (issue 27's two stages).
    "two-stage-d2-e20": {"direct_order": 2, "direct_epochs": 20},
    "two-stage-d2-e20-dlr.01": {"direct_order": 2, "direct_epochs": 20,
                                "direct_learning_rate": 0.01},
    "two-stage-d2-e20-freq": {"direct_order": 2, "direct_epochs": 20,
                              "direct_values": "frequency"},
    "two-stage-d3-e20": {"direct_order": 3, "direct_epochs": 20},
    "two-stage-d2-e10": {"direct_order": 2, "direct_epochs": 10},
    "two-stage-d2-e30": {"direct_order": 2, "direct_epochs": 30},
    "two-stage-d2-e40": {"direct_order": 2, "direct_epochs": 40},
}


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def stratified_sample(X, y, n, random_state):
    """``n`` of the sentences ``X`` (a list) and labels ``y``, drawn
    stratified by label with ``random_state``; all of them if ``n`` is None
    or at least ``len(X)``."""
    y = np.asarray(y)
    if n is None or n >= len(X):
        return list(X), y
    _, X_s, _, y_s = train_test_split(
        X, y, test_size=n, stratify=y, random_state=random_state
    )
    return list(X_s), np.asarray(y_s)


def imbalanced_sample(X, y, n, majority_share, random_state):
    """``n`` sentences of ``X`` with labels ``y``, a share ``majority_share``
    of them from the class most frequent in ``y`` (ties: the first label in
    sorted order) and the rest from the others, stratified among them;
    drawn with ``random_state``."""
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    majority = labels[np.argmax(counts)]
    n_major = int(round(n * majority_share))
    rng = np.random.default_rng(random_state)
    major = rng.choice(np.flatnonzero(y == majority), n_major, replace=False)
    rest = np.flatnonzero(y != majority)
    X_rest, y_rest = stratified_sample([X[i] for i in rest], y[rest], n - n_major,
                                       random_state)
    order = rng.permutation(n)
    X_all = [X[i] for i in major] + X_rest
    y_all = np.concatenate([y[major], y_rest])
    return [X_all[i] for i in order], y_all[order]


def trec_dev(data=TREC):
    """``X_train, X_dev, y_train, y_dev``: sentences.py's ``--dev 1000``."""
    return sentences.read_data(Path(data) / "train.tsv", None, 1000)


def sst2_dev(n_train=2000, data=SST2):
    """``X_train, X_dev, y_train, y_dev``: a stratified sample of ``n_train``
    train.tsv sentences (``random_state=0``; None: all) and dev.tsv."""
    X, y = load_sentences(Path(data) / "train.tsv")
    X_dev, y_dev = load_sentences(Path(data) / "dev.tsv")
    X_train, y_train = stratified_sample(X, y, n_train, random_state=0)
    return X_train, X_dev, y_train, y_dev


def small_pool(data=SST2):
    """SST-2's train.tsv, from which ``small`` draws its samples."""
    return load_sentences(Path(data) / "train.tsv")


# ---------------------------------------------------------------------------
# Models and scoring
# ---------------------------------------------------------------------------


def recurrent(params, seed):
    """The plain text pipeline with candidate ``params``."""
    return make_pipeline(
        OneHotSequenceTransformer(), RNNClassifier(**{**params, "random_state": seed})
    )


def small_baselines():
    """The baselines of the ``small`` task, by name (unfitted)."""
    return {
        "majority (DummyClassifier)": DummyClassifier(),
        "CountVectorizer + LR": make_pipeline(
            CountVectorizer(), LogisticRegression(max_iter=1000)),
        "tf-idf (1,2) + LR": make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=1000)),
    }


def tuned_tfidf():
    """sentences.py's baseline: tf-idf (1,2)-grams + LR, C by 3-fold CV."""
    return GridSearchCV(
        make_pipeline(TfidfVectorizer(ngram_range=(1, 2)),
                      LogisticRegression(max_iter=1000)),
        {"logisticregression__C": [1.0, 10.0, 100.0]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    )


def epochs_of(model):
    """``n_iter_`` of the pipeline's last step, or None."""
    return getattr(model[-1], "n_iter_", None) if hasattr(model, "steps") else None


def holdout(model, X_train, y_train, X_test, y_test):
    """``(accuracy, fit seconds, epochs)`` of one fit and one score."""
    start = time.perf_counter()
    model.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    return float(model.score(X_test, y_test)), fit_time, epochs_of(model)


def cross_validated(make_model, X, y, folds, seed):
    """``(mean accuracy, total fit seconds, mean epochs)`` of a
    ``folds``-fold stratified CV (shuffled with ``seed``); ``make_model()``
    gives a fresh model per fold."""
    X = np.asarray(X, dtype=object)
    y = np.asarray(y)
    scores, fit_time, epochs = [], 0.0, []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        accuracy, seconds, n_iter = holdout(
            make_model(), list(X[train]), y[train], list(X[test]), y[test])
        scores.append(accuracy)
        fit_time += seconds
        if n_iter is not None:
            epochs.append(n_iter)
    return float(np.mean(scores)), fit_time, (float(np.mean(epochs)) if epochs else None)


def summarize(values):
    """``(mean, sd)`` of ``values``, the sample sd (ddof=1; nan for one)."""
    values = np.asarray(values, dtype=float)
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    return float(values.mean()), sd


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def tables(records, seeds=None):
    """Markdown tables of ``records`` (dicts with task, model, seed,
    accuracy, fit_seconds, epochs, params), one per task, as a str. A model
    measured twice at one seed keeps its last measurement."""
    lines = []
    tasks = [t for t in TASKS if any(r["task"] == t for r in records)]
    tasks += sorted({r["task"] for r in records} - set(tasks))
    for task in tasks:
        rows = {}
        for r in records:
            if r["task"] == task:
                rows.setdefault(r["model"], {})[r["seed"]] = r
        shown = seeds or sorted({r["seed"] for r in records if r["seed"] is not None})
        lines.append(f"### {task}")
        lines.append("")
        lines.append("| model | " + " | ".join(f"seed {s}" for s in shown)
                     + " | mean | sd | n | fit s | epochs |")
        lines.append("| --- " * (len(shown) + 6) + "|")
        for model, by_seed in rows.items():
            if None in by_seed:  # deterministic: one value for every seed
                cells = [f"{by_seed[None]['accuracy']:.4f}"] * len(shown)
                values = [by_seed[None]]
            else:
                cells = [f"{by_seed[s]['accuracy']:.4f}" if s in by_seed else ""
                         for s in shown]
                values = [by_seed[s] for s in sorted(by_seed)]
            mean, sd = summarize([v["accuracy"] for v in values])
            fit = np.mean([v["fit_seconds"] for v in values])
            epochs = [v["epochs"] for v in values if v.get("epochs") is not None]
            lines.append(
                f"| {model} | " + " | ".join(cells)
                + f" | {mean:.4f} | {'' if np.isnan(sd) else f'{sd:.4f}'} | "
                f"{len(values)} | {fit:.1f} | "
                + (f"{np.mean(epochs):.1f}" if epochs else "") + " |"
            )
        lines.append("")
    return "\n".join(lines)


def read_records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------------------
# check_estimator timing
# ---------------------------------------------------------------------------

CHECK_CODE = """
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from sklearn.utils.estimator_checks import check_estimator
from skrnn import RNNClassifier
params = json.loads(sys.argv[1])
start = time.perf_counter()
check_estimator(RNNClassifier(**params))
print(time.perf_counter() - start)
"""


def check_estimator_seconds(params):
    """Wall seconds of ``check_estimator(RNNClassifier(**params))`` in a
    fresh Python process (imports excluded)."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK_CODE, json.dumps(params)],
        capture_output=True, text=True,
    )
    if done.returncode:
        lines = done.stderr.strip().splitlines() or ["(no message)"]
        raise RuntimeError(lines[-1])
    return float(done.stdout.strip().splitlines()[-1])


def time_check_estimator(candidates, repeats):
    """Print each candidate's check_estimator time beside the defaults',
    alternating, ``repeats`` times; returns ``{name: [seconds, ...]}``."""
    times = {name: [] for name in candidates}
    times.setdefault("before", [])
    failed = {}
    for repeat in range(repeats):
        for name, params in [("before", BEFORE)] + [
                (n, p) for n, p in candidates.items() if n != "before"]:
            if name in failed:
                continue
            try:
                seconds = check_estimator_seconds(params)
            except RuntimeError as error:
                failed[name] = str(error)
                print(f"check_estimator {name} fails: {error}", flush=True)
                continue
            times[name].append(seconds)
            print(f"check_estimator {name} (repeat {repeat}): {seconds:.1f} s", flush=True)
    base = np.mean(times["before"])
    print()
    print("| model | check_estimator s (each run) | mean | ratio to before |")
    print("| --- | --- | --- | --- |")
    for name, values in times.items():
        if name in failed:
            print(f"| {name} | fails: {failed[name][:120]} | | |")
            continue
        print(f"| {name} | {', '.join(f'{v:.1f}' for v in values)} | "
              f"{np.mean(values):.1f} | {np.mean(values) / base:.2f} |")
    print()
    return times


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(
        description="Issue 28: candidate RNNClassifier defaults on the TREC "
        "and SST-2 dev tasks and on 600 SST-2 sentences in 5-fold CV.")
    parser.add_argument("--candidates", default="all",
                        help="comma-separated names of CANDIDATES, or 'all' "
                        f"(default); known: {', '.join(CANDIDATES)}")
    parser.add_argument("--params", type=json.loads, action="append", default=[],
                        metavar="JSON", help="an extra candidate, e.g. "
                        "'{\"cell\": \"lstm\"}' (repeatable)")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help="comma-separated of trec, sst2, small (default: all)")
    parser.add_argument("--seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--sst2-train", type=int, default=2000,
                        help="SST-2 training sentences of the sst2 task; 0 for "
                        "all 6,920 (default: %(default)s)")
    parser.add_argument("--small-n", type=int, default=600)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--majority-share", type=float, default=0.6,
                        help="share of the majority class in small-imb's "
                        "samples (default: %(default)s)")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--results", type=Path, default=None,
                        help="append every measurement to this JSON-lines file")
    parser.add_argument("--report", type=Path, default=None,
                        help="print the tables of a --results file and exit")
    parser.add_argument("--check-estimator", action="store_true",
                        help="also time check_estimator per candidate")
    parser.add_argument("--check-only", action="store_true",
                        help="only time check_estimator")
    parser.add_argument("--check-repeats", type=int, default=2)
    parser.add_argument("--blas-threads", type=int, default=1)
    return parser


def chosen_candidates(args):
    names = list(CANDIDATES) if args.candidates == "all" else args.candidates.split(",")
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        raise SystemExit(f"error: unknown candidates {unknown}; known: {list(CANDIDATES)}")
    chosen = {n: CANDIDATES[n] for n in names}
    valid = set(RNNClassifier().get_params())
    for params in args.params:
        bad = set(params) - valid
        if bad:
            raise SystemExit(f"error: unknown RNNClassifier parameters {sorted(bad)}")
        chosen[json.dumps(params, sort_keys=True)] = params
    return chosen


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.report:
        print(tables(read_records(args.report)))
        return 0
    candidates = chosen_candidates(args)
    tasks = args.tasks.split(",")
    if set(tasks) - set(TASKS):
        raise SystemExit(f"error: unknown tasks {sorted(set(tasks) - set(TASKS))}")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    records = []

    def record(task, model, seed, accuracy, fit_seconds, epochs=None, params=None):
        r = {"task": task, "model": model, "seed": seed, "accuracy": accuracy,
             "fit_seconds": fit_seconds, "epochs": epochs, "params": params}
        records.append(r)
        print(f"{task:<6} {model:<28} seed {seed}  accuracy {accuracy:.4f}  "
              f"fit {fit_seconds:7.1f} s" + ("" if epochs is None else f"  epochs {epochs:g}"),
              flush=True)
        if args.results:
            with open(args.results, "a") as f:
                f.write(json.dumps(r) + "\n")

    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        print_environment(threads=f"BLAS limited to {args.blas_threads} thread(s), "
                          "sequential")
        print("candidates: " + "; ".join(f"{n} = {json.dumps(p)}"
                                         for n, p in candidates.items()))
        print()
        if args.check_only:
            time_check_estimator(candidates, args.check_repeats)
            return 0
        for task in tasks:
            if task in ("trec", "sst2"):
                X_train, X_test, y_train, y_test = (
                    trec_dev() if task == "trec" else sst2_dev(args.sst2_train or None))
                print(f"{task}: {len(X_train)} training, {len(X_test)} dev sentences")
                if not args.no_baselines:
                    for name, model in [("majority (DummyClassifier)", DummyClassifier()),
                                        ("tf-idf (1,2) + LR, C by CV", tuned_tfidf())]:
                        record(task, name, None, *holdout(model, X_train, y_train,
                                                          X_test, y_test)[:2])
                for seed in args.seeds:
                    for name, params in candidates.items():
                        record(task, name, seed, *holdout(recurrent(params, seed), X_train,
                                                          y_train, X_test, y_test),
                               params=params)
            else:
                X_pool, y_pool = small_pool()
                print(f"{task}: {args.small_n} of SST-2's {len(X_pool)} training "
                      f"sentences per seed, {args.folds}-fold CV"
                      + ("" if task == "small" else
                         f", {args.majority_share:g} of them of the majority class"))
                for seed in args.seeds:
                    X, y = (stratified_sample(X_pool, y_pool, args.small_n, seed)
                            if task == "small" else
                            imbalanced_sample(X_pool, y_pool, args.small_n,
                                              args.majority_share, seed))
                    if not args.no_baselines:
                        for name, model in small_baselines().items():
                            record(task, name, seed, *cross_validated(
                                lambda m=model: clone(m), X, y, args.folds, seed)[:2])
                    for name, params in candidates.items():
                        record(task, name, seed, *cross_validated(
                            lambda p=params, s=seed: recurrent(p, s), X, y, args.folds, seed),
                            params=params)
            print()
        print(tables(records))
        if args.check_estimator:
            time_check_estimator(candidates, args.check_repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
