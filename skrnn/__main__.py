"""``python -m skrnn``: bag of words against a recurrent network, side by side.

Cross-validates ``make_pipeline(CountVectorizer(), LogisticRegression())`` and
``make_pipeline(OneHotSequenceTransformer(), RNNClassifier())`` on the same
folds, printing a line per fold, then both mean accuracies. The data are
generated questions and statements that differ only in word order
(`skrnn.datasets.make_questions`), or a tab-separated file given with
``--data`` (columns ``label`` and ``text``).
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from . import OneHotSequenceTransformer, RNNClassifier
from .datasets import load_sentences, make_questions


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=(
            "Cross-validate a bag-of-words model and a recurrent network on "
            "sentences whose label depends on word order (or on your own data)."
        ),
    )
    parser.add_argument(
        "--data", metavar="FILE.tsv",
        help="tab-separated file with 'label' and 'text' columns "
        "(default: generated questions and statements)",
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


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.data:
        texts, labels = load_sentences(args.data)
        source = args.data
    else:
        texts, labels = make_questions(args.n_samples, random_state=args.random_state)
        source = f"make_questions(n_samples={args.n_samples})"
    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels)
    models = {
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
    print(f"{len(texts)} sentences from {source}, {len(np.unique(labels))} classes")
    print(f"{args.folds}-fold cross-validation of:")
    for name, model in models.items():
        steps = " -> ".join(type(step).__name__ for _, step in model.steps)
        print(f"  {name:>12}: {steps}")
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)
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
            line.append(f"{name} {score:.3f} ({time.perf_counter() - start:.1f} s)")
        print(f"fold {k}/{args.folds}: " + ", ".join(line), flush=True)
    print("mean accuracy:")
    for name, values in scores.items():
        print(f"  {name:>12}: {np.mean(values):.3f} +/- {np.std(values):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
