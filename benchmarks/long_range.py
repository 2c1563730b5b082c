"""Long-range memory: which of two marker words came first, 30-60 words back.

`skrnn.datasets.make_marker_order` sentences (the task of
``tests/test_long_range.py``): a bag-of-words pipeline
(``CountVectorizer`` + ``LogisticRegression``) against
``make_pipeline(OneHotSequenceTransformer(), RNNClassifier(cell=...))`` for
each cell, scored by 5-fold stratified cross-validation. Prints the mean and
per-fold accuracy and the time of the 5 folds. About 30 seconds::

    python benchmarks/long_range.py
    python benchmarks/long_range.py --min-length 100 --max-length 150
"""

import argparse
import json
import sys
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_marker_order

# The settings of tests/test_long_range.py.
PARAMS = {"hidden_size": 16, "learning_rate": 0.01, "batch_size": 32,
          "early_stopping": True, "random_state": 0}


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--min-length", type=int, default=30)
    parser.add_argument("--max-length", type=int, default=60)
    parser.add_argument("--cells", default="rnn,gru,lstm")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--params", type=json.loads, default={}, metavar="JSON",
                        help=f"RNNClassifier parameters over {json.dumps(PARAMS)}")
    return parser


def report(name, model, X, y, folds):
    start = time.perf_counter()
    scores = cross_val_score(model, X, y, cv=folds)
    seconds = time.perf_counter() - start
    per_fold = " ".join(f"{s:.3f}" for s in scores)
    print(f"| {name} | {scores.mean():.3f} | {per_fold} | {seconds:.0f} s |", flush=True)


def main(argv=None):
    args = build_parser().parse_args(argv)
    X, y = make_marker_order(args.n_samples, min_length=args.min_length,
                             max_length=args.max_length, random_state=0)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    params = {**PARAMS, **args.params}
    print(f"{args.n_samples} sentences of {args.min_length}-{args.max_length} words, "
          f"{args.folds}-fold stratified CV; RNNClassifier({params})")
    print()
    print("| model | mean accuracy | per fold | time |")
    print("| --- | --- | --- | --- |")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    report("CountVectorizer + LogisticRegression",
           make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000)),
           X, y, folds)
    for cell in args.cells.split(","):
        model = make_pipeline(OneHotSequenceTransformer(),
                              RNNClassifier(cell=cell, **params))
        report(f"cell={cell!r}", model, X, y, folds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
