"""
=====================================================
Which words decide? Token influence on TREC questions
=====================================================

The TREC question set (Li and Roth, 2002) labels each question by the kind of
answer it asks for: a person (HUM), a place (LOC), a number (NUM), an entity
(ENTY), a description (DESC) or an abbreviation (ABBR). We train a GRU network
on it and ask, with :func:`skrnn.inspection.token_influence`, how much each
word of a question moves the predicted probabilities.

The data are read from the directory named by the environment variable
``SKRNN_TREC_DIR`` (files ``train.tsv`` and ``test.tsv``, with ``label`` and
``text`` columns, read with :func:`skrnn.datasets.load_sentences`), or else
from ``../shared/data/trec`` next to the repository. When neither exists, the
example says so and runs on generated questions and statements
(:func:`skrnn.datasets.make_questions`) instead.
"""

# %%
# One BLAS thread
# ---------------
# The per-step matrix products of a recurrent network are small; extra BLAS
# threads only wait for each other, which is much slower on a busy machine.
import os

from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# The test suite sets SKRNN_EXAMPLE_QUICK=1 to run this example on less data.
QUICK = os.environ.get("SKRNN_EXAMPLE_QUICK") == "1"

# %%
# The data
# --------
# The default location is tried relative to the repository root (running
# ``python examples/plot_trec_influence.py``) and relative to ``examples/``
# (where the documentation build runs the examples).
from pathlib import Path

import numpy as np

from skrnn.datasets import load_sentences, make_questions

if os.environ.get("SKRNN_TREC_DIR"):
    candidates = [Path(os.environ["SKRNN_TREC_DIR"])]
else:
    candidates = [Path("..", "shared", "data", "trec"),
                  Path("..", "..", "shared", "data", "trec")]
trec_dir = next(
    (path for path in candidates if (path / "train.tsv").is_file()
     and (path / "test.tsv").is_file()),
    None,
)
if trec_dir is not None:
    X_train, y_train = load_sentences(trec_dir / "train.tsv")
    X_test, y_test = load_sentences(trec_dir / "test.tsv")
    print(f"TREC from {trec_dir}: {len(X_train)} training and {len(X_test)} "
          "test questions")
else:
    print("TREC not found (tried "
          + ", ".join(str(path) for path in candidates)
          + "); set SKRNN_TREC_DIR to its directory. Using generated questions "
          "and statements from make_questions instead.")
    sentences, labels = make_questions(1500, random_state=0)
    X_train, y_train = sentences[:1000], labels[:1000]
    X_test, y_test = sentences[1000:], labels[1000:]
if QUICK:
    X_train, y_train = X_train[:1500], y_train[:1500]
classes, counts = np.unique(y_train, return_counts=True)
print("training classes:", dict(zip(classes.tolist(), counts.tolist())))
for text, label in zip(X_train[:4], y_train[:4]):
    print(f"{label:9} {text}")

# %%
# Two models
# ----------
# A linear baseline, a linear support vector machine on TF-IDF weighted words
# and word pairs, and a GRU network of 32 units reading the words in order.
# Words seen only once in training go to the out-of-vocabulary slot
# (``min_frequency=2``). The network trains in minibatches of 32 with an Adam
# step of 0.005 (the default 0.002 needs more epochs), and stops early
# when the accuracy on a held-out 10% of the training set has not improved
# for 3 epochs, keeping the best weights.
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from skrnn import OneHotSequenceTransformer, RNNClassifier

linear = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LinearSVC())
recurrent = make_pipeline(
    OneHotSequenceTransformer(min_frequency=2),
    RNNClassifier(
        hidden_size=32, cell="gru", learning_rate=0.005, batch_size=32,
        max_iter=6 if QUICK else 15, early_stopping=True, n_iter_no_change=3,
        random_state=0,
    ),
)
for name, model in [("linear", linear), ("GRU", recurrent)]:
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"{name:>6}: test accuracy {model.score(X_test, y_test):.3f} "
          f"(fit in {time.perf_counter() - start:.1f} s)")
gru = recurrent[-1]
print(f"GRU: {gru.n_iter_} epochs, best validation accuracy "
      f"{gru.best_validation_score_:.3f}")

# %%
# On TREC the question words carry much of the label ("who", "where", "how
# many"), and word pairs catch short phrases, so the linear model is a strong
# baseline: the small network trained for a few seconds is in the same range,
# not above it. What the network offers here is a reading in order that we
# can inspect.
#
# Influence of each word
# ----------------------
# ``token_influence(model, X)`` with the default ``method='occlusion'``
# gives, for each question, an array (words, classes): the predicted
# probabilities of the whole question minus those of the question with that
# word removed. A positive value means the word raises that class's
# probability. We take a few short test questions, starting with different
# question words.
from skrnn.inspection import token_influence

starts = ("Who ", "Where ", "How many ", "What ") if trec_dir else ("are ", "you ")
shown = [
    next(q for q in X_test if q.startswith(start) and len(q.split()) <= 9)
    for start in starts
]
influence = token_influence(recurrent, shown)
tokens = recurrent[0].inverse_transform(recurrent[0].transform(shown))
for question, words, values, proba in zip(
    shown, tokens, influence, recurrent.predict_proba(shown)
):
    predicted = gru.classes_[proba.argmax()]
    column = values[:, proba.argmax()]
    strongest = words[int(np.argmax(column))]
    print(f"{question!r}\n    predicted {predicted} (p = {proba.max():.2f}); "
          f"word that raises it most: {strongest!r} ({column.max():+.2f})")

# %%
# :class:`~skrnn.inspection.TokenInfluenceDisplay` colours each word by its
# influence on one class: red raises the probability of that class, blue
# lowers it. We draw the same questions for two classes.
import matplotlib.pyplot as plt

from skrnn.inspection import TokenInfluenceDisplay

targets = ["HUM", "LOC"] if trec_dir else ["question", "statement"]
fig, axes = plt.subplots(len(targets), 1, figsize=(9, 2 + 1.2 * len(shown)))
for target, ax in zip(targets, axes):
    TokenInfluenceDisplay.from_estimator(recurrent, shown, target=target, ax=ax)
fig.tight_layout()
plt.show()

# %%
# Occlusion asks "what if this word were not there?". Removing "Who" from a
# HUM question, or "Where" from a LOC question, takes away most of the
# evidence for its class; a content word such as a name or a place can push
# towards a class too. ``method='gradient'`` gives gradient times input
# instead, the exact first-order effect of each word from one backward pass;
# it is cheaper on long texts but only a local view.
