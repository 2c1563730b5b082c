"""Inspection: token influence by occlusion and by gradient x input."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier
from skrnn.datasets import make_questions
from skrnn.inspection import token_influence


@pytest.fixture(scope="module")
def question_model():
    X, y = make_questions(600, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            OneHotSequenceTransformer(),
            RNNClassifier(learning_rate=0.01, random_state=0),
        ).fit(X, y)


@pytest.fixture(scope="module")
def small_models():
    """Tiny fitted classifiers on one-hot input, one per cell."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 6, size=20)
    offsets = np.r_[0, np.cumsum(lengths)]
    X = OneHotSequences(rng.randint(0, 7, size=offsets[-1]), offsets, 7)
    y = np.arange(20) % 3
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for cell in ("rnn", "gru", "lstm"):
            models[cell] = RNNClassifier(
                hidden_size=4, cell=cell, num_layers=2, bidirectional=True,
                pooling="mean", max_iter=3, random_state=0,
            ).fit(X, y)
    return models, X


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gradient_influence_is_the_derivative(small_models, cell):
    """Gradient x input equals a finite difference of the one-hot entry."""
    models, X = small_models
    model = models[cell]
    influence = token_influence(model, X[:4], method="gradient")
    eps = 1e-6
    for i in range(4):
        x = X[i]  # dense (length, slots) one-hot
        for t in range(len(x)):
            token = np.argmax(x[t])
            up, down = x.copy(), x.copy()
            up[t, token] += eps
            down[t, token] -= eps
            numeric = (model.predict_proba([up]) - model.predict_proba([down])) / (2 * eps)
            assert_allclose(influence[i][t], numeric[0], atol=1e-6)


def test_occlusion_equals_manual_deletion(question_model):
    sentences = ["are you good", "my old friend will win the game today", "is it"]
    influence = token_influence(question_model, sentences)
    analyze = question_model[0].build_analyzer()
    for sentence, result in zip(sentences, influence):
        tokens = analyze(sentence)
        full = question_model.predict_proba([tokens])[0]
        assert result.shape == (len(tokens), 2)
        for t in range(len(tokens)):
            without = question_model.predict_proba([tokens[:t] + tokens[t + 1 :]])[0]
            assert_allclose(result[t], full - without, rtol=0, atol=1e-12)


def test_dense_sequences_without_a_pipeline():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)) for n in (3, 1, 4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = RNNClassifier(hidden_size=3, max_iter=2, random_state=0).fit(X, [0, 1, 0])
    for method in ("occlusion", "gradient"):
        influence = token_influence(model, X, method=method)
        assert [a.shape for a in influence] == [(3, 2), (1, 2), (4, 2)]
    # gradient x input over the features of a step
    eps = 1e-6
    influence = token_influence(model, X, method="gradient")
    for t in range(3):
        up, down = X[0].copy(), X[0].copy()
        up[t] *= 1 + eps
        down[t] *= 1 - eps
        numeric = (model.predict_proba([up]) - model.predict_proba([down])) / (2 * eps)
        assert_allclose(influence[0][t], numeric[0], atol=1e-6)


@pytest.mark.parametrize("method, rate", [("occlusion", 0.85), ("gradient", 0.75)])
def test_question_word_sways_most(question_model, method, rate):
    """In generated questions the leading auxiliary is the most influential token.

    Measured: 0.95 (occlusion) and 0.86 (gradient) of 100 questions."""
    X, y = make_questions(200, random_state=1)
    question = list(question_model.classes_).index("question")
    influence = token_influence(question_model, X, method=method)
    top = np.array([np.argmax(np.abs(a[:, question])) for a in influence])
    assert np.mean(top[y == "question"] == 0) >= rate


def test_bad_estimator():
    with pytest.raises(TypeError, match="RNNClassifier"):
        token_influence(make_pipeline(OneHotSequenceTransformer()), ["a b"])
    with pytest.raises(ValueError, match="method"):
        token_influence(RNNClassifier(), [[1.0]], method="saliency")


# ---------------------------------------------------------------------------
# Displays (Agg backend; skipped without matplotlib)
# ---------------------------------------------------------------------------


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_hidden_state_display(pyplot, question_model):
    from skrnn.inspection import HiddenStateDisplay

    sentences = ["are you good", "the dog is here today"]
    _, ax = pyplot.subplots()
    display = HiddenStateDisplay.from_estimator(question_model, sentences, ax=ax)
    assert display.ax_ is ax and display.figure_ is ax.figure
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert labels == ["are", "you", "good", "the", "dog", "is", "here", "today"]
    hidden = question_model[-1].hidden_size
    assert display.image_.get_array().shape == (hidden, 8)
    states = question_model[-1].hidden_states(question_model[0].transform(sentences))
    assert_allclose(display.image_.get_array()[:, :3], states[0].T)


def test_token_influence_display(pyplot, question_model):
    from skrnn.inspection import TokenInfluenceDisplay

    sentences = ["are you good", "the dog is here today"]
    display = TokenInfluenceDisplay.from_estimator(
        question_model, sentences, target="question", method="gradient"
    )
    assert [t.get_text() for t in display.texts_] == [
        "are", "you", "good", "the", "dog", "is", "here", "today"
    ]
    grid = display.image_.get_array()
    assert grid.shape == (2, 5)
    assert grid.mask[0, 3:].all() and not grid.mask[1].any()
    expected = token_influence(question_model, sentences, method="gradient")
    question = list(question_model.classes_).index("question")
    assert_allclose(grid[1], expected[1][:, question])
    assert "question" in display.ax_.get_title()
    with pytest.raises(ValueError, match="not one of the classes"):
        TokenInfluenceDisplay.from_estimator(question_model, sentences, target="maybe")
