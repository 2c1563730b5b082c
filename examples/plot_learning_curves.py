"""
=========================================
Learning curves and early stopping
=========================================

A fitted :class:`~skrnn.RNNClassifier` keeps the training loss of every epoch
in ``loss_curve_``; with ``early_stopping=True`` it also holds out part of the
training data and keeps its accuracy after every epoch in
``validation_scores_``. Training stops once that accuracy has not improved by
``tol`` for more than ``n_iter_no_change`` epochs in a row, and the weights of
the best epoch are kept.

We plot both curves for three Adam step sizes on
:func:`skrnn.datasets.make_questions`, and see how early stopping can stop
too early when learning is slow.
"""

# %%
# One BLAS thread
# ---------------
# The per-step matrix products of a small recurrent network are tiny; extra
# BLAS threads only wait for each other, which is much slower on a busy
# machine.
from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# %%
# Three fits
# ----------
# 800 sentences for training (of which ``validation_fraction=0.2``, 160, are
# held out for early stopping) and 200 for a final test. Every setting of
# early stopping is spelled out, so the curves below do not depend on
# defaults.
import numpy as np
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_questions

sentences, y = make_questions(1000, random_state=0)
X_train, y_train = sentences[:800], y[:800]
X_test, y_test = sentences[800:], y[800:]

learning_rates = [0.001, 0.01, 0.1]
models = {}
for learning_rate in learning_rates:
    model = make_pipeline(
        OneHotSequenceTransformer(),
        RNNClassifier(
            hidden_size=16, learning_rate=learning_rate, max_iter=200,
            early_stopping=True, validation_fraction=0.2, n_iter_no_change=10,
            tol=1e-4, random_state=0,
        ),
    ).fit(X_train, y_train)
    models[learning_rate] = model
    clf = model[-1]
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    print(
        f"learning_rate={learning_rate:<5}: {clf.n_iter_:3d} epochs, best "
        f"validation accuracy {clf.best_validation_score_:.3f} at epoch "
        f"{best_epoch}, test accuracy {model.score(X_test, y_test):.3f}"
    )

# %%
# The curves
# ----------
import matplotlib.pyplot as plt

fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
for learning_rate, model in models.items():
    clf = model[-1]
    epochs = np.arange(1, clf.n_iter_ + 1)
    (line,) = ax_loss.plot(epochs, clf.loss_curve_, label=f"{learning_rate}")
    ax_score.plot(epochs, clf.validation_scores_, color=line.get_color(),
                  label=f"{learning_rate}")
    best = int(np.argmax(clf.validation_scores_))
    ax_score.plot(best + 1, clf.validation_scores_[best], marker="o",
                  color=line.get_color())
ax_loss.set_yscale("log")
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss (cross-entropy)")
ax_loss.set_title("loss_curve_")
ax_loss.legend(title="learning_rate")
ax_score.axhline(0.5, color="gray", linestyle="--", linewidth=1)
ax_score.set_xlabel("epoch")
ax_score.set_ylabel("accuracy on the held-out 20%")
ax_score.set_title("validation_scores_ (dot: best epoch, kept)")
ax_score.legend(title="learning_rate", loc="lower right")
fig.tight_layout()
plt.show()

# %%
# With the smallest step, ``learning_rate=0.001`` (Adam's usual default; half
# of RNNClassifier's), the loss falls slowly and the validation accuracy
# reaches its best several times later than with 0.01; had it stayed flat
# for more than ``n_iter_no_change=10`` epochs in a row on the way, early
# stopping would have ended training before the network learned anything.
# Larger steps learn the task within a few epochs and stop once the
# validation accuracy has reached its plateau; the largest, 0.1, is the
# least steady.
#
# So on a small problem either raise ``learning_rate`` or give early stopping
# more patience (a larger ``n_iter_no_change``). A larger learning rate is
# not free: too large a step makes training unstable, and on large data sets
# a smaller one is the safer start. The loss curve of a fit without early
# stopping, in ``loss_curve_`` as well, shows the same slow start; there
# training runs until the *training loss* stops improving by ``tol``.
