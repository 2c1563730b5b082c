"""Direct n-gram connections in the estimators (issue 27).

The network's arithmetic (hashing, features, exact gradients of the table,
row-sparse updates, the table's own learning rate) is tested in
tests/test_direct_network.py; here, what a user of RNNClassifier,
RNNRegressor and RNNLanguageModel sees: the parameters and their errors,
equivalences (sample weights, padding, batches, partial_fit, warm start,
float32), the table in ``weights_``, ONNX, skops, inspection and sampling.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from skrnn import (
    OneHotSequences,
    OneHotSequenceTransformer,
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
)
from skrnn._language_model import _Chunks
from skrnn._ngrams import ngram_ids, step_features
from skrnn._sequences import from_one_hot
from skrnn.datasets import make_questions
from skrnn.inspection import token_influence

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def questions():
    sentences, labels = make_questions(200, random_state=0)
    transformer = OneHotSequenceTransformer().fit(sentences)
    return transformer, transformer.transform(sentences), labels


def same_state(a, b):
    """Whether two estimators hold the same attributes (arrays compared)."""
    return pickle.dumps(a.__dict__) == pickle.dumps(b.__dict__)


# ---------------------------------------------------------------------------
# Parameters and errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor, RNNLanguageModel])
def test_off_by_default(Estimator, questions):
    _, X, y = questions
    assert Estimator().direct_order == 0
    est = Estimator(hidden_size=3, max_iter=1, random_state=0)
    est.fit(X, None if Estimator is RNNLanguageModel else (y == "question") * 1.0)
    assert "weight_direct" not in est.weights_


@pytest.mark.parametrize(
    "params, match",
    [
        ({"direct_order": -1}, "direct_order"),
        ({"direct_order": 2, "direct_size": 0}, "direct_size"),
        ({"direct_order": True}, "direct_order"),
        ({"direct_order": 2, "direct_learning_rate": 0.0}, "direct_learning_rate"),
        ({"direct_values": "counts"}, "direct_values"),
        ({"direct_order": 2, "direct_epochs": 0}, "direct_epochs"),
        ({"direct_epochs": 3}, "direct_epochs=3 .* direct_order=0"),
        ({"direct_order": 2, "direct_epochs": 3, "solver": "lbfgs"}, "direct_epochs=3 .* 'lbfgs'"),
    ],
)
def test_bad_parameters_leave_a_fitted_model_as_it_was(params, match, questions):
    _, X, y = questions
    clf = RNNClassifier(hidden_size=3, max_iter=1, random_state=0).fit(X, y)
    before = copy.deepcopy(clf)
    clf.set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    if params.get("solver") != "lbfgs":  # which has no partial_fit
        with pytest.raises(ValueError, match=match):
            clf.partial_fit(X, y)
    clf.set_params(**before.get_params())
    assert same_state(clf, before)


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_numeric_input_is_refused_before_any_work(Estimator):
    X = [np.zeros((3, 2)), np.ones((2, 2))]
    y = [0, 1]
    est = Estimator(hidden_size=3, max_iter=1, random_state=0).fit(X, y)
    before = copy.deepcopy(est)
    est.set_params(direct_order=2, warm_start=False)
    with pytest.raises(ValueError, match="numeric sequences.*direct_order=0"):
        est.fit(X, y)
    est.set_params(direct_order=0)
    assert same_state(est, before)


def test_changing_the_order_after_fit_is_refused_at_predict(questions):
    _, X, y = questions
    clf = RNNClassifier(hidden_size=3, direct_order=2, max_iter=1, random_state=0)
    clf.fit(X, y)
    clf.set_params(direct_order=3)
    with pytest.raises(ValueError, match="direct_order=2 to 3"):
        clf.predict(X)


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


def test_the_table_in_weights_and_its_default_size(questions):
    _, X, y = questions
    clf = RNNClassifier(hidden_size=3, direct_order=2, max_iter=2, random_state=0)
    clf.fit(X, y)
    # two classes: the largest power of two of at most 2**19 numbers
    assert clf.weights_["weight_direct"].shape == (2**18, 2)
    lm = RNNLanguageModel(hidden_size=3, direct_order=2, max_iter=1, random_state=0)
    lm.fit(X)
    V = X.n_token_slots
    rows = lm.weights_["weight_direct"].shape[0]
    assert lm.weights_["weight_direct"].shape[1] == V
    assert rows * V <= 2**19 < 2 * rows * V or rows == 2**10
    sized = RNNClassifier(hidden_size=3, direct_order=1, direct_size=64, max_iter=1)
    assert sized.fit(X, y).weights_["weight_direct"].shape == (64, 2)


def test_direct_connections_learn_word_order_from_bigrams(questions):
    """make_questions' labels depend on word order only: unigrams alone
    cannot tell them, bigrams can."""
    _, X, y = questions
    scores = {}
    for order in (1, 2):
        clf = RNNClassifier(
            hidden_size=2, direct_order=order, direct_learning_rate=0.05,
            max_iter=30, random_state=0,
        ).fit(X, y)
        scores[order] = clf.score(X, y)
    assert scores[2] > 0.9 and scores[2] > scores[1] + 0.1


def test_the_table_learns_at_its_own_rate(questions):
    _, X, y = questions
    tables = []
    for rate in (None, 0.1):
        clf = RNNClassifier(
            hidden_size=3, direct_order=2, direct_learning_rate=rate, solver="sgd",
            momentum=0, learning_rate=0.001, alpha=0, max_iter=1, shuffle=False,
            random_state=0,
        ).fit(X, y)
        tables.append(clf.weights_["weight_direct"])
    # plain SGD: the step is proportional to the rate; None is 25 x 0.001
    used = np.abs(tables[0]) > 0
    assert used.any()
    assert_allclose(tables[1][used] / tables[0][used], 0.1 / 0.025, rtol=1e-6)


# ---------------------------------------------------------------------------
# Equivalences
# ---------------------------------------------------------------------------


def test_sample_weight_equals_repetition(questions):
    _, X, y = questions
    X, y = X[:40], y[:40]
    w = np.random.RandomState(0).randint(0, 3, size=len(y))
    w[:2] = [1, 2]
    repeated = np.repeat(np.arange(len(y)), w)
    params = dict(
        hidden_size=4, direct_order=3, solver="sgd", learning_rate=0.1,
        batch_size=1000, max_iter=3, random_state=0,
    )
    a = RNNClassifier(**params).fit(X, y, sample_weight=w)
    b = RNNClassifier(**params).fit(X[repeated], y[repeated])
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=1e-10, atol=1e-12)


def test_class_weight_multiplies_sample_weight(questions):
    _, X, y = questions
    params = dict(hidden_size=3, direct_order=2, max_iter=2, random_state=0)
    a = RNNClassifier(class_weight={"question": 3.0}, **params).fit(X, y)
    b = RNNClassifier(**params).fit(X, y, sample_weight=np.where(y == "question", 3.0, 1))
    assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-12)


def test_batch_and_order_invariance_of_prediction(questions, monkeypatch):
    import skrnn._inference as module

    _, X, y = questions
    clf = RNNClassifier(hidden_size=4, direct_order=3, max_iter=2, random_state=0)
    clf.fit(X, y)
    whole = clf.predict_proba(X)
    reverse = np.arange(len(y))[::-1]
    assert_allclose(clf.predict_proba(X[reverse]), whole[reverse], atol=1e-12)
    one = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(5)])
    assert_allclose(one, whole[:5], atol=1e-12)
    monkeypatch.setattr(module, "PREDICT_ELEMENTS", 1)  # one sequence a batch
    assert_allclose(clf.predict_proba(X), whole, atol=1e-12)


def test_partial_fit_equals_fit_epochs(questions):
    _, X, y = questions
    params = dict(hidden_size=4, direct_order=2, random_state=0, batch_size=16,
                  n_iter_no_change=100, average=False)
    full = RNNClassifier(max_iter=3, **params).fit(X, y)
    step = RNNClassifier(**params)
    for _ in range(3):
        step.partial_fit(X, y, classes=["question", "statement"])
    for name in full.weights_:
        assert_allclose(step.weights_[name], full.weights_[name], atol=1e-12)


def test_warm_start_continues_plain_sgd(questions):
    _, X, y = questions
    params = dict(hidden_size=4, direct_order=2, solver="sgd", momentum=0,
                  learning_rate=0.05, shuffle=False, random_state=0,
                  n_iter_no_change=100, average=False)
    five = RNNClassifier(max_iter=5, **params).fit(X, y)
    warm = RNNClassifier(max_iter=2, warm_start=True, **params).fit(X, y)
    warm.set_params(max_iter=3).fit(X, y)
    for name in five.weights_:
        assert_allclose(warm.weights_[name], five.weights_[name], atol=1e-12)


# ---------------------------------------------------------------------------
# Two stages (direct_epochs): the table alone, then the network beside it
# ---------------------------------------------------------------------------

NETWORK = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def two_stage(X, y, max_iter, Estimator=RNNClassifier, **params):
    params = dict(hidden_size=4, direct_order=2, direct_epochs=3, batch_size=50,
                  average=False, random_state=0, n_iter_no_change=100, **params)
    return Estimator(max_iter=max_iter, **params).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad", "lazy_adam"])
def test_the_table_trains_alone_then_is_frozen(solver, questions):
    _, X, y = questions
    one, three, five = (two_stage(X, y, k, solver=solver) for k in (1, 3, 5))
    # the table's stage: the network stays as drawn, its logits at zero
    for name in NETWORK:
        assert_allclose(three.weights_[name], one.weights_[name], rtol=0, atol=0)
    assert not three.weights_["weight_out"].any()
    assert np.abs(three.weights_["weight_direct"] - one.weights_["weight_direct"]).max() > 0
    assert np.abs(three.weights_["bias_out"] - one.weights_["bias_out"]).max() > 0
    # the network's stage: the table stays as the first stage left it
    assert_allclose(five.weights_["weight_direct"], three.weights_["weight_direct"],
                    rtol=0, atol=0)
    for name in NETWORK + ("weight_out",):
        assert np.abs(five.weights_[name] - three.weights_[name]).max() > 0, name


def test_the_first_stage_is_a_linear_model_of_the_ngrams(questions):
    """With the output weights at zero the logits are the table's rows of
    the sequence's n-grams plus the bias, whatever the recurrent weights."""
    _, X, y = questions
    clf = two_stage(X, y, 3)
    other = copy.deepcopy(clf)
    for name in NETWORK:
        other.weights_[name][...] = np.random.RandomState(1).normal(
            size=other.weights_[name].shape)
    assert_allclose(other.predict_proba(X), clf.predict_proba(X), rtol=0, atol=1e-12)


def test_two_stages_by_partial_fit_equal_fit(questions):
    _, X, y = questions
    whole = two_stage(X, y, 5)
    step = RNNClassifier(**{k: v for k, v in whole.get_params().items() if k != "max_iter"})
    for _ in range(5):
        step.partial_fit(X, y, classes=whole.classes_)
    for name in whole.weights_:
        assert_allclose(step.weights_[name], whole.weights_[name], rtol=0, atol=1e-12)


def test_the_stages_follow_direct_epochs_set_between_partial_fit_calls(questions):
    """Each epoch's stage follows the parameters of its call: set to None
    in the first stage, the network and the table train jointly."""
    _, X, y = questions
    clf = RNNClassifier(hidden_size=4, direct_order=2, direct_epochs=5, batch_size=50,
                        average=False, random_state=0)
    for _ in range(2):
        clf.partial_fit(X, y, classes=["question", "statement"])
    before = copy.deepcopy(clf.weights_)
    clf.set_params(direct_epochs=None)  # trained jointly from here on
    clf.partial_fit(X, y)
    for name in NETWORK + ("weight_out", "weight_direct"):
        assert np.abs(clf.weights_[name] - before[name]).max() > 0, name


def test_two_stages_in_the_regressor(questions):
    _, X, y = questions
    target = (y == "question") * 1.0
    three, five = (two_stage(X, target, k, Estimator=RNNRegressor) for k in (3, 5))
    assert not three.weights_["weight_out"].any()
    assert_allclose(five.weights_["weight_direct"], three.weights_["weight_direct"],
                    rtol=0, atol=0)
    assert five.score(X, target) > three.score(X, target)


@pytest.mark.parametrize("solver", ["sgd", "adagrad", "lazy_adam"])
def test_row_sparse_updates_leave_unused_rows_alone(solver, questions):
    """SGD without momentum, Adagrad and lazy Adam update the rows of the
    minibatch's n-grams only (alpha=0: no penalty on the others)."""
    _, X, y = questions
    clf = RNNClassifier(
        hidden_size=3, direct_order=2, direct_size=4096, solver=solver, momentum=0,
        alpha=0, learning_rate=0.01, max_iter=2, random_state=0,
    ).fit(X[:20], y[:20])
    sequences = from_one_hot(X[:20])
    used = np.unique(ngram_ids(sequences, 2, 4096))
    used = used[used >= 0]
    untouched = np.setdiff1d(np.arange(4096), used)
    assert np.all(clf.weights_["weight_direct"][untouched] == 0)
    assert np.abs(clf.weights_["weight_direct"][used]).min() > 0


def test_early_stopping_and_lbfgs(questions):
    _, X, y = questions
    es = RNNClassifier(hidden_size=3, direct_order=2, early_stopping=True,
                       max_iter=5, random_state=0).fit(X, y)
    assert len(es.validation_scores_) == es.n_iter_
    lbfgs = RNNClassifier(hidden_size=3, direct_order=2, solver="lbfgs",
                          max_iter=20, random_state=0).fit(X, y)
    assert np.abs(lbfgs.weights_["weight_direct"]).max() > 0
    assert lbfgs.score(X, y) > 0.8


def test_float32_model(questions):
    transformer, _, y = questions
    sentences, _ = make_questions(200, random_state=0)
    t32 = OneHotSequenceTransformer(dtype=np.float32).fit(sentences)
    X32 = t32.transform(sentences)
    params = dict(hidden_size=4, direct_order=2, max_iter=2, random_state=0)
    c32 = RNNClassifier(**params).fit(X32, y)
    c64 = RNNClassifier(**params).fit(transformer.transform(sentences), y)
    assert c32.weights_["weight_direct"].dtype == np.float32
    assert c32.predict_proba(X32).dtype == np.float32
    assert_allclose(c32.predict_proba(X32), c64.predict_proba(X32), atol=1e-4)


def test_regressor(questions):
    _, X, y = questions
    target = (y == "question") * 2.0 - 1
    reg = RNNRegressor(hidden_size=3, direct_order=2, max_iter=20, random_state=0)
    assert reg.fit(X, target).score(X, target) > 0.5
    assert reg.weights_["weight_direct"].shape[1] == 1


# ---------------------------------------------------------------------------
# Export, persistence, inspection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [RNNClassifier, RNNRegressor])
def test_onnx_parity(Estimator):
    onnxruntime = pytest.importorskip("onnxruntime")
    from skrnn.onnx import onnx_inputs, to_onnx

    sentences, labels = make_questions(100, random_state=1)
    y = labels if Estimator is RNNClassifier else (labels == "question") * 1.0
    model = make_pipeline(
        OneHotSequenceTransformer(),
        Estimator(hidden_size=4, direct_order=3, direct_values="frequency",
                  bidirectional=True, pooling="max", max_iter=3, random_state=0),
    ).fit(sentences, y)
    graph = to_onnx(model)
    assert {"direct_rows", "direct_values"} <= {i.name for i in graph.graph.input}
    session = onnxruntime.InferenceSession(
        graph.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    X = sentences[:30] + [""]
    got = session.run(None, onnx_inputs(model, X))[0]
    expected = model.predict_proba(X) if Estimator is RNNClassifier else model.predict(X)
    assert_allclose(got, expected, atol=1e-5)


def test_skops_round_trip(questions, tmp_path):
    sio = pytest.importorskip("skops.io")
    _, X, y = questions
    clf = RNNClassifier(hidden_size=3, direct_order=2, max_iter=2, random_state=0)
    clf.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=0, atol=0)


def test_hidden_states_and_occlusion_include_the_direct_path(questions):
    _, X, y = questions
    clf = RNNClassifier(hidden_size=3, direct_order=2, max_iter=5, random_state=0)
    clf.fit(X, y)
    assert [len(s) for s in clf.hidden_states(X[:3])] == list(X[:3].lengths)
    influence = token_influence(clf, X[:3])
    # occlusion is the prediction's change: with the table zeroed, it changes
    table = clf.weights_["weight_direct"].copy()
    clf.weights_["weight_direct"][...] = 0
    without = token_influence(clf, X[:3])
    clf.weights_["weight_direct"][...] = table
    assert max(np.abs(a - b).max() for a, b in zip(influence, without)) > 1e-4


def test_gradient_influence_attributes_the_direct_term():
    """A regressor whose recurrent part reads nothing (W_out = 0): the
    gradient x input of its tokens adds up to its direct term, each n-gram's
    row shared among its tokens."""
    X = OneHotSequences([0, 1, 2, 1, 2, 2], offsets=[0, 3, 3, 6], n_token_slots=3)
    reg = RNNRegressor(hidden_size=2, direct_order=2, direct_size=16, max_iter=2,
                       random_state=0).fit(X, [1.0, 0.0, -1.0])
    reg.weights_["weight_out"][...] = 0
    reg.weights_["weight_direct"][...] = np.arange(16.0)[:, None]
    influence = token_influence(reg, X, method="gradient")
    direct_term = reg.predict(X) - reg.weights_["bias_out"]
    assert_allclose([a.sum() for a in influence], direct_term, atol=1e-12)
    # the first token of "0 1 2": its unigram, and half of the bigram (0, 1)
    ids = ngram_ids(from_one_hot(X), 2, 16)
    assert_allclose(influence[0][0, 0], ids[0, 0] + ids[1, 1] / 2, atol=1e-12)


# ---------------------------------------------------------------------------
# The language model
# ---------------------------------------------------------------------------


TEXT = "the cat sat on the mat. the dog sat on the log. " * 6


@pytest.fixture(scope="module")
def chars():
    transformer = OneHotSequenceTransformer(analyzer="char", lowercase=False)
    return transformer, transformer.fit_transform([TEXT])


def test_language_model_chunks_carry_the_ngrams(chars, monkeypatch):
    """Scored in small inference chunks, whose first tokens' n-grams reach
    into the chunk before, the log-likelihood equals one pass."""
    import skrnn._language_model as module

    _, X = chars
    lm = RNNLanguageModel(hidden_size=6, cell="gru", direct_order=3, bptt_steps=7,
                          max_iter=2, learning_rate=0.01, random_state=0).fit(X)
    whole = lm.score_samples(X)
    monkeypatch.setattr(module, "INFERENCE_ELEMENTS", 20 * X.n_token_slots)
    assert_allclose(lm.score_samples(X), whole, rtol=0, atol=1e-9)
    # and the features of a chunk's rows are those of the whole sequence's
    sequences = from_one_hot(X)
    chunks = _Chunks(sequences, 5, direct=(3, 64))
    _, _, positions = chunks.pack(np.arange(len(chunks.sequence)))
    expected = step_features(ngram_ids(sequences, 3, 64), positions, 64, np.float64)
    assert (chunks.direct_features(positions, np.float64) != expected).nnz == 0


def test_language_model_samples_from_the_model_it_scores(chars):
    """Greedy sampling (a tiny temperature) picks, at every step, the token
    the model scores most likely given everything before, n-grams included."""
    transformer, X = chars
    lm = RNNLanguageModel(hidden_size=6, cell="gru", direct_order=3, max_iter=5,
                          learning_rate=0.02, random_state=0).fit(X)
    prefix = transformer.transform(["the "])
    sample = lm.sample(12, prefix=prefix, temperature=1e-6, random_state=0)
    tokens = np.concatenate([prefix.ids, sample.ids])
    V = X.n_token_slots
    for t in range(len(prefix.ids), len(tokens)):
        candidates = np.tile(tokens[: t + 1], (V, 1))
        candidates[:, t] = np.arange(V)
        scores = lm.score_samples(candidates)
        assert tokens[t] == np.argmax(scores)


def test_language_model_perplexity_falls_with_direct_connections(chars):
    _, X = chars
    params = dict(hidden_size=8, cell="gru", max_iter=10, learning_rate=0.01,
                  random_state=0)
    plain = RNNLanguageModel(**params).fit(X)
    direct = RNNLanguageModel(direct_order=3, **params).fit(X)
    assert direct.perplexity(X) < plain.perplexity(X)


def test_language_model_sample_weight_equals_copies(chars):
    transformer, _ = chars
    X = transformer.transform(["the cat sat", "on the mat", "the dog"])
    w = np.array([2, 0, 1])
    params = dict(hidden_size=4, direct_order=2, bptt_steps=3, max_iter=2,
                  random_state=0, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = RNNLanguageModel(**params).fit(X, sample_weight=w)
        copies = RNNLanguageModel(**params).fit(X[np.repeat(np.arange(3), w)])
    for name, value in copies.weights_.items():
        assert_allclose(weighted.weights_[name], value, rtol=1e-9, atol=1e-12)
