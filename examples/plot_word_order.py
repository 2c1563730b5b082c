"""
=============================================
Word order: what a bag of words cannot see
=============================================

"you are good" is a statement and "are you good" is a question, yet they hold
the same three words. A bag-of-words model turns both into the same row of
counts, so it cannot tell them apart. A recurrent network reads the words in
order, carrying a hidden state from one word to the next, so it can.

This example cross-validates both models on
:func:`skrnn.datasets.make_questions`, sentences whose label depends only on
word order, and then looks at the hidden states that tell the two sentences
apart.
"""

# %%
# One BLAS thread
# ---------------
# The per-step matrix products of a small recurrent network are tiny; extra
# BLAS threads only wait for each other, which is much slower on a busy
# machine. `threadpoolctl <https://github.com/joblib/threadpoolctl>`_ (a
# dependency of scikit-learn) keeps BLAS to one thread.
from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# %%
# The data
# --------
# Every sentence is drawn the same way whatever its label; a question
# swaps the subject and the auxiliary.
from skrnn.datasets import make_questions

sentences, y = make_questions(600, random_state=0)
for sentence, label in zip(sentences[:6], y[:6]):
    print(f"{label:9}  {sentence}")

# %%
# Bag of words against a recurrent network
# ----------------------------------------
# Both are scikit-learn pipelines, cross-validated on the same folds.
# :class:`~skrnn.OneHotSequenceTransformer` turns each sentence into a
# sequence of one-hot word vectors; :class:`~skrnn.RNNClassifier` reads it
# with an Elman cell of 16 units. On 600 short sentences a step of 0.01
# learns the task in 50 epochs (the default, 0.002, needs more); the loss is
# still falling when they end, so we silence the warning that says so. The
# output layer reads the final hidden state (``pooling='last'``; the default,
# 'max', reads each unit's largest value over the words), so that the plots
# below show what tells the two sentences apart.
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

bag_of_words = make_pipeline(CountVectorizer(), LogisticRegression())
recurrent = make_pipeline(
    OneHotSequenceTransformer(),
    RNNClassifier(hidden_size=16, pooling="last", learning_rate=0.01, max_iter=50,
                  random_state=0),
)
folds = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {}
for name, model in [("bag of words", bag_of_words), ("recurrent", recurrent)]:
    scores[name] = cross_val_score(model, sentences, y, cv=folds)
    print(
        f"{name:>12}: accuracy {scores[name].mean():.3f} "
        f"+/- {scores[name].std():.3f}  (folds: {np.round(scores[name], 3)})"
    )

# %%
# The bag of words is at chance (0.5): the words of a sentence carry no
# information about its label. The recurrent network is well above it.
#
# Two sentences, same words
# -------------------------
# We fit the recurrent pipeline on all the sentences and ask it about the two
# sentences of the title.
pair = ["are you good", "you are good"]
recurrent.fit(sentences, y)
classifier = recurrent[-1]
question = list(classifier.classes_).index("question")
for sentence, label, proba in zip(
    pair, recurrent.predict(pair), recurrent.predict_proba(pair)
):
    print(f"{sentence!r:16} -> {label:9}  P(question) = {proba[question]:.3f}")

# %%
# The hidden states that tell them apart
# --------------------------------------
# :class:`~skrnn.inspection.HiddenStateDisplay` shows the 16 hidden units
# (rows) after each word (columns) of both sentences. The two sentences end
# on the same word, "good", but in different states: the state after "good"
# still depends on which word came first.
#
# On the right, the final hidden state of every training sentence, projected
# on its first two principal components and coloured by label, with the two
# sentences of the title marked. The output layer reads this final state
# (``pooling='last'``), so the two labels must fall apart here.
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA

from skrnn.inspection import HiddenStateDisplay

fig, (ax_states, ax_final) = plt.subplots(
    1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 2]}
)
HiddenStateDisplay.from_estimator(recurrent, pair, ax=ax_states)
ax_states.set_title("hidden states: 'are you good' | 'you are good'")

transformer = recurrent[0]
final = np.array(
    [states[-1] for states in classifier.hidden_states(transformer.transform(sentences))]
)
pca = PCA(n_components=2).fit(final)
projected = pca.transform(final)
for label, color in [("question", "tab:red"), ("statement", "tab:blue")]:
    mask = y == label
    ax_final.scatter(*projected[mask].T, s=8, alpha=0.4, color=color, label=label)
pair_states = classifier.hidden_states(transformer.transform(pair))
for sentence, states in zip(pair, pair_states):
    x, z = pca.transform(states[-1:])[0]
    ax_final.scatter(x, z, s=80, marker="*", color="black")
    ax_final.annotate(sentence, (x, z), textcoords="offset points", xytext=(5, 5))
ax_final.set_xlabel("principal component 1")
ax_final.set_ylabel("principal component 2")
ax_final.set_title("final hidden state of each sentence")
ax_final.legend(loc="best", markerscale=2)
fig.tight_layout()
plt.show()

# %%
# The final states of questions and statements form two separate groups, and
# "are you good" and "you are good" land in different ones even though their
# words are the same: the network has carried the order of the first two
# words to the end of the sentence.
