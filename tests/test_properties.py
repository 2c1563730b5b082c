"""Property-based tests (hypothesis) of every estimator and transformer.

Issue 29, item 4. For generated sequences (ragged lengths, empty ones where
allowed, 1-3 features, float64) and tiny networks:

- the forms of X agree: a ragged list, a tuple, a 1-D object array, a
  NaN-padded 3-D array, a 2-D table (univariate), nested lists, the same
  sequences reordered or one at a time all give the same output to 1e-10;
- ``predict_proba`` rows are finite and sum to 1;
- refused input (near misses of valid input) raises ValueError or TypeError
  naming the problem, and leaves a fitted estimator exactly as it was;
- a fit or partial_fit that raises (divergence included) leaves the
  estimator exactly as it was.

Every test is derandomized (reproducible in CI). The quick tests run in
well under a minute; the ``slow`` ones run the same properties on many more
examples.
"""

import copy
import re
import warnings

import numpy as np
import pytest
import scipy.sparse

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from skrnn import (  # noqa: E402
    OneHotSequences,
    OneHotSequenceTransformer,
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    SequenceScaler,
    SequenceWindows,
)

TOL = 1e-10


def quick(n, shrink=True):
    """Settings of a quick (not slow) property test: ``n`` examples, the same
    ones on every run (no example database). ``shrink=False`` skips
    shrinking a failure to its smallest example (which can take minutes)."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=n,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def thorough(n):
    """Settings of a slow property test (run by CI, not the quick loop)."""
    return quick(n)


@pytest.fixture(autouse=True)
def _quiet():
    # max_iter of 1-3 epochs never converges: the warning is expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------------------
# Deep comparison of an estimator's state
# ---------------------------------------------------------------------------


def _differences(a, b, path="estimator", seen=None):
    """Where a and b differ (a list of paths); arrays compared exactly, NaN
    equal to NaN, random states by their state."""
    seen = set() if seen is None else seen
    if (id(a), id(b)) in seen:
        return []
    seen.add((id(a), id(b)))
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return [f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"]
        if a.dtype.kind in "fc":
            same = np.array_equal(a, b, equal_nan=True)
        elif a.dtype == object:
            return [
                d for i, (x, y) in enumerate(zip(a.ravel(), b.ravel()))
                for d in _differences(x, y, f"{path}[{i}]", seen)
            ]
        else:
            same = np.array_equal(a, b)
        return [] if same else [f"{path}: arrays differ"]
    if isinstance(a, np.random.RandomState):
        return _differences(a.get_state(legacy=False), b.get_state(legacy=False),
                            f"{path}.get_state()", seen)
    if isinstance(a, np.random.Generator):
        return _differences(a.bit_generator.state, b.bit_generator.state,
                            f"{path}.bit_generator.state", seen)
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}[{k!r}]", seen)]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [
            d for i, (x, y) in enumerate(zip(a, b))
            for d in _differences(x, y, f"{path}[{i}]", seen)
        ]
    if isinstance(a, (float, np.floating)):
        same = a == b or (np.isnan(a) and np.isnan(b))
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, (str, bytes, int, bool, complex, np.generic, type(None), type)):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if hasattr(a, "__dict__") or hasattr(type(a), "__slots__"):
        state_a, state_b = _object_state(a), _object_state(b)
        return _differences(state_a, state_b, path, seen)
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _object_state(obj):
    """What pickling and copying keep of ``obj`` (its ``__getstate__``, which
    may leave out scratch memory), as a dict."""
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else None
    if isinstance(state, dict):
        return dict(state)
    if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
        return {**(state[0] or {}), **(state[1] or {})}
    state = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if hasattr(obj, name):
                state[name] = getattr(obj, name)
    return state


def assert_unchanged(before, after):
    """``after`` holds exactly the state of ``before`` (a deep copy of it)."""
    differences = _differences(before, after)
    assert not differences, "the estimator changed: " + "; ".join(differences[:5])


# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

VALUES = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def ragged_sequences(draw, min_n=2, max_n=5, min_len=0, max_len=4,
                     n_features=None, values=VALUES, nonempty=True):
    """A list of float64 arrays (length_i, n_features); with ``nonempty`` at
    least one sequence has a step."""
    F = draw(st.integers(1, 3)) if n_features is None else n_features
    n = draw(st.integers(min_n, max_n))
    lengths = draw(st.lists(st.integers(min_len, max_len), min_size=n, max_size=n))
    if nonempty and not any(lengths):
        lengths[draw(st.integers(0, n - 1))] = max(1, min_len)
    return [draw(hnp.arrays(np.float64, (L, F), elements=values)) for L in lengths]


@st.composite
def network_params(draw, bidirectional=True, pooling=True):
    """Parameters of a tiny recurrent network."""
    cell = draw(st.sampled_from(["rnn", "gru", "lstm"]))
    params = dict(
        hidden_size=draw(st.integers(2, 4)),
        cell=cell,
        num_layers=draw(st.integers(1, 2)),
        embedding_size=draw(st.sampled_from([None, 2])),
        max_iter=draw(st.integers(1, 2)),
        solver=draw(st.sampled_from(["adam", "sgd"])),
        random_state=draw(st.integers(0, 2**16)),
    )
    if cell == "rnn":
        params["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    if bidirectional:
        params["bidirectional"] = draw(st.booleans())
    if pooling:
        params["pooling"] = draw(st.sampled_from(["last", "mean", "max"]))
    return params


# ---------------------------------------------------------------------------
# The forms of the same sequences
# ---------------------------------------------------------------------------


def object_array(items):
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):  # one by one: no broadcasting
        out[i] = item
    return out


def padded(seqs):
    """The sequences as a NaN-padded (n, T, F) array."""
    F = seqs[0].shape[1]
    T = max(len(s) for s in seqs)
    out = np.full((len(seqs), T, F), np.nan)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def forms(seqs):
    """Every accepted form of the (dense, float64) sequences ``seqs``."""
    F = seqs[0].shape[1]
    out = {
        "list": list(seqs),
        "tuple": tuple(seqs),
        "object array": object_array(seqs),
        "padded 3-D": padded(seqs),
    }
    if any(len(s) for s in seqs):
        # empty sequences given as a bare [] (no feature axis); with no
        # array among them, [[], []] would be a table of 0 columns
        out["list, [] for empty"] = [s if len(s) else [] for s in seqs]
        out["nested lists"] = [s.tolist() for s in seqs]
    if F == 1:
        out["list of 1-D"] = [s[:, 0] for s in seqs]
        out["object array of 1-D"] = object_array([s[:, 0] for s in seqs])
        if max(len(s) for s in seqs):
            out["2-D table"] = padded(seqs)[:, :, 0]
    return out


def as_list(output, n):
    """An output (array with rows per sequence, or list) as a list of rows."""
    return [np.asarray(output[i]) for i in range(n)]


def assert_outputs_equal(expected, got, what):
    assert len(expected) == len(got), what
    for i, (a, b) in enumerate(zip(expected, got)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{what}: sequence {i}: {a.shape} != {b.shape}"
        np.testing.assert_allclose(b, a, rtol=TOL, atol=TOL,
                                   err_msg=f"{what}: sequence {i}")


def check_forms_agree(seqs, outputs, perm):
    """``outputs(X)`` returns a list (one entry per sequence) of each output
    of interest; it must not depend on the form of X, the order of the
    sequences, or their company."""
    n = len(seqs)
    reference = outputs(list(seqs))
    for name, X in forms(seqs).items():
        got = outputs(X)
        for k, (a, b) in enumerate(zip(reference, got)):
            assert_outputs_equal(a, b, f"form {name!r}, output {k}")
    reordered = outputs([seqs[i] for i in perm])
    for k, (a, b) in enumerate(zip(reference, reordered)):
        assert_outputs_equal([a[i] for i in perm], b, f"reordered, output {k}")
    alone = [outputs([s]) for s in seqs]
    for k, a in enumerate(reference):
        assert_outputs_equal(a, [alone[i][k][0] for i in range(n)],
                             f"one at a time, output {k}")


# ---------------------------------------------------------------------------
# Forms agree: classifier and regressor
# ---------------------------------------------------------------------------


def _classifier_forms(data):
    seqs = data.draw(ragged_sequences(), label="sequences")
    n = len(seqs)
    n_classes = data.draw(st.integers(2, min(3, n)), label="n_classes")
    y = np.arange(n) % n_classes
    params = data.draw(network_params(), label="params")
    clf = RNNClassifier(**params).fit(seqs, y)
    perm = data.draw(st.permutations(range(n)), label="perm")

    def outputs(X):
        proba = clf.predict_proba(X)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert proba.shape == (len(X), n_classes)
        return [as_list(proba, len(X)), clf.hidden_states(X), clf.predict(X)]

    check_forms_agree(seqs, outputs, perm)
    # fitting on another form gives the same model
    for name in ("padded 3-D", "object array"):
        other = RNNClassifier(**params).fit(forms(seqs)[name], y)
        for key, w in clf.weights_.items():
            np.testing.assert_allclose(other.weights_[key], w, rtol=TOL, atol=TOL,
                                       err_msg=f"fit on {name!r}: {key}")


@quick(50)
@given(st.data())
def test_classifier_forms_agree(data):
    _classifier_forms(data)


@pytest.mark.slow
@thorough(300)
@given(st.data())
def test_classifier_forms_agree_thorough(data):
    _classifier_forms(data)


def _regressor_forms(data):
    seqs = data.draw(ragged_sequences(), label="sequences")
    n = len(seqs)
    n_outputs = data.draw(st.integers(1, 2), label="n_outputs")
    y = data.draw(hnp.arrays(np.float64, (n, n_outputs), elements=VALUES), label="y")
    if n_outputs == 1:
        y = y[:, 0]
    params = data.draw(network_params(), label="params")
    reg = RNNRegressor(**params).fit(seqs, y)
    perm = data.draw(st.permutations(range(n)), label="perm")

    def outputs(X):
        prediction = reg.predict(X)
        assert np.isfinite(prediction).all()
        assert prediction.shape == ((len(X),) if n_outputs == 1 else (len(X), n_outputs))
        return [as_list(prediction, len(X)), reg.hidden_states(X)]

    check_forms_agree(seqs, outputs, perm)


@quick(40)
@given(st.data())
def test_regressor_forms_agree(data):
    _regressor_forms(data)


@pytest.mark.slow
@thorough(300)
@given(st.data())
def test_regressor_forms_agree_thorough(data):
    _regressor_forms(data)


# ---------------------------------------------------------------------------
# Forms agree: one-hot input (ids vs the dense one-hot vectors)
# ---------------------------------------------------------------------------


@st.composite
def token_sequences(draw, min_n=2, max_n=5, max_len=5, n_slots=None, min_len=0):
    V = draw(st.integers(2, 5)) if n_slots is None else n_slots
    n = draw(st.integers(min_n, max_n))
    ids = [
        draw(st.lists(st.integers(0, V - 1), min_size=min_len, max_size=max_len))
        for _ in range(n)
    ]
    return ids, V


def one_hot(ids, V):
    lengths = [len(s) for s in ids]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.intp)
    flat = np.asarray([t for s in ids for t in s], dtype=np.intp)
    return OneHotSequences(flat, offsets, V)


def _one_hot_classifier(data):
    ids, V = data.draw(token_sequences(), label="token ids")
    X = one_hot(ids, V)
    n = len(ids)
    y = np.arange(n) % 2
    params = data.draw(network_params(), label="params")
    clf = RNNClassifier(**params).fit(X, y)
    perm = np.asarray(data.draw(st.permutations(range(n)), label="perm"))

    def outputs(Z):
        proba = clf.predict_proba(Z)
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        return [as_list(proba, len(Z)), clf.hidden_states(Z)]

    reference = outputs(X)
    dense = [X[i] for i in range(n)]  # the one-hot vectors, one array each
    for name, Z in [*forms(dense).items(), ("reordered ids", X[perm])]:
        got = outputs(Z)
        if name == "reordered ids":
            expected = [[a[i] for i in perm] for a in reference]
        else:
            expected = reference
        for k, (a, b) in enumerate(zip(expected, got)):
            assert_outputs_equal(a, b, f"{name}, output {k}")
    alone = [outputs(X[[i]]) for i in range(n)]
    for k, a in enumerate(reference):
        assert_outputs_equal(a, [alone[i][k][0] for i in range(n)], "one at a time")


@quick(40)
@given(st.data())
def test_one_hot_classifier_forms_agree(data):
    _one_hot_classifier(data)


@pytest.mark.slow
@thorough(200)
@given(st.data())
def test_one_hot_classifier_forms_agree_thorough(data):
    _one_hot_classifier(data)


# ---------------------------------------------------------------------------
# Forms agree: language model
# ---------------------------------------------------------------------------


def _language_model(data):
    V = data.draw(st.integers(2, 5), label="V")
    params = data.draw(network_params(bidirectional=False, pooling=False),
                       label="params")
    params["bptt_steps"] = data.draw(st.integers(1, 4), label="bptt_steps")
    train = OneHotSequences(np.arange(2 * V) % V, [0, V, 2 * V], V)
    lm = RNNLanguageModel(**params).fit(train)
    ids, _ = data.draw(token_sequences(n_slots=V, max_len=7), label="token ids")
    X = one_hot(ids, V)
    n = len(ids)
    perm = np.asarray(data.draw(st.permutations(range(n)), label="perm"))

    def outputs(Z):
        score = lm.score_samples(Z)
        assert np.isfinite(score).all() and (score <= 0).all()
        return [as_list(score, len(Z)), lm.hidden_states(Z)]

    reference = outputs(X)
    assert [len(h) for h in reference[1]] == [len(s) for s in ids]
    for i, s in enumerate(ids):
        if len(s) < 2:
            assert reference[0][i] == 0.0
    got = outputs(X[perm])
    for k, (a, b) in enumerate(zip(reference, got)):
        assert_outputs_equal([a[i] for i in perm], b, f"reordered, output {k}")
    alone = [outputs(X[[i]]) for i in range(n)]
    for k, a in enumerate(reference):
        assert_outputs_equal(a, [alone[i][k][0] for i in range(n)], "one at a time")
    # in the company of a long sequence (other chunking of the streams)
    company = one_hot([list(np.arange(40) % V)] + ids, V)
    got = outputs(company)
    for k, a in enumerate(reference):
        assert_outputs_equal(a, got[k][1:], f"next to a long sequence, output {k}")
    lengths = {len(s) for s in ids}
    if len(lengths) == 1 and lengths != {0}:
        table = np.asarray(ids, dtype=np.int64)  # a 2-D array of token ids
        for k, (a, b) in enumerate(zip(reference, outputs(table))):
            assert_outputs_equal(a, b, f"2-D array of ids, output {k}")


@quick(40)
@given(st.data())
def test_language_model_forms_agree(data):
    _language_model(data)


@pytest.mark.slow
@thorough(200)
@given(st.data())
def test_language_model_forms_agree_thorough(data):
    _language_model(data)


# ---------------------------------------------------------------------------
# Forms agree: SequenceScaler, SequenceWindows, OneHotSequenceTransformer
# ---------------------------------------------------------------------------


def _strip(item):
    """A sequence from a transformer's output, trailing all-NaN steps cut,
    as a 2-D array."""
    a = np.asarray(item, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, np.newaxis]
    keep = len(a)
    while keep and np.isnan(a[keep - 1]).all():
        keep -= 1
    # an empty item comes back in its own shape ((0,) for a bare [])
    return a[:keep] if keep else np.empty((0, 0))


def _scaler(data):
    seqs = data.draw(ragged_sequences(min_n=1), label="sequences")
    n = len(seqs)
    with_mean, with_std = data.draw(st.booleans()), data.draw(st.booleans())
    scaler = SequenceScaler(with_mean=with_mean, with_std=with_std).fit(seqs)
    steps = np.concatenate(seqs)
    assert np.isfinite(scaler.mean_).all()
    np.testing.assert_allclose(scaler.mean_, steps.mean(axis=0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scaler.var_, steps.var(axis=0), rtol=1e-9, atol=1e-12)
    perm = data.draw(st.permutations(range(n)), label="perm")

    def outputs(X):
        out = scaler.transform(X)
        rows = [_strip(item) for item in out]
        back = scaler.inverse_transform(out)
        return [rows, [_strip(item) for item in back]]

    check_forms_agree(seqs, outputs, perm)
    reference = outputs(seqs)
    assert_outputs_equal([_strip(s) for s in seqs], reference[1],
                         "inverse_transform(transform(X))")
    # fitted on any form, or a chunk at a time, the statistics agree
    for name, X in forms(seqs).items():
        other = SequenceScaler(with_mean=with_mean, with_std=with_std).fit(X)
        for attribute in ("mean_", "var_", "n_steps_seen_"):
            np.testing.assert_allclose(getattr(other, attribute),
                                       getattr(scaler, attribute), rtol=TOL, atol=TOL,
                                       err_msg=f"fit on {name!r}: {attribute}")
    chunked = SequenceScaler(with_mean=with_mean, with_std=with_std)
    first = next(i for i, s in enumerate(seqs) if len(s))
    chunked.partial_fit(seqs[: first + 1])  # the first call needs a step
    for s in seqs[first + 1 :]:
        chunked.partial_fit([s])  # empty ones included
    np.testing.assert_allclose(chunked.mean_, scaler.mean_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(chunked.var_, scaler.var_, rtol=1e-9, atol=1e-12)


@quick(50)
@given(st.data())
def test_sequence_scaler_forms_agree(data):
    _scaler(data)


@pytest.mark.slow
@thorough(400)
@given(st.data())
def test_sequence_scaler_forms_agree_thorough(data):
    _scaler(data)


def _windows(data):
    seqs = data.draw(ragged_sequences(min_n=1, max_len=7), label="sequences")
    longest = max(len(s) for s in seqs)
    size = data.draw(st.integers(1, longest), label="size")
    stride = data.draw(st.sampled_from([None, 1, 2, 3]), label="stride")
    windows = SequenceWindows(size, stride=stride).fit(seqs)
    step = size if stride is None else stride
    F = seqs[0].shape[1]
    perm = data.draw(st.permutations(range(len(seqs))), label="perm")

    def outputs(X):
        return [[_strip(item) for item in windows.transform(X)]]

    reference = outputs(seqs)[0]
    for s, w in zip(seqs, reference):  # what a window is
        n_windows = (len(s) - size) // step + 1 if len(s) >= size else 0
        assert w.shape == (n_windows, size * F) or (n_windows == 0 and len(w) == 0)
        for j in range(n_windows):
            np.testing.assert_array_equal(w[j], s[j * step : j * step + size].ravel())
    # one at a time: only sequences a window fits in (else, by design, an error)
    fits = [i for i, s in enumerate(seqs) if len(s) >= size]
    check_forms_agree([seqs[i] for i in fits],
                      outputs, data.draw(st.permutations(range(len(fits)))))
    for name, X in forms(seqs).items():
        assert_outputs_equal(reference, outputs(X)[0], f"form {name!r}")
    assert_outputs_equal([reference[i] for i in perm],
                         outputs([seqs[i] for i in perm])[0], "reordered")


@quick(60)
@given(st.data())
def test_sequence_windows_forms_agree(data):
    _windows(data)


@pytest.mark.slow
@thorough(400)
@given(st.data())
def test_sequence_windows_forms_agree_thorough(data):
    _windows(data)


WORDS = ["a", "b", "you", "are", "zz"]


def _transformer(data):
    fit_tokens = data.draw(
        st.lists(st.lists(st.sampled_from(WORDS), max_size=4), min_size=1,
                 max_size=4).filter(lambda t: any(t)),
        label="fit tokens",
    )
    tokens = data.draw(
        st.lists(st.lists(st.sampled_from(WORDS + ["new"]), max_size=4),
                 min_size=1, max_size=5),
        label="tokens",
    )
    transformer = OneHotSequenceTransformer(
        min_frequency=data.draw(st.integers(1, 2))
    )
    try:
        transformer.fit([" ".join(t) for t in fit_tokens])
    except ValueError as error:  # every token infrequent
        assert "empty vocabulary" in str(error)
        return
    documents = [" ".join(t) for t in tokens]
    n = len(tokens)

    def ids(X):
        out = transformer.transform(X)
        assert isinstance(out, OneHotSequences)
        assert out.n_token_slots == transformer.n_token_slots_
        return [out.ids[out.offsets[i] : out.offsets[i + 1]] for i in range(len(out))]

    reference = ids(documents)
    assert [len(r) for r in reference] == [len(t) for t in tokens]
    oov = len(transformer.vocabulary_)
    for t, r in zip(tokens, reference):
        np.testing.assert_array_equal(
            r, [transformer.vocabulary_.get(w, oov) for w in t]
        )
    token_forms = {
        "tuple of documents": tuple(documents),
        "object array of documents": object_array(documents),
        "str array of documents": np.asarray(documents, dtype=str),
        "token lists": tokens,
        "token tuples": [tuple(t) for t in tokens],
        "object array of token arrays": object_array(
            [np.asarray(t, dtype=object) for t in tokens]
        ),
    }
    if not any(tokens):  # only empty sequences: no token lists to tell apart
        token_forms = {k: v for k, v in token_forms.items() if "document" in k}
    for name, X in token_forms.items():
        assert_outputs_equal(reference, ids(X), name)
    perm = data.draw(st.permutations(range(n)), label="perm")
    assert_outputs_equal([reference[i] for i in perm],
                         ids([documents[i] for i in perm]), "reordered")
    assert_outputs_equal(reference, [ids([d])[0] for d in documents], "one at a time")
    back = transformer.inverse_transform(transformer.transform(documents))
    expected = [[w if w in transformer.vocabulary_ else "<unk>" for w in t]
                for t in tokens]
    assert back == expected


@quick(80)
@given(st.data())
def test_one_hot_transformer_forms_agree(data):
    _transformer(data)


@pytest.mark.slow
@thorough(500)
@given(st.data())
def test_one_hot_transformer_forms_agree_thorough(data):
    _transformer(data)


# ---------------------------------------------------------------------------
# predict_proba on large but finite input
# ---------------------------------------------------------------------------


def _proba_finite(data):
    big = st.floats(-1e8, 1e8, allow_nan=False, allow_infinity=False, width=64)
    seqs = data.draw(ragged_sequences(values=big), label="sequences")
    n = len(seqs)
    params = data.draw(network_params(), label="params")
    clf = RNNClassifier(**params).fit(
        [np.zeros((1, seqs[0].shape[1])), np.ones((2, seqs[0].shape[1]))], [0, 1]
    )
    proba = clf.predict_proba(seqs)
    assert proba.shape == (n, 2)
    assert np.isfinite(proba).all(), proba
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (proba >= 0).all()
    log_proba = clf.predict_log_proba(seqs)
    assert not np.isnan(log_proba).any()


@quick(60)
@given(st.data())
def test_predict_proba_finite_and_sums_to_one(data):
    _proba_finite(data)


@pytest.mark.slow
@thorough(300)
@given(st.data())
def test_predict_proba_finite_and_sums_to_one_thorough(data):
    _proba_finite(data)


# ---------------------------------------------------------------------------
# Refused input: near misses of valid input
# ---------------------------------------------------------------------------

# Each near miss: (X made from valid sequences, the regex the message needs).
# Messages are matched case-insensitively.
NEAR_MISSES = {
    "nan inside": r"nan",
    "nan in one feature": r"nan",
    "inf": r"inf",
    "strings": r"text|string",
    "one feature too many": r"feature|numbers|steps of",
    "4-D": r"4 dimensions|dimension",
    "sparse": r"sparse",
    "mixed widths": r"width|feature",
    "3-D sequence": r"dimension",
    "complex": r"complex",
}
# item 9: odd containers (numpy's "float() argument must be ..." today)
ODD_CONTAINERS = {
    "dict": r"dict",
    "generator": r"generator|iterator",
}
# what X may be: an error about an odd container must say it
ACCEPTED_WORDS = r"2-D array|3-D array|list of"


def near_miss(kind, seqs, data):
    """X that is ``seqs`` spoiled in one way (``seqs`` has a sequence of 2 or
    more steps)."""
    seqs = [s.copy() for s in seqs]
    F = seqs[0].shape[1]
    i = next(k for k, s in enumerate(seqs) if len(s) >= 2)
    if kind == "nan inside":
        t = data.draw(st.integers(0, len(seqs[i]) - 2), label="t")
        seqs[i][t] = np.nan  # a NaN step followed by a real one: not padding
        return data.draw(st.sampled_from([seqs, padded(seqs)]), label="container")
    if kind == "nan in one feature":
        t = data.draw(st.integers(0, len(seqs[i]) - 1), label="t")
        if F == 1 and t == len(seqs[i]) - 1:
            t -= 1
        seqs[i][t, data.draw(st.integers(0, F - 1))] = np.nan
        if F > 1:
            seqs[i][t, 0 if np.isnan(seqs[i][t, -1]) else -1] = 1.0
        return data.draw(st.sampled_from([seqs, padded(seqs)]), label="container")
    if kind == "inf":
        t = data.draw(st.integers(0, len(seqs[i]) - 1), label="t")
        seqs[i][t, data.draw(st.integers(0, F - 1))] = data.draw(
            st.sampled_from([np.inf, -np.inf]))
        return data.draw(st.sampled_from([seqs, padded(seqs)]), label="container")
    if kind == "strings":
        return data.draw(st.sampled_from([
            [" ".join(map(str, s.ravel())) for s in seqs],
            [s.astype(str) for s in seqs],
            "1 2 3",
        ]), label="text")
    if kind == "one feature too many":
        wider = [np.hstack([s, np.ones((len(s), 1))]) for s in seqs]
        return data.draw(st.sampled_from([wider, padded(wider)]), label="container")
    if kind == "4-D":
        return padded(seqs)[..., np.newaxis]
    if kind == "sparse":
        return scipy.sparse.csr_matrix(np.nan_to_num(padded(seqs)[:, :, 0]))
    if kind == "mixed widths":
        # an empty sequence has no steps whose width could differ: two
        # sequences with steps are needed, and the longest is widened
        assume(sum(len(s) > 0 for s in seqs) >= 2)
        i = max(range(len(seqs)), key=lambda j: len(seqs[j]))
        seqs[i] = np.hstack([seqs[i], np.ones((len(seqs[i]), 1))])
        return seqs
    if kind == "3-D sequence":
        seqs[i] = seqs[i][:, :, np.newaxis]
        return seqs
    if kind == "complex":
        seqs[i] = seqs[i] + 1j
        return seqs
    if kind == "dict":
        return dict(enumerate(seqs))
    if kind == "generator":
        return (s for s in seqs)
    raise AssertionError(kind)


def fitted_sequence_model(data, seqs):
    """A fitted estimator or transformer and the calls that take X."""
    kind = data.draw(st.sampled_from(
        ["classifier", "regressor", "scaler", "windows"]), label="estimator")
    n = len(seqs)
    if kind == "classifier":
        params = data.draw(network_params(), label="params")
        model = RNNClassifier(**params).fit(seqs, np.arange(n) % 2)
        calls = {
            "predict": lambda X: model.predict(X),
            "predict_proba": lambda X: model.predict_proba(X),
            "hidden_states": lambda X: model.hidden_states(X),
            "score": lambda X: model.score(X, np.arange(n) % 2),
            "partial_fit": lambda X: model.partial_fit(X, np.arange(n) % 2),
            "fit": lambda X: model.fit(X, np.arange(n) % 2),
        }
    elif kind == "regressor":
        params = data.draw(network_params(), label="params")
        model = RNNRegressor(**params).fit(seqs, np.arange(n, dtype=float))
        calls = {
            "predict": lambda X: model.predict(X),
            "hidden_states": lambda X: model.hidden_states(X),
            "partial_fit": lambda X: model.partial_fit(X, np.arange(n, dtype=float)),
            "fit": lambda X: model.fit(X, np.arange(n, dtype=float)),
        }
    elif kind == "scaler":
        model = SequenceScaler().fit(seqs)
        calls = {
            "transform": lambda X: model.transform(X),
            "inverse_transform": lambda X: model.inverse_transform(X),
            "partial_fit": lambda X: model.partial_fit(X),
            "fit": lambda X: model.fit(X),
        }
    else:
        model = SequenceWindows(1).fit(seqs)
        calls = {
            "transform": lambda X: model.transform(X),
            "fit": lambda X: model.fit(X),
        }
    method = data.draw(st.sampled_from(sorted(calls)), label="method")
    return model, method, calls[method]


def check_refused(data, kinds):
    seqs = data.draw(ragged_sequences(min_len=0), label="sequences")
    F = seqs[0].shape[1]
    if not any(len(s) >= 2 for s in seqs):
        seqs[0] = np.vstack([seqs[0], np.zeros((2, F))])
    if not len(seqs[1]):  # a second real sequence: an empty one has any width
        seqs[1] = np.ones((1, F))
    model, method, call = fitted_sequence_model(data, seqs)
    kind = data.draw(st.sampled_from(sorted(kinds)), label="near miss")
    if kind == "one feature too many" and method == "fit":
        return  # a new fit may change the width: not a near miss
    X = near_miss(kind, seqs, data)
    before = copy.deepcopy(model)
    with pytest.raises((ValueError, TypeError)) as info:
        call(X)
    assert type(info.value).__name__ not in ("FloatingPointError",)
    message = str(info.value)
    assert re.search(kinds[kind], message, re.IGNORECASE), (
        f"{type(model).__name__}.{method} refused {kind!r} with {message!r}"
    )
    if kind in ODD_CONTAINERS:
        assert re.search(ACCEPTED_WORDS, message, re.IGNORECASE), message
        assert "float() argument" not in message, message
    assert_unchanged(before, model)


@quick(150)
@given(st.data())
def test_refused_near_misses_leave_estimator_unchanged(data):
    check_refused(data, NEAR_MISSES)


@pytest.mark.slow
@thorough(600)
@given(st.data())
def test_refused_near_misses_leave_estimator_unchanged_thorough(data):
    check_refused(data, NEAR_MISSES)


@quick(40)
@given(st.data())
def test_refused_odd_containers_leave_estimator_unchanged(data):
    check_refused(data, ODD_CONTAINERS)


def _refused_language_model(data):
    ids, V = data.draw(token_sequences(min_len=2), label="token ids")
    train = OneHotSequences(np.arange(2 * V) % V, [0, V, 2 * V], V)
    params = data.draw(network_params(bidirectional=False, pooling=False))
    lm = RNNLanguageModel(**params).fit(train)
    T = len(ids[0])
    table = np.asarray([(s + s[:1] * T)[:T] for s in ids], dtype=np.int64)
    kind, pattern = data.draw(st.sampled_from([
        ("fractional ids", r"not token ids"),
        ("negative ids", r"negative"),
        ("id too large", r"token id"),
        ("nan", r"nan"),
        ("strings", r"text|string"),
        ("sparse", r"sparse"),
        ("3-D", r"dimension"),
        ("more token slots", r"token slots"),
    ]), label="near miss")
    if kind == "fractional ids":
        X = table + 0.5
    elif kind == "negative ids":
        X = table.copy()
        X[0, 0] = -1
    elif kind == "id too large":
        X = table.copy()
        X[0, -1] = V
    elif kind == "nan":
        X = table.astype(float)
        X[0, 0] = np.nan
    elif kind == "strings":
        X = [" ".join(map(str, s)) for s in ids]
    elif kind == "sparse":
        X = scipy.sparse.csr_matrix(table)
    elif kind == "3-D":
        X = table[:, :, np.newaxis]
    else:
        X = one_hot(ids, V + 1)
    method = data.draw(st.sampled_from(
        ["score_samples", "score", "hidden_states", "partial_fit"]), label="method")
    before = copy.deepcopy(lm)
    with pytest.raises((ValueError, TypeError)) as info:
        getattr(lm, method)(X)
    assert re.search(pattern, str(info.value), re.IGNORECASE), str(info.value)
    assert_unchanged(before, lm)


@quick(60)
@given(st.data())
def test_language_model_refused_near_misses(data):
    _refused_language_model(data)


@pytest.mark.slow
@thorough(300)
@given(st.data())
def test_language_model_refused_near_misses_thorough(data):
    _refused_language_model(data)


# ---------------------------------------------------------------------------
# A fit or partial_fit that raises leaves the estimator as it was
# ---------------------------------------------------------------------------

HUGE = st.floats(1e150, 1e300, allow_nan=False, allow_infinity=False, width=64)


def _diverging(data):
    """Training on huge (finite) inputs or targets either raises a
    ValueError saying it diverged, with the estimator exactly as before, or
    leaves a model whose predictions are finite (issue 29 items 1, 2, 7)."""
    seqs = data.draw(ragged_sequences(min_len=1, n_features=1), label="sequences")
    n = len(seqs)
    regressor = data.draw(st.booleans(), label="regressor")
    params = data.draw(network_params(), label="params")
    params["solver"] = data.draw(st.sampled_from(["sgd", "adam", "lbfgs"]))
    params["nonlinearity"] = "relu"
    params["cell"] = "rnn"
    y = np.arange(n) % 2
    Estimator = RNNRegressor if regressor else RNNClassifier
    model = Estimator(**params).fit(seqs, y)
    bad = [s.copy() for s in seqs]
    i = data.draw(st.integers(0, n - 1), label="i")
    sign = data.draw(st.sampled_from([1.0, -1.0]))
    bad[i][-1] = sign * data.draw(HUGE, label="huge")
    y_bad = y.astype(float)
    if regressor and data.draw(st.booleans(), label="huge y"):
        y_bad[i] = data.draw(HUGE)
    incremental = params["solver"] != "lbfgs" and data.draw(st.booleans())
    if incremental:
        model.set_params(batch_size=1, shuffle=False)
    before = copy.deepcopy(model)
    try:
        if incremental:
            model.partial_fit(bad, y_bad)
        else:
            model.fit(bad, y_bad)
    except (ValueError, TypeError) as error:
        assert re.search(r"diverg|non-finite|too large|overflow", str(error),
                         re.IGNORECASE), str(error)
        assert_unchanged(before, model)
    else:
        output = model.predict_proba(seqs) if not regressor else model.predict(seqs)
        assert np.isfinite(output).all(), output
        for w in model.weights_.values():
            assert np.isfinite(w).all()


@quick(60)
@given(st.data())
def test_diverging_training_raises_value_error_or_stays_finite(data):
    _diverging(data)


def _failed_fit_unchanged(data):
    """A fit or partial_fit refused for its y, sample_weight or parameters
    leaves a fitted estimator exactly as it was."""
    seqs = data.draw(ragged_sequences(), label="sequences")
    n = len(seqs)
    params = data.draw(network_params(), label="params")
    params["random_state"] = np.random.RandomState(params["random_state"])
    model = RNNClassifier(**params).fit(seqs, np.arange(n) % 2)
    kind, pattern = data.draw(st.sampled_from([
        ("y too short", r"inconsistent|samples"),
        ("new label", r"not in classes|classes"),
        ("negative sample_weight", r"negative"),
        ("nan sample_weight", r"nan|infinity"),
        ("zero sample_weight", r"positive"),
        ("unknown class_weight class", r"class_weight"),
        ("y is None", r"y"),
    ]), label="kind")
    incremental = data.draw(st.booleans(), label="partial_fit")
    y = np.arange(n) % 2
    sample_weight = None
    if kind == "y too short":
        y = y[:-1]
    elif kind == "new label":
        if not incremental:
            return  # a new fit takes any labels
        y = y.copy()
        y[0] = 7
    elif kind == "negative sample_weight":
        sample_weight = np.ones(n)
        sample_weight[-1] = -1
    elif kind == "nan sample_weight":
        sample_weight = np.ones(n)
        sample_weight[0] = np.nan
    elif kind == "zero sample_weight":
        sample_weight = np.zeros(n)
    elif kind == "unknown class_weight class":
        model.set_params(class_weight={5: 2.0})
    else:
        y = None
    before = copy.deepcopy(model)
    call = model.partial_fit if incremental else model.fit
    with pytest.raises((ValueError, TypeError)) as info:
        call(seqs, y, sample_weight=sample_weight)
    assert re.search(pattern, str(info.value), re.IGNORECASE), str(info.value)
    assert_unchanged(before, model)


@quick(60)
@given(st.data())
def test_refused_fit_leaves_estimator_unchanged(data):
    _failed_fit_unchanged(data)


@pytest.mark.slow
@thorough(300)
@given(st.data())
def test_refused_fit_leaves_estimator_unchanged_thorough(data):
    _failed_fit_unchanged(data)


def _invalid_parameter_partial_fit(data):
    """Parameters changed between partial_fit calls are validated before
    any work (issue 29 item 8)."""
    seqs = data.draw(ragged_sequences(), label="sequences")
    n = len(seqs)
    params = data.draw(network_params(), label="params")
    model = RNNClassifier(**params).fit(seqs, np.arange(n) % 2)
    name, value = data.draw(st.sampled_from([
        ("alpha", -1.0), ("batch_size", 0), ("cell", "xyz"), ("learning_rate", 0.0),
        ("momentum", 2.0), ("max_grad_norm", -1.0), ("dropout", 1.5),
    ]), label="parameter")
    model.set_params(**{name: value})
    before = copy.deepcopy(model)
    with pytest.raises(ValueError, match=name):
        model.partial_fit(seqs, np.arange(n) % 2)
    assert_unchanged(before, model)


@quick(40)
@given(st.data())
def test_partial_fit_validates_changed_parameters(data):
    _invalid_parameter_partial_fit(data)
