"""
=====================================================
Regressing a quantity that only the order reveals
=====================================================

:class:`~skrnn.RNNRegressor` predicts numbers from sequences. Here each
sample is a noisy series of 30 to 60 steps holding two events: a jump up
(+2) and a jump down (-2) at two random steps. The target is the number of
steps from the jump up to the jump down, negative when the jump down comes
first. Every series holds the same kind of values: noise, one +2 and one -2.
Any summary that ignores the order of the steps (mean, spread, quantiles,
sorted values, length) says nothing about the lag; the order says it all.
"""

# %%
# One BLAS thread
# ---------------
# The per-step matrix products of a small recurrent network are tiny; extra
# BLAS threads only wait for each other.
import os

from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# The test suite sets SKRNN_EXAMPLE_QUICK=1 to run this example on less data.
QUICK = os.environ.get("SKRNN_EXAMPLE_QUICK") == "1"

# %%
# The data
# --------
import numpy as np


def make_lags(n_samples, random_state, max_lag=20, noise=0.3):
    """Noisy series with a jump up and a jump down; y is the signed lag.

    Also returns the steps of the two jumps, in order of time."""
    rng = np.random.RandomState(random_state)
    X, y, events = [], [], []
    for _ in range(n_samples):
        length = rng.randint(30, 61)
        lag = rng.randint(1, max_lag + 1)
        first = rng.randint(0, length - lag)
        sign = rng.choice([-1, 1])  # +1: the jump up comes first
        x = rng.normal(0, noise, size=length)
        x[first] += 2 * sign
        x[first + lag] -= 2 * sign
        X.append(x)
        y.append(sign * lag)
        events.append((first, first + lag))
    return X, np.array(y, dtype=float), events


X_train, y_train, _ = make_lags(600 if QUICK else 1000, random_state=0)
X_test, y_test, test_events = make_lags(300, random_state=1)
print(f"{len(X_train)} training and {len(X_test)} test series, lengths "
      f"{min(map(len, X_train))} to {max(map(len, X_train))}; "
      f"lags from {y_train.min():.0f} to {y_train.max():.0f}")

# %%
# An order-free baseline
# ----------------------
# Ridge regression on summary statistics of each series: its length, mean,
# standard deviation, the quantiles, and the five smallest and largest
# values. None of these change when the steps are shuffled.
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def summary_statistics(X):
    return np.array([
        [len(x), x.mean(), x.std(), *np.percentile(x, [10, 25, 50, 75, 90]),
         *np.sort(x)[:5], *np.sort(x)[-5:]]
        for x in X
    ])


baseline = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
baseline.fit(summary_statistics(X_train), y_train)
baseline_prediction = baseline.predict(summary_statistics(X_test))
print(f"order-free baseline: test R² = {r2_score(y_test, baseline_prediction):.3f}")

# %%
# The recurrent regressor
# -----------------------
# A GRU reads the series step by step and can count the steps between the
# two jumps. The lags run from -20 to 20; ``TransformedTargetRegressor``
# standardises them for training and maps the predictions back, since a
# network whose outputs start near 0 learns targets of unit scale best.
import warnings

from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNRegressor

model = TransformedTargetRegressor(
    regressor=RNNRegressor(cell="gru", hidden_size=16, batch_size=32,
                           max_iter=30, random_state=0),
    transformer=StandardScaler(),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    model.fit(X_train, y_train)  # a list of 1-D arrays of different lengths
rnn_prediction = model.predict(X_test)
print(f"RNNRegressor:        test R² = {r2_score(y_test, rnn_prediction):.3f}")

# %%
# Predictions against the truth
# -----------------------------
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, prediction, title in zip(
    axes, [baseline_prediction, rnn_prediction], ["order-free baseline", "RNNRegressor"]
):
    ax.scatter(y_test, prediction, s=8, alpha=0.6)
    ax.plot([-20, 20], [-20, 20], color="black", linewidth=1)
    ax.set_title(f"{title}: R² = {r2_score(y_test, prediction):.2f}")
    ax.set_xlabel("true lag (steps)")
axes[0].set_ylabel("predicted lag")
fig.tight_layout()

# %%
# What the network counts
# -----------------------
# :func:`~skrnn.inspection.token_influence` measures, for each step, how much
# the prediction moves when that step is removed (``method='occlusion'``).
# It reads the regressor itself, which predicts the standardised lag, so the
# influence is multiplied by the scaler's ``scale_`` to be in steps. Removing
# a step between the two jumps shortens the lag by one: each of those steps
# should move the prediction by about 1 towards 0, the jumps themselves by
# the whole lag, and the steps outside them hardly at all.
from skrnn.inspection import token_influence

scale = model.transformer_.scale_[0]
influence = [a[:, 0] * scale for a in token_influence(model.regressor_, X_test)]
between, outside = [], []
for effect, lag, (first, second) in zip(influence, y_test, test_events):
    between.extend(effect[first + 1 : second] * np.sign(lag))
    outside.extend(np.r_[effect[:first], effect[second + 1 :]])
print(f"influence of a step between the jumps, towards 0: {np.mean(between):.2f} "
      f"(+/- {np.std(between):.2f}); of a step outside them: "
      f"{np.mean(outside):.2f} (+/- {np.std(outside):.2f})")

fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
for ax, x, effect, lag, events in zip(
    axes, X_test, influence, y_test, test_events
):
    ax.bar(np.arange(len(x)), effect, color="tab:red", alpha=0.6,
           label="influence (steps)")
    ax.plot(x, color="black", linewidth=1, label="series")
    ax.set_ylim(-3, 3)  # the jumps' own influence (the whole lag) is clipped
    ax.set_title(f"jumps at steps {events[0]} and {events[1]}: true lag "
                 f"{lag:.0f}, predicted {model.predict([x])[0]:.1f}", fontsize=10)
axes[0].legend(loc="upper right", fontsize=8)
axes[-1].set_xlabel("step")
fig.tight_layout()
plt.show()
