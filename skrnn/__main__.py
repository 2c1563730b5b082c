"""``python -m skrnn``: bag of words against a recurrent network, side by side.

Cross-validates ``make_pipeline(CountVectorizer(), LogisticRegression())`` and
``make_pipeline(OneHotSequenceTransformer(), RNNClassifier())`` on the same
folds, printing a line per fold, then both mean accuracies. The data are
generated questions and statements that differ only in word order
(`skrnn.datasets.make_questions`), or a tab-separated file given with
``--data`` (columns ``label`` and ``text``).

Regression (``--task regression``, or detected when the ``label`` column of
``--data`` holds numbers that are not a few class codes, which the first
line of output then says): ``make_pipeline(CountVectorizer(), RidgeCV())``
against ``make_pipeline(OneHotSequenceTransformer(), RNNRegressor())``
inside a ``TransformedTargetRegressor`` that standardises the target, on
the same folds, printing R² per fold. Without ``--data`` the generated
sentences hold the words "red" and "blue" among filler words, and the
target is how many words after "red" "blue" comes (negative when it comes
first): only word order tells.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from . import OneHotSequenceTransformer, RNNClassifier, RNNRegressor
from .datasets import load_sentences, make_questions

# A numeric label column is taken for a regression target when its values
# are not whole numbers, or when there are more than this many of them;
# otherwise (say, star ratings 1 to 5) for class codes.
MAX_CLASS_CODES = 20

FILLER_WORDS = (
    "the a of and to in is it that was he for on are with as his they be at "
    "one have this from or had by not but some what there we can out other"
).split()


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=(
            "Cross-validate a bag-of-words model and a recurrent network on "
            "sentences whose label depends on word order (or on your own data; "
            "a numeric label is a regression target)."
        ),
    )
    parser.add_argument(
        "--data", metavar="FILE.tsv",
        help="tab-separated file with 'label' and 'text' columns "
        "(default: generated questions and statements)",
    )
    parser.add_argument(
        "--task", choices=["auto", "classification", "regression"], default="auto",
        help="'auto' (the default): regression when the label column holds "
        f"numbers that are not whole, or more than {MAX_CLASS_CODES} distinct "
        "whole numbers, else classification; without --data, classification "
        "of generated questions, and 'regression' generates sentences whose "
        "target is the distance from 'red' to 'blue'",
    )
    parser.add_argument("--n-samples", type=int, default=1000,
                        help="generated sentences (default: 1000)")
    parser.add_argument("--folds", type=int, default=5, help="CV folds (default: 5)")
    parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn",
                        help="recurrent cell (default: rnn)")
    parser.add_argument("--hidden-size", type=int, default=64,
                        help="hidden units (default: 64)")
    parser.add_argument("--random-state", type=int, default=0)
    return parser


def numeric_labels(labels):
    """The labels as float64, or None when one of them is not a number."""
    try:
        values = np.asarray(labels, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


def choose_task(requested, labels, source):
    """``(task, reason)``: the task to run and, for regression, why (the
    first line of output)."""
    if requested == "classification":
        return "classification", None
    values = numeric_labels(labels)
    if requested == "regression":
        if values is None:
            raise SystemExit(
                f"--task regression needs numeric labels, but the label column "
                f"of {source} holds text (e.g. {labels[0]!r}); leave out "
                "--task regression to classify."
            )
        return "regression", "as --task regression asks"
    if values is None:
        return "classification", None
    distinct = len(np.unique(values))
    whole = bool(np.all(values == np.round(values)))
    if whole and distinct <= MAX_CLASS_CODES:
        return "classification", None
    what = "not all whole" if not whole else f"more than {MAX_CLASS_CODES}"
    return "regression", (
        f"detected, the label column is numeric with {distinct} distinct "
        f"values, {what} (--task classification classifies instead)"
    )


def make_marker_distances(n_samples, random_state=None):
    """Sentences of filler words holding "red" and "blue" once each; the
    target is the position of "blue" minus that of "red"."""
    rng = check_random_state(random_state)
    texts, targets = [], np.empty(n_samples)
    for i in range(n_samples):
        words = list(rng.choice(FILLER_WORDS, size=rng.randint(6, 17)))
        red, blue = rng.choice(len(words) + 2, size=2, replace=False)
        for position, marker in sorted([(red, "red"), (blue, "blue")]):
            words.insert(position, marker)
        texts.append(" ".join(words))
        targets[i] = words.index("blue") - words.index("red")
    return texts, targets


def describe(model):
    """``A -> B -> C`` for a pipeline, with a target transformer in front."""
    if isinstance(model, TransformedTargetRegressor):
        target = type(model.transformer).__name__
        return f"{describe(model.regressor)} (target standardised by {target})"
    return " -> ".join(type(step).__name__ for _, step in model.steps)


def build_models(task, args):
    if task == "regression":
        return {
            "bag of words": make_pipeline(CountVectorizer(), RidgeCV()),
            "recurrent": TransformedTargetRegressor(
                regressor=make_pipeline(
                    OneHotSequenceTransformer(),
                    RNNRegressor(
                        cell=args.cell,
                        hidden_size=args.hidden_size,
                        random_state=args.random_state,
                    ),
                ),
                transformer=StandardScaler(),
            ),
        }
    return {
        "bag of words": make_pipeline(
            CountVectorizer(), LogisticRegression(max_iter=1000)
        ),
        "recurrent": make_pipeline(
            OneHotSequenceTransformer(),
            RNNClassifier(
                cell=args.cell,
                hidden_size=args.hidden_size,
                random_state=args.random_state,
            ),
        ),
    }


def main(argv=None):
    args = build_parser().parse_args(argv)
    reason = None
    if args.data:
        texts, labels = load_sentences(args.data)
        source = args.data
        task, reason = choose_task(args.task, labels, source)
    elif args.task == "regression":
        texts, labels = make_marker_distances(
            args.n_samples, random_state=args.random_state
        )
        source = f"generated red/blue distances (n_samples={args.n_samples})"
        task, reason = "regression", "as --task regression asks"
    else:
        texts, labels = make_questions(args.n_samples, random_state=args.random_state)
        source = f"make_questions(n_samples={args.n_samples})"
        task = "classification"
    texts = np.asarray(texts, dtype=object)
    if task == "regression":
        labels = numeric_labels(labels)
        print(f"Regression: {reason}.")
        print(f"{len(texts)} sentences from {source}, targets from "
              f"{labels.min():g} to {labels.max():g}")
        folds = KFold(args.folds, shuffle=True, random_state=args.random_state)
        metric, label = "R²", "mean R²"
    else:
        labels = np.asarray(labels)
        print(f"{len(texts)} sentences from {source}, "
              f"{len(np.unique(labels))} classes")
        folds = StratifiedKFold(
            args.folds, shuffle=True, random_state=args.random_state
        )
        metric, label = "", "mean accuracy"
    models = build_models(task, args)
    print(f"{args.folds}-fold cross-validation of:")
    for name, model in models.items():
        print(f"  {name:>12}: {describe(model)}")
    scores = {name: [] for name in models}
    for k, (train, test) in enumerate(folds.split(texts, labels), start=1):
        line = []
        for name, model in models.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted = clone(model).fit(list(texts[train]), labels[train])
            score = fitted.score(list(texts[test]), labels[test])
            scores[name].append(score)
            shown = f"{metric} {score:.3f}" if metric else f"{score:.3f}"
            line.append(f"{name} {shown} ({time.perf_counter() - start:.1f} s)")
        print(f"fold {k}/{args.folds}: " + ", ".join(line), flush=True)
    print(f"{label}:")
    for name, values in scores.items():
        print(f"  {name:>12}: {np.mean(values):.3f} +/- {np.std(values):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
