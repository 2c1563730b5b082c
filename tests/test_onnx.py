"""ONNX export: onnxruntime serves the same probabilities as skrnn.

Every cell, direction, layer count, pooling and embedding option, for numeric
and one-hot input, on held-out ragged batches of lengths 0 to 60: the
probabilities of onnxruntime within 1e-5 of `predict_proba` (float32 models)
and the same `predict`. Skipped where onnx or onnxruntime is not installed.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import skrnn
from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier
from skrnn.onnx import onnx_inputs, to_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = 1e-5
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
# 10 words and the out-of-vocabulary slot: 11 token slots, so that with
# hidden_size=4 one-hot input takes both routes of the first layer (the
# gathered projections for 'rnn', OneHot for 'gru' and 'lstm').
WORDS = [f"w{i}" for i in range(10)]


def lengths_1_to_60(rng, n):
    """n lengths in 1..60, both ends included, plus one empty sequence."""
    return np.r_[1, 60, 0, rng.randint(1, 61, size=n - 3)]


@pytest.fixture(scope="module")
def numeric_data():
    rng = np.random.RandomState(0)

    def make(n):
        return [rng.normal(size=(length, 2)).astype(np.float32)
                for length in lengths_1_to_60(rng, n)]

    X_train, X_test = make(30), make(25)
    y_train = rng.randint(3, size=len(X_train))
    return X_train, y_train, X_test


@pytest.fixture(scope="module")
def token_data():
    rng = np.random.RandomState(1)
    words = np.array(WORDS + ["unseen"])  # "unseen" only in the test data
    X_train = [list(words[rng.randint(10, size=n)]) for n in lengths_1_to_60(rng, 30)]
    X_test = [list(words[rng.randint(11, size=n)]) for n in lengths_1_to_60(rng, 25)]
    y_train = rng.randint(2, size=len(X_train))
    return X_train, y_train, X_test


def session(model):
    return ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=2 does not converge
        return estimator.fit(X, y)


def classifier(cell, nonlinearity, bidirectional, num_layers, pooling, embedding):
    return RNNClassifier(
        hidden_size=4, cell=cell, nonlinearity=nonlinearity,
        bidirectional=bidirectional, num_layers=num_layers, pooling=pooling,
        embedding_size=3 if embedding else None, learning_rate=0.05,
        max_iter=2, random_state=0,
    )


def check_parity(estimator, X, **kwargs):
    probabilities, labels = session(to_onnx(estimator, **kwargs)).run(
        None, onnx_inputs(estimator, X, **kwargs)
    )
    expected = estimator.predict_proba(X)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=TOLERANCE)
    np.testing.assert_array_equal(labels, estimator.predict(X))
    return np.abs(probabilities - expected).max()


@pytest.mark.parametrize("embedding", [False, True], ids=["plain", "embedding"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["1layer", "2layers"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=lambda v: v)
@pytest.mark.parametrize("input_kind", ["numeric", "one_hot"])
def test_onnxruntime_matches_predict_proba(
    input_kind, cell, nonlinearity, bidirectional, num_layers, pooling, embedding,
    numeric_data, token_data,
):
    clf = classifier(cell, nonlinearity, bidirectional, num_layers, pooling, embedding)
    if input_kind == "numeric":
        X_train, y_train, X_test = numeric_data
        fit_quietly(clf, X_train, y_train)
        check_parity(clf, X_test)
    else:
        X_train, y_train, X_test = token_data
        pipe = make_pipeline(OneHotSequenceTransformer(dtype=np.float32), clf)
        fit_quietly(pipe, X_train, y_train)
        check_parity(pipe, X_test)


def test_one_hot_routes_of_the_first_layer(token_data):
    """Without an embedding, the narrower of OneHot (V columns) and the
    gathered projections (directions * gates * H columns) feeds layer 0."""
    X_train, y_train, _ = token_data
    for cell, expected in [("rnn", "Gather"), ("lstm", "OneHot")]:
        pipe = make_pipeline(
            OneHotSequenceTransformer(dtype=np.float32),
            RNNClassifier(hidden_size=4, cell=cell, max_iter=1, random_state=0),
        )
        fit_quietly(pipe, X_train, y_train)
        nodes = to_onnx(pipe).graph.node
        recurrent = next(n for n in nodes if n.op_type == cell.upper())
        feeding = next(n for n in nodes if recurrent.input[0] in n.output)
        assert feeding.op_type == expected


def test_standard_operators_and_attributes():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 5, 2, 4)]
    for cell, op in [("rnn", "RNN"), ("gru", "GRU"), ("lstm", "LSTM")]:
        clf = fit_quietly(
            RNNClassifier(hidden_size=3, cell=cell, bidirectional=True, num_layers=2,
                          max_iter=1, random_state=0),
            X, [0, 1, 0, 1],
        )
        model = to_onnx(clf)
        onnx.checker.check_model(model, full_check=True)
        nodes = [node for node in model.graph.node if node.op_type == op]
        assert len(nodes) == 2
        for node in nodes:
            attributes = {
                a.name: onnx.helper.get_attribute_value(a) for a in node.attribute
            }
            assert attributes["direction"] == b"bidirectional"
            assert attributes["hidden_size"] == 3
            assert node.input[4], "sequence_lens is wired"
            if cell == "gru":
                assert attributes["linear_before_reset"] == 1
        assert [o.name for o in model.graph.output] == ["probabilities", "label"]
        assert [i.name for i in model.graph.input] == ["X", "lengths"]


def test_padding_cannot_leak(numeric_data, token_data):
    """Whatever sits in the padding, the outputs are the same."""
    X_train, y_train, X_test = numeric_data
    clf = fit_quietly(
        RNNClassifier(hidden_size=4, cell="lstm", bidirectional=True, pooling="max",
                      max_iter=1, random_state=0),
        X_train, y_train,
    )
    run = session(to_onnx(clf)).run
    feed = onnx_inputs(clf, X_test)
    clean = run(None, feed)[0]
    padding = np.arange(feed["X"].shape[1]) >= feed["lengths"][:, None]
    feed["X"][padding] = 1e3
    np.testing.assert_array_equal(run(None, feed)[0], clean)

    X_train, y_train, X_test = token_data
    pipe = fit_quietly(
        make_pipeline(OneHotSequenceTransformer(dtype=np.float32),
                      RNNClassifier(hidden_size=4, cell="gru", pooling="mean",
                                    bidirectional=True, max_iter=1, random_state=0)),
        X_train, y_train,
    )
    run = session(to_onnx(pipe)).run
    feed = onnx_inputs(pipe, X_test)
    clean = run(None, feed)[0]
    padding = np.arange(feed["token_ids"].shape[1]) >= feed["lengths"][:, None]
    feed["token_ids"][padding] = 5
    np.testing.assert_array_equal(run(None, feed)[0], clean)


def test_input_forms_give_the_same_feed(numeric_data):
    """2-D, NaN-padded 3-D and ragged X are read as predict reads them."""
    rng = np.random.RandomState(0)
    X2 = rng.normal(size=(6, 5)).astype(np.float32)
    X2[1, 3:] = np.nan  # a shorter sequence
    clf = fit_quietly(
        RNNClassifier(hidden_size=3, cell="gru", max_iter=1, random_state=0),
        X2, [0, 1] * 3,
    )
    feed = onnx_inputs(clf, X2)
    assert feed["X"].dtype == np.float32 and feed["X"].shape == (6, 5, 1)
    np.testing.assert_array_equal(feed["lengths"], [5, 3, 5, 5, 5, 5])
    assert not np.isnan(feed["X"]).any()
    probabilities = session(to_onnx(clf)).run(None, feed)[0]
    np.testing.assert_allclose(probabilities, clf.predict_proba(X2), atol=TOLERANCE)

    X_train, y_train, X_test = numeric_data
    clf = fit_quietly(
        RNNClassifier(hidden_size=3, max_iter=1, random_state=0), X_train, y_train
    )
    longest = max(len(x) for x in X_test)
    X3 = np.full((len(X_test), longest, 2), np.nan, dtype=np.float32)
    for i, x in enumerate(X_test):
        X3[i, : len(x)] = x
    ragged, padded = onnx_inputs(clf, X_test), onnx_inputs(clf, X3)
    for key in ragged:
        np.testing.assert_array_equal(ragged[key], padded[key])
    # OneHotSequences for a float graph: the dense one-hot steps
    X_ids = OneHotSequences([0, 1, 1], offsets=[0, 2, 2, 3], n_token_slots=2)
    clf = fit_quietly(RNNClassifier(hidden_size=3, max_iter=1), X_ids, [0, 1, 1])
    feed = onnx_inputs(clf, X_ids)
    np.testing.assert_array_equal(feed["X"], X_ids.toarray())
    np.testing.assert_array_equal(feed["lengths"], [2, 0, 1])
    check_parity(clf, X_ids)
    check_parity(clf, X_ids, token_ids=True)


def test_float64_model_is_exported_in_float32(numeric_data):
    X_train, y_train, X_test = numeric_data
    X_train = [x.astype(np.float64) for x in X_train]
    clf = fit_quietly(
        RNNClassifier(hidden_size=4, cell="gru", pooling="mean", max_iter=2,
                      random_state=0),
        X_train, y_train,
    )
    assert clf.weights_["weight_out"].dtype == np.float64
    check_parity(clf, X_test)


def test_string_labels_and_many_classes(token_data):
    X_train, y_train, X_test = token_data
    labels = np.array(["no", "yes", "maybe"])[(y_train + np.arange(len(y_train))) % 3]
    pipe = fit_quietly(
        make_pipeline(OneHotSequenceTransformer(dtype=np.float32),
                      RNNClassifier(hidden_size=3, max_iter=2, random_state=0)),
        X_train, labels,
    )
    check_parity(pipe, X_test)


def test_regressor_head():
    """The head of a regressor is identity, predictions of shape (batch,)
    for one output; checked here with a classifier tagged as a regressor,
    against its own final states, until RNNRegressor exists."""

    class TaggedRegressor(RNNClassifier):
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.estimator_type = "regressor"
            return tags

    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 7, 1, 4)]
    reg = fit_quietly(
        TaggedRegressor(hidden_size=3, pooling="last", max_iter=1, random_state=0), X,
        [0, 1, 0, 1]
    )
    for n_outputs in (1, 2):
        reg.weights_ = dict(
            reg.weights_,
            weight_out=rng.normal(size=(n_outputs, 3)).astype(np.float32),
            bias_out=rng.normal(size=n_outputs).astype(np.float32),
        )
        model = to_onnx(reg)
        assert [o.name for o in model.graph.output] == ["predictions"]
        (predictions,) = session(model).run(None, onnx_inputs(reg, X))
        last = np.array([h[-1] for h in reg.hidden_states(X)])
        expected = last @ reg.weights_["weight_out"].T + reg.weights_["bias_out"]
        if n_outputs == 1:
            expected = expected[:, 0]
        assert predictions.shape == expected.shape
        np.testing.assert_allclose(predictions, expected, atol=TOLERANCE)


@pytest.mark.skipif(not hasattr(skrnn, "RNNRegressor"), reason="no RNNRegressor yet")
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_rnn_regressor_parity(cell, numeric_data):
    X_train, _, X_test = numeric_data
    rng = np.random.RandomState(0)
    for n_outputs, pooling in [(1, "last"), (2, "mean"), (1, "max")]:
        y = rng.normal(size=(len(X_train), n_outputs)).astype(np.float32)
        reg = fit_quietly(
            skrnn.RNNRegressor(hidden_size=4, cell=cell, pooling=pooling,
                               bidirectional=True, num_layers=2, max_iter=2,
                               random_state=0),
            X_train, y[:, 0] if n_outputs == 1 else y,
        )
        model = to_onnx(reg)
        assert [o.name for o in model.graph.output] == ["predictions"]
        (predictions,) = session(model).run(None, onnx_inputs(reg, X_test))
        expected = reg.predict(X_test)
        assert predictions.shape == expected.shape
        np.testing.assert_allclose(predictions, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.skipif(
    not hasattr(skrnn, "RNNLanguageModel"), reason="no RNNLanguageModel yet"
)
def test_language_model_is_refused():
    texts = ["a b c", "b c a", "c a b a"] * 4
    lm = fit_quietly(
        make_pipeline(OneHotSequenceTransformer(),
                      skrnn.RNNLanguageModel(hidden_size=3, max_iter=1)),
        texts, None,
    )
    with pytest.raises(TypeError, match="classifiers and regressors"):
        to_onnx(lm)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 5, 2, 4)]
    return fit_quietly(RNNClassifier(hidden_size=3, max_iter=1, random_state=0),
                       X, [0, 1, 0, 1])


def test_unfitted_export_is_an_error():
    with pytest.raises(NotFittedError):
        to_onnx(RNNClassifier())
    with pytest.raises(NotFittedError):
        onnx_inputs(RNNClassifier(), [np.zeros((2, 1))])
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(OneHotSequenceTransformer(), RNNClassifier()))


def test_what_cannot_be_exported_is_refused(fitted):
    with pytest.raises(TypeError, match="not an skrnn recurrent estimator"):
        to_onnx(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))
    with pytest.raises(TypeError, match="skrnn classifiers and regressors"):
        to_onnx("model")
    with pytest.raises(TypeError, match="step 'functiontransformer'"):
        to_onnx(make_pipeline(FunctionTransformer(), fitted))
    changed = RNNClassifier(**fitted.get_params())
    changed.__dict__.update(
        {k: v for k, v in vars(fitted).items() if k.endswith("_")}
    )
    changed.set_params(hidden_size=5)
    with pytest.raises(ValueError, match="set_params after fit"):
        to_onnx(changed)
    changed.set_params(hidden_size=3, nonlinearity="gelu")  # no such activation
    with pytest.raises(ValueError, match="nonlinearity='gelu'"):
        to_onnx(changed)
    changed.set_params(nonlinearity="tanh", pooling="attention")
    with pytest.raises(ValueError, match="pooling='attention'"):
        to_onnx(changed)
    with pytest.raises(TypeError, match="token_ids must be"):
        to_onnx(fitted, token_ids="yes")


def test_wrong_input_at_the_helper(fitted):
    with pytest.raises(TypeError, match="OneHotSequenceTransformer"):
        onnx_inputs(fitted, ["you are good", "are you good"])
    with pytest.raises(TypeError, match="token ids"):
        onnx_inputs(fitted, [np.zeros((3, 2))], token_ids=True)
    with pytest.raises(ValueError, match="steps of 3 number\\(s\\)"):
        onnx_inputs(fitted, [np.zeros((3, 3))])
    with pytest.raises(ValueError, match="steps of 1 number\\(s\\)"):
        onnx_inputs(fitted, np.zeros((4, 6)))
    with pytest.raises(ValueError, match="NaN inside sequence 0"):
        onnx_inputs(fitted, [np.array([[0.0, 1.0], [np.nan, 1.0], [1.0, 1.0]])])
    with pytest.raises(ValueError, match="0 sequences"):
        onnx_inputs(fitted, [])
    with pytest.raises(ValueError, match="4 dimensions"):
        onnx_inputs(fitted, np.zeros((2, 3, 2, 1)))
    with pytest.raises(ValueError, match="Complex"):
        onnx_inputs(fitted, [np.zeros((3, 2), dtype=complex)])
    with pytest.raises(ValueError, match="3 token slots.*input_size_"):
        onnx_inputs(
            fitted, OneHotSequences([0, 2], offsets=[0, 2], n_token_slots=3),
            token_ids=True,
        )


def test_speed_benchmark_runs(capsys):
    """benchmarks/onnx_speed.py keeps running (its figures are in
    benchmarks/RESULTS.md, never asserted here)."""
    from _benchmark_scripts import load_script

    module = load_script("onnx_speed")
    argv = ["--cells", "rnn,lstm", "--hidden-sizes", "3", "--n-samples", "40",
            "--vocab", "30", "--repeats", "1", "--threads", "1", "--embedding"]
    assert module.main(argv) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith(("| rnn", "| lstm"))]
    assert len(rows) == 4
    assert all(float(row.split("|")[-2]) < TOLERANCE for row in rows)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_batches_of_empty_sequences_and_of_one(cell):
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 5, 2, 4)]
    for pooling in ("last", "mean", "max"):
        clf = fit_quietly(
            RNNClassifier(hidden_size=3, cell=cell, bidirectional=True,
                          pooling=pooling, max_iter=1, random_state=0),
            X, [0, 1, 0, 1],
        )
        run = session(to_onnx(clf)).run
        empty = np.zeros((0, 2), dtype=np.float32)
        for X_test in ([empty] * 3, X[:1], [empty, X[1]]):
            np.testing.assert_allclose(
                run(None, onnx_inputs(clf, X_test))[0], clf.predict_proba(X_test),
                rtol=0, atol=TOLERANCE,
            )
