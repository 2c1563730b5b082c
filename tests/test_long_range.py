"""Long memory: which of two marker words came first, 30-60 words back.

`make_marker_order` puts both markers in every sentence among filler words
drawn the same way for both labels, so a bag-of-words model is at chance;
the label is only in the order of two words that may be tens of steps apart
and tens of steps before the end. Gated cells carry that bit across the
distance (measured in 5-fold CV, see benchmarks/RESULTS.md for the Elman
cell).
"""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_marker_order

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def marker_data():
    return make_marker_order(1000, min_length=30, max_length=60, random_state=0)


FOLDS = StratifiedKFold(5, shuffle=True, random_state=0)


def test_bag_of_words_is_at_chance(marker_data):
    X, y = marker_data
    bag = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000))
    assert cross_val_score(bag, X, y, cv=FOLDS).mean() <= 0.6


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_cells_remember_across_tens_of_words(marker_data, cell):
    X, y = marker_data
    model = make_pipeline(
        OneHotSequenceTransformer(),
        RNNClassifier(
            cell=cell, hidden_size=16, learning_rate=0.01, batch_size=32,
            early_stopping=True, random_state=0,
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(model, X, y, cv=FOLDS)
    assert scores.mean() >= 0.95, scores
