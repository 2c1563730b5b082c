"""TREC question classification: recurrent pipelines beside tf-idf + LR.

Trains on the TREC question set (Li and Roth, 2002; 5,452 training and 500
test questions, 6 coarse classes) read with `skrnn.datasets.load_sentences`.

* The recurrent model is ``make_pipeline(OneHotSequenceTransformer(),
  RNNClassifier(cell=...))``, one per ``--cell``, in one of three presets:
  ``search`` tunes it by a 3-fold GridSearchCV over ``hidden_size`` and
  ``learning_rate`` on the training part only, then refits on all of it;
  ``default`` fits the plain defaults; ``recommended`` fits the recommended
  text configuration (`RECOMMENDED_PARAMS`). Each is scored once on the test
  part.
* The baseline is ``make_pipeline(TfidfVectorizer(ngram_range=(1, 2)),
  LogisticRegression(C=...))`` with C chosen by a 3-fold search.

The data are read from ``../shared/data/trec/{train,test}.tsv`` relative to
the repository root (``--train`` and ``--test`` override). Run::

    python benchmarks/sentences.py                     # Elman cell, default grid
    python benchmarks/sentences.py --cell rnn,gru,lstm --preset default
    python benchmarks/sentences.py --cell gru --preset recommended
    python benchmarks/sentences.py --cell lstm --hidden-size 128 \\
        --params '{"bidirectional": true, "pooling": "max", "dropout": 0.5}'

``--dev 1000`` holds out a stratified 1,000-sentence split of the training
file (``random_state=0``), trains on the rest and scores on the split; the
test file is then not read. That is how choices are made without looking at
the test part (the dev table of RESULTS.md)::

    python benchmarks/sentences.py --cell gru --preset recommended --dev 1000 \\
        --no-baseline --random-state 1 --params '{"alpha": 0.0}'

``--pretraining N`` sets ``RNNClassifier(pretraining=N)``: the recurrent
layers and the embedding start from language models trained N epochs on the
training sentences (forward, and reversed for the backward direction), as in
RESULTS.md's section "Pretraining with a language model"::

    python benchmarks/sentences.py --cell gru --preset recommended --dev 1000 \
        --no-baseline --n-jobs 1 --blas-threads 1 --pretraining 3

`recommended_pipeline` returns the README's recommended configuration,
unfitted, for code outside the repository.

BLAS threads: the search runs ``--n-jobs`` processes, each limited by joblib to
``cores // n_jobs`` BLAS threads; the refit in the main process is limited the
same way (``--blas-threads`` overrides). The per-step products of a recurrent
net are small, and multi-threaded OpenBLAS on them is slower than one thread,
badly so when the cores are busy.
"""

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

from skrnn import OneHotSequenceTransformer, RNNClassifier, _presets
from skrnn.datasets import load_sentences

# _common beside this file (also when this file is loaded by its path).
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    SHARED_DATA,
    default_blas_threads,
    floats,
    ints,
    print_environment,
)

DATA = SHARED_DATA / "trec"

# --preset search: settings of RNNClassifier fixed during the grid search
# unless --params says otherwise: small batches and early stopping on a
# stratified 10 % of the training part.
DEFAULT_PARAMS = {
    "batch_size": 32,
    "early_stopping": True,
    "n_iter_no_change": 4,
    "validation_fraction": 0.1,
}

# --preset recommended: the recommended configuration for sentence
# classification, chosen on a dev split of the TREC training part (see
# RESULTS.md). It lives in the package (`skrnn._presets`, which
# ``python -m skrnn --data`` fits), so the README, the docstring, the main
# job and this script cannot drift apart.
RECOMMENDED_TRANSFORMER = _presets.TEXT_TRANSFORMER
RECOMMENDED_PARAMS = _presets.TEXT_PARAMS
# RNNClassifier(pretraining=...) of the recommended configuration: None.
# Language models trained 3 or 6 epochs on the training sentences did not
# raise the dev accuracy beyond the spread of seeds, for 70-140 % more time
# (RESULTS.md, "Pretraining with a language model"); --pretraining N tries it.
RECOMMENDED_PRETRAINING = _presets.TEXT_PRETRAINING


def recommended_pipeline(cell="gru", random_state=None):
    """The recommended text configuration of the README, unfitted.

    A Pipeline from raw sentences (a list of str) to class labels:
    ``OneHotSequenceTransformer(min_frequency=2, dtype=np.float32)`` then
    ``RNNClassifier(cell=cell, **RECOMMENDED_PARAMS,
    pretraining=RECOMMENDED_PRETRAINING, random_state=random_state)``
    (`skrnn._presets.text_classifier`). ``fit(X, y)`` takes labelled
    sentences. With ``set_params(rnnclassifier__pretraining=N)``, sentences
    labelled -1 are unlabelled text that only the pretraining language
    models read (without pretraining, -1 would be a class).
    """
    return _presets.text_classifier(cell=cell, random_state=random_state)


def cells(text):
    names = text.split(",")
    unknown = sorted(set(names) - {"rnn", "gru", "lstm"})
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown cell(s) {unknown}; use rnn, gru, lstm")
    return names


def build_parser():
    parser = argparse.ArgumentParser(
        description="TREC question classification: skrnn's RNNClassifier "
        "(GridSearchCV on the training set) beside tf-idf + LogisticRegression."
    )
    parser.add_argument("--train", type=Path, default=DATA / "train.tsv",
                        help="training file (default: %(default)s)")
    parser.add_argument("--test", type=Path, default=DATA / "test.tsv",
                        help="test file (default: %(default)s)")
    parser.add_argument("--cell", type=cells, default=["rnn"], metavar="CELL[,CELL...]",
                        help="rnn, gru and/or lstm, comma-separated; one model "
                        "per cell (default: rnn)")
    parser.add_argument("--preset", choices=["search", "default", "recommended"],
                        default="search",
                        help="'search': GridSearchCV over --hidden-size x "
                        "--learning-rate with --params; 'default': the plain "
                        "make_pipeline(OneHotSequenceTransformer(), "
                        "RNNClassifier(cell=...)), no search; 'recommended': the "
                        "recommended text configuration, no search "
                        "(default: search)")
    parser.add_argument("--grid", choices=["small", "none"], default="small",
                        help="'small': 3-fold GridSearchCV over --hidden-size x "
                        "--learning-rate; 'none': fit the first value of each, "
                        "no search (default: small)")
    parser.add_argument("--hidden-size", type=ints, default=[64, 128],
                        metavar="H[,H...]", help="grid of hidden_size "
                        "(default: 64,128)")
    parser.add_argument("--learning-rate", type=floats, default=[0.0005, 0.001, 0.002],
                        metavar="LR[,LR...]", help="grid of learning_rate "
                        "(default: 0.0005,0.001,0.002)")
    parser.add_argument("--C", type=floats, default=[1.0, 10.0, 100.0],
                        metavar="C[,C...]", help="grid of the baseline's C "
                        "(default: 1,10,100)")
    parser.add_argument("--max-iter", type=int, default=40,
                        help="max epochs of RNNClassifier (default: 40)")
    parser.add_argument("--params", type=json.loads, default={},
                        metavar="JSON", help="other RNNClassifier parameters, "
                        "e.g. '{\"bidirectional\": true, \"pooling\": \"max\"}'; "
                        f"defaults here: {json.dumps(DEFAULT_PARAMS)}")
    parser.add_argument("--dev", type=int, default=None, metavar="N",
                        help="hold out a stratified split of N training "
                        "sentences (train_test_split, random_state=0), train "
                        "on the rest and score on it instead of the test file, "
                        "which is then not read: how RESULTS.md's dev table "
                        "was made (default: score on the test file)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="BLAS threads of the main process "
                        "(default: cores // n_jobs)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip tf-idf + LogisticRegression")
    parser.add_argument("--pretraining", type=int, default=None, metavar="N",
                        help="RNNClassifier(pretraining=N): start from language "
                        "models trained N epochs on the training sentences; 0 "
                        "for none (default: the preset's, none)")
    parser.add_argument("--verbose", action="store_true",
                        help="RNNClassifier prints one line per epoch (refit)")
    return parser


def read_data(train, test, dev=None):
    """``X_train, X_test, y_train, y_test``: the training and test files, or
    with ``dev`` a stratified split of ``dev`` training sentences
    (``random_state=0``) in place of the test file, which is then not read."""
    X_train, y_train = load_sentences(train)
    if dev:
        return train_test_split(
            X_train, y_train, test_size=dev, stratify=y_train, random_state=0
        )
    X_test, y_test = load_sentences(test)
    return X_train, X_test, y_train, y_test


def header(args, blas_threads):
    print_environment(threads=f"main process limited to {blas_threads} BLAS "
                      f"thread(s), n_jobs={args.n_jobs}")


def search(estimator, grid, X, y, args):
    """GridSearchCV (or a plain fit with ``--grid none``); returns the result."""
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
    if args.grid == "none":
        estimator.set_params(**{k: v[0] for k, v in grid.items()})
        start = time.perf_counter()
        estimator.fit(X, y)
        fit_time = time.perf_counter() - start
        return estimator, {k: v[0] for k, v in grid.items()}, None, fit_time, fit_time, None
    gs = GridSearchCV(estimator, grid, cv=folds, n_jobs=args.n_jobs, refit=True)
    start = time.perf_counter()
    gs.fit(X, y)
    total = time.perf_counter() - start
    return (gs.best_estimator_, gs.best_params_, gs.best_score_, gs.refit_time_, total,
            gs.cv_results_)


def print_cv_table(cv_results, names):
    if cv_results is None:
        return
    print("  candidates (mean +/- std 3-fold CV accuracy, mean fit time per fold):")
    for i, params in enumerate(cv_results["params"]):
        desc = ", ".join(f"{n.split('__')[-1]}={params[n]:g}" for n in names)
        print(
            f"    {desc:<40} {cv_results['mean_test_score'][i]:.4f} +/- "
            f"{cv_results['std_test_score'][i]:.4f}   "
            f"{cv_results['mean_fit_time'][i]:7.1f} s   "
            f"rank {cv_results['rank_test_score'][i]}"
        )


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.scored_on = "dev" if args.dev else "test"
    for name in ("train",) if args.dev else ("train", "test"):
        path = getattr(args, name)
        if not path.is_file():
            print(
                f"error: the TREC {name} file {path} does not exist. Put "
                "train.tsv and test.tsv (columns 'label' and 'text') in "
                f"{DATA}, or pass --train PATH --test PATH.",
                file=sys.stderr,
            )
            return 2
    unknown = set(args.params) - set(RNNClassifier().get_params())
    if unknown:
        print(f"error: --params names unknown RNNClassifier parameters "
              f"{sorted(unknown)}.", file=sys.stderr)
        return 2
    blas_threads = default_blas_threads(args.blas_threads, args.n_jobs)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        header(args, blas_threads)
        X_train, X_test, y_train, y_test = read_data(args.train, args.test, args.dev)
        classes, counts = np.unique(y_train, return_counts=True)
        print(
            f"data: {len(X_train)} training, {len(X_test)} {args.scored_on} "
            f"sentences; classes {dict(zip(classes.tolist(), counts.tolist()))}"
        )
        print(f"model selection: {args.folds}-fold stratified CV on the training "
              f"set only; the {args.scored_on} set is scored once per model")
        print()

        if not args.no_baseline:
            baseline = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2)),
                LogisticRegression(max_iter=1000),
            )
            grid = {"logisticregression__C": args.C}
            model, best, cv, fit_time, total, results = search(
                baseline, grid, X_train, y_train, args
            )
            print("baseline: TfidfVectorizer(ngram_range=(1, 2)) -> LogisticRegression")
            print_cv_table(results, list(grid))
            print(f"  best params: {best}" + ("" if cv is None else f", CV accuracy {cv:.4f}"))
            print(f"  {args.scored_on} accuracy: {model.score(X_test, y_test):.4f}")
            print(f"  refit time: {fit_time:.1f} s, total search time: {total:.1f} s")
            print()

        for cell in args.cell:
            recurrent(cell, args, X_train, y_train, X_test, y_test)
            print()
    return 0


def recurrent(cell, args, X_train, y_train, X_test, y_test):
    """Fit (or search and refit) one recurrent pipeline and score it on test."""
    transformer_params = {}
    if args.preset == "search":
        params = {**DEFAULT_PARAMS, "max_iter": args.max_iter, **args.params}
    elif args.preset == "default":
        params = dict(args.params)
    else:
        params = {**RECOMMENDED_PARAMS, "pretraining": RECOMMENDED_PRETRAINING,
                  **args.params}
        transformer_params = dict(RECOMMENDED_TRANSFORMER)
    if args.pretraining is not None:
        params["pretraining"] = args.pretraining or None
    rnn = make_pipeline(
        OneHotSequenceTransformer(**transformer_params),
        RNNClassifier(cell=cell, random_state=args.random_state, **params),
    )
    grid = {}
    if args.preset == "search":
        grid = {
            "rnnclassifier__hidden_size": args.hidden_size,
            "rnnclassifier__learning_rate": args.learning_rate,
        }
    defaults = RNNClassifier().get_params()
    fixed = {k: v for k, v in rnn[-1].get_params().items() if v != defaults[k]}
    shown = {k: getattr(v, "__name__", v) for k, v in transformer_params.items()}
    print(f"recurrent ({args.preset}): OneHotSequenceTransformer({shown}) "
          f"-> RNNClassifier({fixed})")
    if grid:
        model, best, cv, fit_time, total, results = search(
            rnn, grid, X_train, y_train, args
        )
    else:
        start = time.perf_counter()
        model = rnn.fit(X_train, y_train)
        fit_time = total = time.perf_counter() - start
        best, cv, results = {}, None, None
    if args.verbose:  # show the refit's epochs by refitting once more
        model[-1].set_params(verbose=True)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
    print_cv_table(results, list(grid))
    clf = model[-1]
    start = time.perf_counter()
    accuracy = model.score(X_test, y_test)
    predict_time = time.perf_counter() - start
    if grid:
        print(f"  best params: {best}" + ("" if cv is None else f", CV accuracy {cv:.4f}"))
    stop = (
        f"best validation accuracy {clf.best_validation_score_:.4f}"
        if clf.validation_scores_ is not None
        else f"final loss {clf.loss_curve_[-1]:.4f}"
    )
    print(
        f"  {'refit' if grid else 'fit'}: {clf.n_iter_} epochs (max_iter={clf.max_iter}), "
        f"{stop}, {model[0].n_token_slots_} token slots"
    )
    if getattr(clf, "pretraining_loss_", None) is not None:
        print("  pretraining: final language-model loss per token "
              + " / ".join(f"{v:.4f}" for v in clf.pretraining_loss_)
              + " (forward / backward)")
    print(f"  {args.scored_on} accuracy: {accuracy:.4f}")
    print(
        f"  {'refit' if grid else 'fit'} time: {fit_time:.1f} s"
        + (f", total search time: {total:.1f} s" if grid else "")
        + f", predicting the {args.scored_on} set: {predict_time:.2f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
