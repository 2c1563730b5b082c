"""
=====================================================
Classifying numeric sequences of different lengths
=====================================================

:class:`~skrnn.RNNClassifier` takes numbers as well as words. Here each
sample is a noisy sawtooth wave of 20 to 80 steps, given as a list of 1-D
arrays of different lengths (a list of 2-D arrays ``(n_steps, n_features)``
works the same way for several numbers per step). In one class each tooth
rises slowly and drops at once; in the other it jumps up at once and falls
slowly. One class is the other played backwards, so both hold the same
values: any summary that ignores the order of the steps (mean, spread,
quantiles, length) is at chance. The difference is in the order.
"""

# %%
# One BLAS thread
# ---------------
# The per-step matrix products of a small recurrent network are tiny; extra
# BLAS threads only wait for each other, which is much slower on a busy
# machine.
import os

from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# The test suite sets SKRNN_EXAMPLE_QUICK=1 to run this example on less data.
QUICK = os.environ.get("SKRNN_EXAMPLE_QUICK") == "1"

# %%
# The data
# --------
import numpy as np


def make_sawtooth(n_samples, random_state):
    """Noisy sawtooth waves; label 'slow rise' or 'fast rise'."""
    rng = np.random.RandomState(random_state)
    X, y = [], []
    for i in range(n_samples):
        length = rng.randint(20, 81)
        period = rng.randint(8, 20)
        phase = rng.randint(period)
        tooth = ((np.arange(length) + phase) % period) / (period - 1)
        label = "slow rise" if i % 2 else "fast rise"
        if label == "fast rise":
            tooth = tooth[::-1]  # the same wave, backwards
        amplitude, offset = rng.uniform(0.5, 2.0), rng.normal(0, 0.1)
        X.append(amplitude * (tooth - 0.5) + offset + rng.normal(0, 0.1, length))
        y.append(label)
    return X, np.array(y)


X, y = make_sawtooth(200 if QUICK else 400, random_state=0)
print(f"{len(X)} sequences, lengths {min(map(len, X))} to {max(map(len, X))}")
print("first sequence:", np.round(X[0][:8], 2), "...", y[0])

# %%
# An order-free baseline
# ----------------------
# A random forest on summary statistics of each sequence: its length, mean,
# standard deviation, minimum, maximum and five quantiles. None of these
# change when a sequence is played backwards.
import warnings

from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score


def summary_statistics(X):
    return np.array(
        [[len(x), x.mean(), x.std(), x.min(), x.max(),
          *np.percentile(x, [10, 25, 50, 75, 90])] for x in X]
    )


folds = StratifiedKFold(3 if QUICK else 5, shuffle=True, random_state=0)
scores = {
    "summary statistics + forest": cross_val_score(
        RandomForestClassifier(random_state=0), summary_statistics(X), y, cv=folds
    )
}

# %%
# Recurrent networks
# ------------------
# The list of arrays goes straight to the classifier: no padding to a common
# length, and no arithmetic is spent on padding in training. We try an
# Elman cell of 16 units with two summaries of the sequence fed to the
# output layer: the final hidden state (``pooling='last'``) and the
# element-wise maximum of the hidden states over all steps (``pooling='max'``,
# the default), which lets a unit flag the jump wherever it happens. On 400
# short sequences the default Adam step (0.002) learns too slowly, so we use
# 0.01; 50 epochs are enough (the loss is still falling slightly when they
# end, so we silence the warning).
from skrnn import RNNClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)
for pooling in ["last", "max"]:
    model = RNNClassifier(
        hidden_size=16, pooling=pooling, learning_rate=0.01, max_iter=50,
        random_state=0,
    )
    scores[f"RNN, pooling='{pooling}'"] = cross_val_score(model, X, y, cv=folds)

for name, values in scores.items():
    print(f"{name:>28}: accuracy {values.mean():.3f} +/- {values.std():.3f} "
          f"(folds: {np.round(values, 3)})")

# %%
# The order-free baseline is at chance, as it must be. The networks read the
# order. With ``pooling='last'`` the final state must carry the direction of
# the last jump to the end of the sequence, and training is less reliable
# from fold to fold; with ``pooling='max'`` the network only has to fire a
# unit at a jump, anywhere.
import matplotlib.pyplot as plt

fig, (ax_data, ax_scores) = plt.subplots(
    1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 2]}
)
lane = 0
for label, color in [("slow rise", "tab:blue"), ("fast rise", "tab:orange")]:
    for k, i in enumerate(np.flatnonzero(y == label)[:3]):
        ax_data.plot(X[i] + 2.5 * lane, color=color, label=label if k == 0 else None)
        lane += 1
ax_data.set_xlabel("step")
ax_data.set_ylabel("value (shifted by 2.5 per sequence)")
ax_data.set_yticks([])
ax_data.set_ylim(-1.5, 2.5 * lane + 1.5)
ax_data.set_title("three sequences of each class")
ax_data.legend(loc="upper right", framealpha=1)

names = list(scores)
means = [scores[name].mean() for name in names]
ax_scores.barh(
    names, means, xerr=[scores[name].std() for name in names],
    color=["gray", "tab:green", "tab:green"],
)
for k, mean in enumerate(means):
    ax_scores.text(0.02, k, f"{mean:.2f}", va="center", color="white")
ax_scores.axvline(0.5, color="black", linestyle="--", linewidth=1)
ax_scores.set_xlim(0, 1)
ax_scores.invert_yaxis()
ax_scores.set_xlabel(f"{folds.get_n_splits()}-fold CV accuracy")
ax_scores.set_title("order-free summary vs recurrent network")
fig.tight_layout()
plt.show()
