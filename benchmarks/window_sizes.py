"""Fit time of the documented time-series configuration against the window size.

The claim measured: the time-series configuration stays fast because
`SequenceWindows` shortens the sequences; at window sizes from 1 to 32 the fit
time falls roughly with the number of steps the recurrent network runs.

The model is the documented time-series classifier,
`skrnn._presets.time_series_classifier`: ``SequenceScaler() ->
SequenceWindows(n_windows=12) -> RNNClassifier(cell='gru',
bidirectional=True, pooling='max', learning_rate=0.005, batch_size=32,
max_iter=150, n_iter_no_change=150, average=0.5)`` (before issue 28:
``learning_rate=0.003, max_iter=300``, no averaging; RESULTS.md's figures
for this script were measured with that one), with the windowing step set to a fixed ``size`` from
``--sizes`` instead of ``n_windows`` (``set_params(sequencewindows__size=s,
sequencewindows__n_windows=None)``). A window of ``s`` steps turns ``s``
steps of ``c`` channels into one step of ``s * c`` values, so a series of
``L`` steps becomes ``L // s`` steps (the steps after the last whole window
are dropped). Every size trains exactly ``--epochs`` epochs
(``max_iter=epochs, n_iter_no_change=epochs + 1``: the loss-based stop never
fires, and the ConvergenceWarning is silenced), so the times compare the same
work per epoch.

Data: ``--set`` (default GunPoint: 50 / 150 series of 150 steps, 1 channel)
of ``../shared/data/ts`` relative to the repository root (``--data-dir``
overrides), read with `skrnn.datasets.load_sequences`, on its official
train/test split. Without the files the script generates series instead (a
noisy sawtooth wave that rises slowly or fast, `make_series`; ``--n-samples``
training and as many test series of ``--length`` steps), and says so.

For each size, ``fit`` of the whole pipeline is timed, best of ``--repeats``
(the sizes alternate within each repeat, after one untimed epoch of the first
size), with ``--blas-threads`` BLAS threads (threadpoolctl). Prints the command and
machine, then a Markdown table: size, mean steps per training sequence after
windowing, features per step, fit seconds, seconds per epoch, the ratios of
the time and of the steps to the first size's, and the test accuracy of the
last fit (what a size costs in accuracy at this fixed number of epochs, not a
tuned score). About 20 s on GunPoint with the defaults (19 s on 2026-12-03).
Run::

    python benchmarks/window_sizes.py                  # sizes 1..32, 20 epochs, best of 3
    python benchmarks/window_sizes.py --set BasicMotions --sizes 1,4,16 --epochs 10
    python benchmarks/window_sizes.py --sizes 4,16 --epochs 2 --repeats 1   # a smoke run
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

# Measure the skrnn of this checkout, whatever else is installed; _common
# beside this file.
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _common import SHARED_DATA, ints, print_environment, seconds  # noqa: E402

from skrnn._presets import time_series_classifier  # noqa: E402
from skrnn.datasets import load_sequences  # noqa: E402

DATA = SHARED_DATA / "ts"


def make_series(n_samples, length, random_state):
    """``n_samples`` univariate series of ``length`` steps, (length, 1) each,
    and labels: a noisy sawtooth wave (random period, phase, amplitude and
    offset) that rises slowly and drops ('slow rise') or the same wave
    backwards ('fast rise'), the classes alternating. Only the order of the
    steps tells them apart."""
    rng = np.random.RandomState(random_state)
    X, y = [], []
    for i in range(n_samples):
        period = rng.randint(8, 20)
        tooth = ((np.arange(length) + rng.randint(period)) % period) / (period - 1)
        label = "slow rise" if i % 2 else "fast rise"
        if label == "fast rise":
            tooth = tooth[::-1]
        x = rng.uniform(0.5, 2.0) * (tooth - 0.5) + rng.normal(0, 0.1)
        X.append((x + rng.normal(0, 0.1, length)).reshape(length, 1))
        y.append(label)
    return X, np.array(y)


def load_data(args):
    """``X_train, y_train, X_test, y_test`` and a description of the data."""
    train = args.data_dir / f"{args.set}_TRAIN.tsv"
    test = args.data_dir / f"{args.set}_TEST.tsv"
    if train.is_file() and test.is_file():
        X_train, y_train = load_sequences(train)
        X_test, y_test = load_sequences(test)
        source = f"{args.set} ({args.data_dir})"
    else:
        X_train, y_train = make_series(args.n_samples, args.length, args.random_state)
        X_test, y_test = make_series(args.n_samples, args.length, args.random_state + 1)
        source = (f"generated sawtooth series ({train} not found; make_series, "
                  f"random_state {args.random_state})")
    return X_train, y_train, X_test, y_test, source


def model_for(size, epochs, random_state):
    """The documented time-series classifier with windows of ``size`` steps,
    trained exactly ``epochs`` epochs."""
    model = time_series_classifier(random_state=random_state)
    model.set_params(
        sequencewindows__size=size, sequencewindows__n_windows=None,
        rnnclassifier__max_iter=epochs, rnnclassifier__n_iter_no_change=epochs + 1,
    )
    return model


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=ints,
                        default=[1, 2, 4, 8, 16, 32], metavar="S[,S...]",
                        help="SequenceWindows sizes (default: 1,2,4,8,16,32)")
    parser.add_argument("--epochs", type=int, default=20,
                        help="epochs every size trains (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed fits per size, the best kept "
                        "(default: %(default)s)")
    parser.add_argument("--set", default="GunPoint",
                        help="<set>_TRAIN.tsv and <set>_TEST.tsv "
                        "(default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=DATA,
                        help="folder of the sets (default: %(default)s); without "
                        "the files, generated series")
    parser.add_argument("--n-samples", type=int, default=200,
                        help="generated series per split (default: %(default)s)")
    parser.add_argument("--length", type=int, default=150,
                        help="steps per generated series (default: %(default)s)")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads, threadpoolctl (default: %(default)s)")
    parser.add_argument("--random-state", type=int, default=0)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        print_environment(threads=f"{args.blas_threads} BLAS thread(s)")
        X_train, y_train, X_test, y_test, source = load_data(args)
        lengths = [len(x) for x in X_train]
        print(f"data: {source}: {len(X_train)} training / {len(X_test)} test "
              f"series, {X_train[0].shape[1]} channel(s), {min(lengths)}-"
              f"{max(lengths)} training steps, {len(np.unique(y_train))} classes")
        print(f"model: skrnn._presets.time_series_classifier with "
              f"SequenceWindows(size=s), {args.epochs} epochs each, best of "
              f"{args.repeats}; {args.blas_threads} BLAS thread(s)")
        sizes = [s for s in args.sizes if s <= max(lengths)]
        if len(sizes) < len(args.sizes):
            print(f"skipped: size(s) {sorted(set(args.sizes) - set(sizes))} longer "
                  f"than every training series ({max(lengths)} steps)")
        print()

        best = dict.fromkeys(sizes, np.inf)
        fitted = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # untimed: the process's first fit pays for imports and allocations
            model_for(sizes[0], 1, args.random_state).fit(X_train, y_train)
            for _ in range(args.repeats):
                for size in sizes:  # alternating, so that load spreads over all
                    model = model_for(size, args.epochs, args.random_state)
                    elapsed = seconds(lambda: model.fit(X_train, y_train))
                    best[size] = min(best[size], elapsed)
                    fitted[size] = model
                    print(f"  size {size:>3}: fit {best[size]:.3f} s (best so far), "
                          f"{model[-1].n_iter_} epochs", flush=True)
        print()

        first = sizes[0]
        rows = []
        for size in sizes:
            windowed = fitted[size][:-1].transform(X_train)  # scaler, windows
            steps = np.mean([len(x) for x in windowed])
            features = np.asarray(windowed[0]).shape[1]
            accuracy = 100 * fitted[size].score(X_test, y_test)
            rows.append((size, steps, features, best[size], accuracy))
    print(f"| size | steps per sequence | features per step | fit s | s per epoch "
          f"| time / size {first} | steps / size {first} | test accuracy % |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, steps, features, fit_time, accuracy in rows:
        print(f"| {size} | {steps:.1f} | {features} | {fit_time:.3f} | "
              f"{fit_time / args.epochs:.4f} | {fit_time / rows[0][3]:.3f} | "
              f"{steps / rows[0][1]:.3f} | {accuracy:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
