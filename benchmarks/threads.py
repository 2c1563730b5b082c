"""What skrnn's own threads gain: chunked prediction and parallel directions.

skrnn runs two kinds of work in parallel threads, with one BLAS thread each:
chunks of sequences in prediction, and the two directions of a
bidirectional layer in training (see the Speed section of the training
guide). This script times each against the serial path, which leaves the
threads to BLAS, in the same process: the two paths alternate, and each
figure is the best of ``--repeats`` runs. The serial path is selected by
making skrnn see a one-thread BLAS (``skrnn._parallel.blas_threads``), while
BLAS itself keeps its threads.

Prediction: one ``predict_proba`` over the reference workload of
compare_torch.py (5,000 sequences of token ids, lengths 5..40, vocabulary
5,000), one-directional networks after one epoch. Training: one
``partial_fit`` epoch of a bidirectional network with max pooling and
dropout on ``--n-train`` sequences of the same kind.

Run::

    python benchmarks/threads.py                  # about 3 minutes on 2 cores
    python benchmarks/threads.py --repeats 5 --dtype float64
"""

import argparse
import os
import sys
import warnings

import numpy as np

# Measure the skrnn of this checkout, whatever else is installed; the
# workload is compare_torch.py's, from _common (no torch import).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import make_data, print_environment, seconds  # noqa: E402

import skrnn._parallel as parallel_module  # noqa: E402
from skrnn import OneHotSequenceTransformer, RNNClassifier  # noqa: E402

PREDICT = "rnn:32,rnn:512,gru:32,gru:128,lstm:32,lstm:128"
TRAIN = "gru:64,lstm:128,gru:256:256"


BLAS_THREADS = parallel_module.blas_threads


def serial_or_threaded(threaded):
    """Let skrnn use its threads, or make it see a one-thread BLAS."""
    parallel_module.blas_threads = BLAS_THREADS if threaded else (lambda: 1)


def interleaved(run, repeats):
    """Best time of ``run(threaded)`` for each path, the paths alternating."""
    best = {False: np.inf, True: np.inf}
    for _ in range(repeats):
        for threaded in (False, True):
            serial_or_threaded(threaded)
            best[threaded] = min(best[threaded], seconds(lambda: run(threaded)))
    serial_or_threaded(True)
    return best[False], best[True]


def parse(specs):
    """'gru:256:64' -> ('gru', 256, 64): cell, hidden size, embedding size."""
    out = []
    for spec in specs.split(","):
        parts = spec.split(":")
        out.append((parts[0], int(parts[1]), int(parts[2]) if len(parts) > 2 else None))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--predict", default=PREDICT,
                        help=f"cell:hidden,... for prediction (default {PREDICT})")
    parser.add_argument("--train", default=TRAIN,
                        help="cell:hidden[:embedding],... for bidirectional training "
                        f"(default {TRAIN})")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype).type

    print_environment(threads="serial: skrnn sees a one-thread BLAS; threaded: "
                      "skrnn's own threads")
    print(f"best of {args.repeats}, serial and threaded paths alternating; {args.dtype}")

    tokens, y = make_data(args.n_samples, 5000, 5, 40, args.random_state)
    X = OneHotSequenceTransformer(dtype=dtype).fit_transform(tokens)
    print()
    print("| predict_proba | sequences | serial s | threaded s | threaded / serial |")
    print("|---|---|---|---|---|")
    for cell, H, _ in parse(args.predict) if args.predict else []:
        clf = RNNClassifier(cell=cell, hidden_size=H, solver="sgd", learning_rate=0.1,
                            max_iter=1, random_state=args.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.partial_fit(X, y, classes=[0, 1])
        serial, threaded = interleaved(lambda _: clf.predict_proba(X), args.repeats)
        print(f"| {cell} {H} | {len(y)} | {serial:.3f} | {threaded:.3f} | "
              f"{threaded / serial:.2f} |", flush=True)

    X_train, y_train = X[: args.n_train], y[: args.n_train]
    print()
    print("| bidirectional epoch | sequences | serial s | threaded s | threaded / serial |")
    print("|---|---|---|---|---|")
    for cell, H, E in parse(args.train) if args.train else []:
        params = dict(cell=cell, hidden_size=H, embedding_size=E, bidirectional=True,
                      pooling="max", dropout=0.5, input_dropout=0.5,
                      learning_rate=0.002, random_state=args.random_state)
        models = {False: RNNClassifier(**params), True: RNNClassifier(**params)}
        for threaded, model in models.items():  # a first epoch each
            serial_or_threaded(threaded)
            model.partial_fit(X_train, y_train, classes=[0, 1])
        serial_or_threaded(True)
        serial, threaded = interleaved(
            lambda threaded: models[threaded].partial_fit(X_train, y_train), args.repeats
        )
        name = f"{cell} {H}" + (f", embedding {E}" if E else "")
        print(f"| {name} | {len(y_train)} | {serial:.3f} | {threaded:.3f} | "
              f"{threaded / serial:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
