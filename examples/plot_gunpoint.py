"""
==================================================
A time-series set: GunPoint against 1-NN and stats
==================================================

GunPoint (UCR archive) records the x position of an actor's hand, 150 steps
per series: drawing a gun from a holster and pointing it, or pointing with
the bare hand. We fit the documented time-series configuration,
:class:`skrnn.SequenceScaler` -> :class:`skrnn.SequenceWindows` ->
:class:`skrnn.RNNClassifier`, on its official 50 training series, score it
on the 150 test series beside two baselines, and look at the hidden states
of one series of each class.

The data are read from the directory named by ``SKRNN_TS_DIR`` (files
``GunPoint_TRAIN.tsv`` and ``GunPoint_TEST.tsv``, read with
:func:`skrnn.datasets.load_sequences`), or else from ``../shared/data/ts``
next to the repository. When neither exists, the example says so and runs on
generated series whose class is where a bump comes.
"""

# %%
# One BLAS thread, and the data
# -----------------------------
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skrnn.datasets import load_sequences

threadpool_limits(1, user_api="blas")
# The test suite sets SKRNN_EXAMPLE_QUICK=1 to run this example on less.
QUICK = os.environ.get("SKRNN_EXAMPLE_QUICK") == "1"
if QUICK:  # fewer epochs than the configuration's stop rule wants
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

if os.environ.get("SKRNN_TS_DIR"):
    candidates = [Path(os.environ["SKRNN_TS_DIR"])]
else:
    candidates = [Path("..", "shared", "data", "ts"),
                  Path("..", "..", "shared", "data", "ts")]
ts_dir = next(
    (path for path in candidates if (path / "GunPoint_TRAIN.tsv").is_file()), None
)
if ts_dir is not None:
    X_train, y_train = load_sequences(ts_dir / "GunPoint_TRAIN.tsv")
    X_test, y_test = load_sequences(ts_dir / "GunPoint_TEST.tsv")
    print(f"GunPoint from {ts_dir}: {len(X_train)} training and {len(X_test)} "
          "test series")
else:
    print("GunPoint not found (tried " + ", ".join(map(str, candidates))
          + "); generated series whose class is where a bump comes instead")
    rng = np.random.RandomState(0)

    def bumps(n):
        X, y = [], []
        for i in range(n):
            x = np.cumsum(rng.normal(scale=0.05, size=150))[:, np.newaxis]
            start = 30 if i % 2 else 90
            x[start:start + 20] += 1.5
            X.append(x)
            y.append(str(1 + i % 2))
        return X, np.array(y)

    X_train, y_train = bumps(50)
    X_test, y_test = bumps(150)

# %%
# The documented configuration and two baselines
# ----------------------------------------------
# The recurrent pipeline reads each series as about 12 windows of its scaled
# values, both ways, with a GRU. The baselines: 1-nearest neighbour on the
# raw series (Euclidean: it sees order, but not shifts in time), and a random
# forest on per-series summary statistics (blind to order).
import time

from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skrnn import RNNClassifier, SequenceScaler, SequenceWindows


def summary_statistics(X):
    return np.array([np.r_[x.mean(0), x.std(0), x.min(0), x.max(0),
                           np.percentile(x, [25, 50, 75], axis=0).ravel()]
                     for x in X])


def stacked(X):
    return np.array([x.ravel() for x in X])


models = {
    "recurrent (documented)": make_pipeline(
        SequenceScaler(),
        SequenceWindows(n_windows=12),
        RNNClassifier(cell="gru", bidirectional=True, pooling="max",
                      learning_rate=0.005, batch_size=32,
                      max_iter=60 if QUICK else 150,
                      n_iter_no_change=60 if QUICK else 150, average=0.5,
                      random_state=0),
    ),
    "1-NN, Euclidean": make_pipeline(FunctionTransformer(stacked),
                                     KNeighborsClassifier(1)),
    "summary statistics + forest": make_pipeline(
        FunctionTransformer(summary_statistics),
        RandomForestClassifier(random_state=0),
    ),
}
for name, model in models.items():
    start = time.time()
    model.fit(X_train, y_train)
    print(f"{name:>28}: test accuracy {model.score(X_test, y_test):.3f} "
          f"(fit {time.time() - start:.1f} s)")

# %%
# Hidden states of one series of each class
# -----------------------------------------
# The rows are the windows (time), the columns the hidden units of both
# directions. The two classes light up different units at different times.
import matplotlib.pyplot as plt

from skrnn.inspection import HiddenStateDisplay

recurrent = models["recurrent (documented)"]
classes = np.unique(y_train)
fig, axes = plt.subplots(1, 3, figsize=(13, 4),
                         gridspec_kw={"width_ratios": [1.2, 1, 1]})
for label in classes:
    series = X_test[int(np.flatnonzero(y_test == label)[0])]
    axes[0].plot(series[:, 0], label=f"class {label}")
axes[0].set(title="one test series of each class", xlabel="step")
axes[0].legend()
for ax, label in zip(axes[1:], classes):
    series = X_test[int(np.flatnonzero(y_test == label)[0])]
    HiddenStateDisplay.from_estimator(recurrent, [series], ax=ax, colorbar=False)
    ax.set_title(f"hidden states, class {label}")
fig.tight_layout()
plt.show()
