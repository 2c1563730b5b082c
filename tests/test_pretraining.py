"""RNNClassifier(pretraining=...): language models initialise its layers.

- The classifier's initial recurrent layers and embedding are the language
  models' (forward, and on reversed sequences for the ``_reverse``
  direction); `pretrained_weights` maps the names.
- The semi-supervised convention: with pretraining, y == -1 marks unlabelled
  samples, which the language models read and the classifier's loss,
  ``classes_`` and early stopping do not; without pretraining, -1 is a class.
- A fitted language model is used as it is; an unfitted one is cloned and
  fitted with its own parameters; mismatches get clear errors.
- Pipeline, GridSearchCV and cross_validate; sample_weight k equals k copies
  on token data (scikit-learn's checks only give numeric sequences, which
  pretraining refuses: see NON_DEFAULT in test_classifier.py).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNClassifier, RNNLanguageModel
from skrnn._pretraining import pretrained_weights

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

WORDS = "the a cat dog sat ran on under mat log big small red".split()


def sentences(n, seed=0, words=WORDS):
    rng = np.random.RandomState(seed)
    return [" ".join(rng.choice(words, size=rng.randint(3, 9))) for _ in range(n)]


def labels(X):
    return np.array([int("cat" in s.split()) for s in X])


# A classifier that (almost) does not move in its one epoch: its weights_
# are its initial weights to ~1e-12.
FROZEN = dict(solver="sgd", momentum=0.0, learning_rate=1e-12, alpha=0.0, max_iter=1)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_initial_weights_are_the_language_models(cell, bidirectional):
    X = OneHotSequenceTransformer().fit_transform(sentences(40))
    y = np.arange(40) % 2
    kwargs = dict(cell=cell, hidden_size=6, embedding_size=4, num_layers=2)
    lm = RNNLanguageModel(max_iter=2, random_state=3, **kwargs)
    clf = RNNClassifier(
        bidirectional=bidirectional, pretraining=lm, random_state=0, **FROZEN,
        **kwargs,
    ).fit(X, y)
    forward = RNNLanguageModel(max_iter=2, random_state=3, **kwargs).fit(X)
    backward = RNNLanguageModel(max_iter=2, random_state=3, **kwargs).fit(
        X.reversed()
    )
    layers = 1 if bidirectional else 2
    for k in range(layers):
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            assert_allclose(clf.weights_[f"{kind}_l{k}"], forward.weights_[f"{kind}_l{k}"],
                            atol=1e-9)
            if bidirectional:
                assert_allclose(clf.weights_[f"{kind}_l{k}_reverse"],
                                backward.weights_[f"{kind}_l{k}"], atol=1e-9)
    embedding = forward.weights_["weight_embedding"]
    if bidirectional:
        embedding = (embedding + backward.weights_["weight_embedding"]) / 2
    assert_allclose(clf.weights_["weight_embedding"], embedding, atol=1e-9)
    assert not hasattr(lm, "weights_")  # the given model is cloned, not fitted
    assert len(clf.pretraining_loss_) == (2 if bidirectional else 1)
    assert clf.pretraining_loss_[0] == forward.loss_


def test_reversed():
    X = OneHotSequenceTransformer(analyzer="char").fit_transform(["abc", "", "de"])
    R = X.reversed()
    assert_allclose(R.offsets, X.offsets)
    assert list(R.ids) == list(X.ids[[2, 1, 0, 4, 3]])


def test_pretrained_weights_names():
    rng = np.random.RandomState(0)
    names = ["weight_embedding"] + [
        f"{kind}_l{k}" for k in range(2)
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ] + ["weight_out", "bias_out"]
    fwd = {n: rng.rand(2) for n in names}
    bwd = {n: rng.rand(2) for n in names}
    uni = pretrained_weights(fwd, None, num_layers=2, bidirectional=False)
    assert set(uni) == set(names) - {"weight_out", "bias_out"}
    bi = pretrained_weights(fwd, bwd, num_layers=2, bidirectional=True)
    assert set(bi) == {"weight_embedding"} | {
        f"{kind}_l0{sfx}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        for sfx in ("", "_reverse")
    }
    assert_allclose(bi["weight_embedding"],
                    (fwd["weight_embedding"] + bwd["weight_embedding"]) / 2)
    forward_only = pretrained_weights(fwd, None, num_layers=2, bidirectional=True)
    assert not any(n.endswith("_reverse") for n in forward_only)


def test_unlabelled_samples_only_pretrain():
    """-1 samples are left out of classes_ and of the loss, but the language
    model reads them: a word seen only in unlabelled sentences gets a
    trained embedding."""
    labelled = sentences(30, seed=1)
    unlabelled = ["zebra " + s for s in sentences(30, seed=2)]  # read, not only predicted
    X_text = labelled + unlabelled
    y = np.r_[labels(labelled), np.full(30, -1)]
    transformer = OneHotSequenceTransformer().fit(X_text)
    X, X_labelled = transformer.transform(X_text), transformer.transform(labelled)
    zebra = transformer.vocabulary_["zebra"]
    kwargs = dict(cell="gru", hidden_size=6, embedding_size=4)
    lm = RNNLanguageModel(max_iter=3, alpha=0.0, random_state=0, **kwargs)
    clf = RNNClassifier(pretraining=lm, random_state=0, **FROZEN, **kwargs).fit(X, y)
    assert list(clf.classes_) == [0, 1]
    on_all = RNNLanguageModel(max_iter=3, alpha=0.0, random_state=0, **kwargs).fit(X)
    on_labelled = RNNLanguageModel(max_iter=3, alpha=0.0, random_state=0,
                                   **kwargs).fit(X_labelled)
    row = clf.weights_["weight_embedding"][zebra]
    assert_allclose(row, on_all.weights_["weight_embedding"][zebra], atol=1e-9)
    # never seen by a model of the labelled sentences: still its initial draw
    assert np.abs(row - on_labelled.weights_["weight_embedding"][zebra]).max() > 1e-3

    # the loss: with the same (fitted) language model, adding unlabelled
    # samples changes nothing in the classifier
    fitted = on_all
    a = RNNClassifier(pretraining=fitted, random_state=0, max_iter=3, **kwargs)
    b = RNNClassifier(pretraining=fitted, random_state=0, max_iter=3, **kwargs)
    a.fit(X, y)
    b.fit(X_labelled, y[:30])
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=1e-10, atol=1e-12)
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-10)


def test_minus_one_is_a_class_without_pretraining():
    X = OneHotSequenceTransformer().fit_transform(sentences(20))
    y = np.where(np.arange(20) % 2, 1, -1)
    clf = RNNClassifier(hidden_size=4, max_iter=2, random_state=0).fit(X, y)
    assert list(clf.classes_) == [-1, 1]
    assert clf.pretraining_loss_ is None


def test_early_stopping_and_class_weight_see_labelled_samples_only():
    X_text = sentences(60, seed=3)
    y = labels(X_text)
    y[40:] = -1
    X = OneHotSequenceTransformer().fit_transform(X_text)
    clf = RNNClassifier(hidden_size=4, cell="gru", pretraining=1, early_stopping=True,
                        class_weight="balanced", max_iter=3, random_state=0).fit(X, y)
    assert list(clf.classes_) == [0, 1]
    assert clf.validation_scores_ is not None


def test_fitted_language_model_is_used_as_it_is():
    X = OneHotSequenceTransformer().fit_transform(sentences(30))
    y = np.arange(30) % 2
    kwargs = dict(cell="gru", hidden_size=5, embedding_size=3)
    lm = RNNLanguageModel(max_iter=2, random_state=0, **kwargs).fit(X)
    before = {k: v.copy() for k, v in lm.weights_.items()}
    clf = RNNClassifier(bidirectional=True, pretraining=lm, random_state=0, **FROZEN,
                        **kwargs).fit(X, y)
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                 "weight_embedding"):
        assert_allclose(clf.weights_[name], before[name], atol=1e-9)
    # the backward direction keeps its random start (forward only)
    assert np.abs(clf.weights_["weight_hh_l0_reverse"] - before["weight_hh_l0"]).max() > 0.01
    assert clf.pretraining_loss_ == [lm.loss_]
    for name, value in lm.weights_.items():  # the given model is not touched
        assert_allclose(value, before[name], rtol=0, atol=0)


def test_errors():
    transformer = OneHotSequenceTransformer().fit(sentences(30))
    X = transformer.transform(sentences(30))
    y = np.arange(30) % 2
    with pytest.raises(ValueError, match="hidden_size=5.*hidden_size=8"):
        RNNClassifier(8, pretraining=RNNLanguageModel(5)).fit(X, y)
    with pytest.raises(ValueError, match="embedding_size"):
        RNNClassifier(8, pretraining=RNNLanguageModel(8, embedding_size=3)).fit(X, y)
    with pytest.raises(ValueError, match="cell"):
        RNNClassifier(8, cell="gru", pretraining=RNNLanguageModel(8)).fit(X, y)
    other = OneHotSequenceTransformer().fit_transform(sentences(30) + ["zebra x"])
    lm = RNNLanguageModel(4, max_iter=1).fit(other)
    with pytest.raises(ValueError, match="token slots"):
        RNNClassifier(4, pretraining=lm).fit(X, y)
    with pytest.raises(ValueError, match="Every sample is unlabelled"):
        RNNClassifier(4, pretraining=1).fit(X, np.full(30, -1))
    with pytest.raises(ValueError, match="at least 2 classes"):
        RNNClassifier(4, pretraining=1).fit(X, np.where(y, 1, -1))
    with pytest.raises(ValueError, match="token sequences"):
        RNNClassifier(4, pretraining=1).fit(np.random.rand(30, 5), y)
    with pytest.raises(AttributeError) as error:
        RNNClassifier(4, pretraining=1).partial_fit(X, y, classes=[0, 1])
    assert "set_params(pretraining=None)" in str(error.value.__cause__)
    assert not hasattr(RNNClassifier(4, pretraining=1), "partial_fit")


def test_warm_start_does_not_pretrain_again():
    X = OneHotSequenceTransformer().fit_transform(sentences(30))
    y = np.arange(30) % 2
    clf = RNNClassifier(4, cell="gru", pretraining=1, max_iter=2, random_state=0)
    clf.fit(X, y)
    loss = clf.pretraining_loss_
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.pretraining_loss_ is loss and clf.n_iter_ == 4
    clf.set_params(pretraining=None).partial_fit(X, y)
    assert clf.n_iter_ == 5


def test_sample_weight_equals_copies():
    X_text = sentences(24, seed=4)
    y = labels(X_text)
    y[18:] = -1
    w = np.r_[np.arange(24) % 3]
    transformer = OneHotSequenceTransformer().fit(X_text)
    X = transformer.transform(X_text)
    repeat = np.repeat(np.arange(24), w)
    X_copies = transformer.transform([X_text[i] for i in repeat])
    params = dict(hidden_size=5, cell="gru", embedding_size=3, bidirectional=True,
                  pretraining=2, max_iter=3, random_state=0)
    weighted = RNNClassifier(**params).fit(X, y, sample_weight=w)
    copies = RNNClassifier(**params).fit(X_copies, y[repeat])
    assert_allclose(weighted.pretraining_loss_, copies.pretraining_loss_, rtol=1e-8)
    for name, value in copies.weights_.items():
        assert_allclose(weighted.weights_[name], value, rtol=1e-7, atol=1e-10)


def test_pipeline_grid_search_cross_validate():
    X_text = sentences(60, seed=5)
    y = labels(X_text)
    y[45:] = -1  # unlabelled: the transformer learns their words too
    pipe = make_pipeline(
        OneHotSequenceTransformer(),
        RNNClassifier(hidden_size=6, cell="gru", embedding_size=4, pretraining=1,
                      max_iter=3, random_state=0),
    )
    pipe.fit(X_text, y)
    assert set(pipe.predict(X_text)) <= {0, 1}
    grid = GridSearchCV(pipe, {"rnnclassifier__pretraining": [None, 2]}, cv=2)
    grid.fit(X_text[:45], y[:45])
    assert grid.best_params_["rnnclassifier__pretraining"] in (None, 2)
    scores = cross_validate(pipe, X_text[:45], y[:45], cv=2)
    assert len(scores["test_score"]) == 2


def _synonyms_task(seed):
    """Words a0..a19 and b0..b19 whose class shows only in what follows them
    in unlabelled sentences ("... a7 runs fast", "... b3 sleeps now"); the
    labelled sentences ("the a1") name 3 words of each group, the test
    sentences the 17 others."""
    rng = np.random.RandomState(seed)
    A, B = [f"a{i}" for i in range(20)], [f"b{i}" for i in range(20)]
    fill = "the one some my your".split()
    unlabelled = [f"{rng.choice(fill)} {w} runs fast" for w in A for _ in range(4)]
    unlabelled += [f"{rng.choice(fill)} {w} sleeps now" for w in B for _ in range(4)]
    train = [f"{rng.choice(fill)} {w}" for w in A[:3] + B[:3] for _ in range(3)]
    test = [f"{f} {w}" for w in A[3:] + B[3:] for f in fill[:2]]
    return unlabelled, train, [0] * 9 + [1] * 9, test, [0] * 34 + [1] * 34


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pretraining_helps_where_unlabelled_text_tells(seed):
    """Words never labelled are classified from what the language model
    learnt of them in unlabelled sentences: about chance without
    pretraining, at least 75 % with it (0.82-1.0 on these seeds)."""
    unlabelled, train, y_train, test, y_test = _synonyms_task(seed)
    scores = {}
    for pretraining in (None, 20):
        pipe = make_pipeline(
            OneHotSequenceTransformer(),
            RNNClassifier(16, cell="gru", embedding_size=8, learning_rate=0.01,
                          batch_size=16, max_iter=30, pretraining=pretraining,
                          random_state=seed),
        )
        # the same vocabulary both ways: the transformer sees every sentence
        pipe[0].fit(train + unlabelled)
        if pretraining is None:
            pipe[-1].fit(pipe[0].transform(train), y_train)
        else:
            pipe.fit(train + unlabelled, y_train + [-1] * len(unlabelled))
        scores[pretraining] = pipe.score(test, y_test)
    assert scores[None] < 0.65
    assert scores[20] >= 0.75


def test_backward_direction_reads_as_the_reversed_language_model():
    """The _reverse direction computes, on each sentence, the states of the
    reversed-sentence language model (without an embedding, whose mean
    would differ): row t of its half is the model's state after reading the
    reversed tokens L-1 .. t."""
    X = OneHotSequenceTransformer().fit_transform(sentences(20))
    y = np.arange(20) % 2
    kwargs = dict(cell="gru", hidden_size=4)
    lm = RNNLanguageModel(max_iter=2, random_state=1, **kwargs)
    clf = RNNClassifier(bidirectional=True, pretraining=lm, random_state=0, **FROZEN,
                        **kwargs).fit(X, y)
    forward = RNNLanguageModel(max_iter=2, random_state=1, **kwargs).fit(X)
    backward = RNNLanguageModel(max_iter=2, random_state=1, **kwargs).fit(
        X.reversed()
    )
    for states, f, b in zip(clf.hidden_states(X), forward.hidden_states(X),
                            backward.hidden_states(X.reversed())):
        assert_allclose(states[:, :4], f, atol=1e-9)
        assert_allclose(states[:, 4:], b[::-1], atol=1e-9)
