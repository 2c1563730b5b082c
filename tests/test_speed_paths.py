"""The fast paths equal the plain ones: row-sparse embedding gradient and
update, length bucketing, inference without a cache, prediction in parallel
threads (no timing here)."""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skrnn import OneHotSequences, RNNClassifier
from skrnn._network import RecurrentNetwork
from skrnn._optimizers import RowSparseGradient, SGDOptimizer, clip_grad_norm
from skrnn._sequences import from_one_hot, length_buckets, pack

V, HIDDEN, N_CLASSES = 11, 3, 3


def one_hot_data(seed, n=12, dtype=np.float64):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(0, 7, size=n)
    lengths[0] = 6
    offsets = np.r_[0, np.cumsum(lengths)]
    ids = rng.randint(V, size=offsets[-1])
    ids[:3] = 4  # a repeated token
    X = OneHotSequences(ids, offsets, V, dtype=dtype)
    y = rng.permutation(np.arange(n) % N_CLASSES)
    return X, y


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("max_norm", [None, 0.05])
@pytest.mark.parametrize("embedding_size", [None, 5])
def test_sparse_gradient_and_update_equal_dense(
    cell, bidirectional, max_norm, embedding_size
):
    X, y = one_hot_data(0)
    sequences = from_one_hot(X)
    network = RecurrentNetwork(
        cell=cell, hidden_size=HIDDEN, bidirectional=bidirectional,
        embedding_size=embedding_size,
    )
    layout = network.layout(V, N_CLASSES)
    params = network.init_params(layout, np.random.RandomState(1), np.float64, True)
    batch = pack(sequences, np.arange(len(y)))
    w = np.random.RandomState(2).uniform(0.5, 2, size=len(y))
    views = layout.views(params)

    dense = np.full(layout.size, 7.0)
    loss_dense = network.loss_and_gradient(
        views, layout.views(dense), batch, y[batch.order], w, 0.0
    )
    grads = np.full(layout.size, 7.0)
    sparse = RowSparseGradient(layout.size, network.sparse_blocks(layout))
    loss_sparse = network.loss_and_gradient(
        views, layout.views(grads), batch, y[batch.order], w, 0.0, sparse=sparse
    )
    assert loss_sparse == loss_dense
    assert set(sparse.rows) == set(network.sparse_blocks(layout))
    if embedding_size:
        assert set(sparse.rows) == {"weight_embedding"}
    for rows in sparse.rows.values():
        assert_array_equal(rows, np.unique(X.ids))
    assert_allclose(sparse.toarray(grads), dense, rtol=0, atol=1e-12)

    # Clipping and the SGD step: the same parameters as the dense update.
    norm_dense = clip_grad_norm(dense, max_norm)
    norm_sparse = clip_grad_norm(grads, max_norm, sparse)
    if max_norm is not None:
        assert norm_dense > max_norm
        assert_allclose(norm_sparse, norm_dense, rtol=1e-12)
    p_dense, p_sparse = params.copy(), params.copy()
    SGDOptimizer(0.3, momentum=0).update_params(p_dense, dense)
    SGDOptimizer(0.3, momentum=0).update_params(p_sparse, grads, sparse)
    assert_allclose(p_sparse, p_dense, rtol=0, atol=1e-12)


def test_optimizers_with_state_refuse_sparse():
    sparse = RowSparseGradient(4, {})
    with pytest.raises(ValueError, match="dense gradient"):
        SGDOptimizer(0.1, momentum=0.9).update_params(np.zeros(4), np.zeros(4), sparse)


def test_classifier_sparse_path_equals_dense(monkeypatch):
    """Training plain SGD with the row-sparse embedding update (which the fit
    really takes) lands on the same weights as with the dense gradient."""
    X, y = one_hot_data(3, n=30)
    params = dict(
        cell="gru", hidden_size=4, solver="sgd", momentum=0, alpha=0,
        batch_size=7, max_iter=3, random_state=0, learning_rate=0.05,
    )
    sparse_steps = []
    original = RowSparseGradient.set

    def counted(self, name, rows, values):
        sparse_steps.append(name)
        return original(self, name, rows, values)

    monkeypatch.setattr(RowSparseGradient, "set", counted)
    with pytest.warns(ConvergenceWarning):
        fast = RNNClassifier(**params).fit(X, y)
    assert len(sparse_steps) == 3 * 5  # every minibatch of every epoch
    sparse_steps.clear()
    monkeypatch.setattr(SGDOptimizer, "sparse_updates", property(lambda self: None))
    with pytest.warns(ConvergenceWarning):
        slow = RNNClassifier(**params).fit(X, y)
    assert sparse_steps == []
    for name, value in slow.weights_.items():
        assert_allclose(fast.weights_[name], value, rtol=0, atol=1e-12)


def test_length_buckets_is_a_permutation_of_sorted_chunks():
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 50, size=103)
    order = rng.permutation(103)
    bucketed = length_buckets(order, lengths, 10, 3, np.random.RandomState(1))
    assert_array_equal(np.sort(bucketed), np.arange(103))
    for start in range(0, 103, 30):
        chunk = bucketed[start : start + 30]
        assert_array_equal(np.sort(chunk), np.sort(order[start : start + 30]))
        # Each minibatch of the chunk is a run of the chunk sorted by length.
        batches = [np.sort(lengths[chunk[i : i + 10]]) for i in range(0, len(chunk), 10)]
        spans = sorted((b[0], b[-1]) for b in batches)
        for (_, hi), (lo, _) in zip(spans, spans[1:]):
            assert hi <= lo
    # The short last minibatch (the longest of the last chunk) stays last.
    assert lengths[bucketed[100:]].min() >= lengths[bucketed[90:100]].max()
    assert len(length_buckets(order, lengths, 10, 1)) == 103


def test_bucketing_gives_each_batch_its_unbucketed_gradient():
    """A bucketed minibatch's gradient is the gradient of those sequences."""
    X, y = one_hot_data(4, n=20)
    sequences = from_one_hot(X)
    network = RecurrentNetwork(cell="lstm", hidden_size=HIDDEN)
    layout = network.layout(V, N_CLASSES)
    params = network.init_params(layout, np.random.RandomState(0), np.float64)
    order = length_buckets(np.arange(20), sequences.lengths, 5, 4, np.random.RandomState(0))
    batch = order[:5]
    a, b = np.zeros(layout.size), np.zeros(layout.size)
    w = np.ones(5)
    packed = pack(sequences, batch)
    network.loss_and_gradient(layout.views(params), layout.views(a), packed,
                              y[packed.order], w, 1e-3)
    shuffled = pack(sequences, batch[::-1])
    network.loss_and_gradient(layout.views(params), layout.views(b), shuffled,
                              y[shuffled.order], w, 1e-3)
    assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_bucket_batches_parameter(monkeypatch):
    """With bucket_batches=3, the fit's minibatches come in chunks of three
    whose length ranges do not overlap; without it, they do."""
    import skrnn._sequence_to_one as base

    X, y = one_hot_data(5, n=45)
    lengths = X.lengths
    packed = []
    original = base.pack

    def recording(sequences, indices):
        packed.append(np.sort(lengths[indices]))
        return original(sequences, indices)

    monkeypatch.setattr(base, "pack", recording)
    overlaps = {}
    for bucket_batches in (1, 3):
        packed.clear()
        clf = RNNClassifier(hidden_size=4, bucket_batches=bucket_batches,
                            batch_size=5, max_iter=2, random_state=0)
        with pytest.warns(ConvergenceWarning):
            clf.fit(X, y)
        assert len(packed) == 2 * 9
        overlaps[bucket_batches] = 0
        for start in range(0, len(packed), 3):
            spans = sorted((b[0], b[-1]) for b in packed[start : start + 3])
            overlaps[bucket_batches] += sum(
                hi > lo for (_, hi), (lo, _) in zip(spans, spans[1:])
            )
    assert overlaps[3] == 0 and overlaps[1] > 0
    with pytest.raises(ValueError, match="bucket_batches"):
        RNNClassifier(bucket_batches=0).fit(X, y)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_float32_stays_float32(cell):
    X, y = one_hot_data(6, n=20, dtype=np.float32)
    clf = RNNClassifier(cell=cell, hidden_size=4, solver="sgd", momentum=0, alpha=0,
                        max_iter=1, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    assert all(w.dtype == np.float32 for w in clf.weights_.values())
    assert clf.predict_proba(X).dtype == np.float32


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_inference_without_cache_equals_training_forward(cell, bidirectional):
    X, y = one_hot_data(7)
    sequences = from_one_hot(X)
    network = RecurrentNetwork(cell=cell, hidden_size=HIDDEN, bidirectional=bidirectional)
    layout = network.layout(V, N_CLASSES)
    views = layout.views(network.init_params(layout, np.random.RandomState(0), np.float64))
    batch = pack(sequences, np.arange(len(y)))
    proba, cache = network.forward(views, batch, train=False)
    assert all(c is None for c in cache["layers"][-1]["cells"])
    trained, _ = network.forward(views, batch, train=True)
    assert_allclose(proba, trained, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gate_activations_through_tanh_equal_expit_and_tanh(cell, dtype):
    """The gated cells' one-tanh form: sigmoid gates equal expit, and the
    tanh gate tanh, to one unit in the last place, at every magnitude."""
    from scipy.special import expit

    from skrnn._cells import _gate_activations, _gate_scale_shift

    H, n_gates = 5, {"gru": 3, "lstm": 4}[cell]
    z = np.r_[np.linspace(-120, 120, 2001), -1e4, 1e4, 0.0]
    a = np.tile(z[:, np.newaxis], (1, n_gates * H))  # every value in every gate
    scale, shift = _gate_scale_shift(n_gates, 2, H, dtype)
    got = _gate_activations(a.astype(dtype) * scale, scale, shift)
    assert got.dtype == dtype
    tanh_columns = np.zeros(n_gates * H, dtype=bool)
    tanh_columns[2 * H : 3 * H] = True
    expected = np.where(tanh_columns, np.tanh(a), expit(a))
    assert np.abs(got - expected).max() <= np.finfo(dtype).eps
    sigmoid = got[:, ~tanh_columns]
    assert np.all((sigmoid >= 0) & (sigmoid <= 1))
    assert np.all(sigmoid[-1] == 0.5) and np.all(sigmoid[-3] == 0)
    assert np.all(sigmoid[-2] == 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_through_tanh_equals_expit(dtype):
    """The GRU's r, z activation: (1 + tanh(a / 2)) / 2 in place equals expit
    to one unit in the last place, at every magnitude, and saturates exactly."""
    from scipy.special import expit

    from skrnn._cells import _sigmoid

    z = np.r_[np.linspace(-120, 120, 2001), -1e4, 1e4, 0.0].astype(dtype)
    a = z.copy()
    got = _sigmoid(a)
    assert got is a and got.dtype == dtype
    assert np.abs(got - expit(z.astype(np.float64))).max() <= np.finfo(dtype).eps
    assert got[-1] == 0.5 and got[-3] == 0 and got[-2] == 1


def _blas_threads_now():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def _fitted_for_prediction(cell, hidden_size=HIDDEN, n=60):
    X, y = one_hot_data(5, n=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNClassifier(
            cell=cell, hidden_size=hidden_size, bidirectional=True, max_iter=2,
            random_state=0,
        ).fit(X, y)
    return clf, X


@pytest.mark.parametrize(
    "cell, hidden_size, threaded",
    [("rnn", 3, False), ("rnn", 128, True), ("gru", 3, True), ("lstm", 3, True)],
)
def test_parallel_prediction_equals_serial(cell, hidden_size, threaded, monkeypatch):
    """Chunks predicted in threads (one BLAS thread each) give the serial
    result, every chunk sees BLAS limited to one thread, and the limit is
    restored afterwards; with BLAS limited to one thread, nothing runs in
    another thread. A small Elman network (one product and one tanh a step)
    predicts in the calling thread."""
    from threadpoolctl import threadpool_limits

    import skrnn._inference as module

    clf, X = _fitted_for_prediction(cell, hidden_size)
    serial = clf.predict_proba(X)  # below PARALLEL_ELEMENTS: serial
    calls = []
    original = RecurrentNetwork.predict

    def recording(self, params, batch):
        calls.append((threading.get_ident(), _blas_threads_now(), batch.batch))
        return original(self, params, batch)

    monkeypatch.setattr(RecurrentNetwork, "predict", recording)
    monkeypatch.setattr(module, "PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(module, "PREDICT_ELEMENTS", 40 * 4 * hidden_size * 2)
    with threadpool_limits(limits=2, user_api="blas"):
        parallel = clf.predict_proba(X)
        assert _blas_threads_now() and set(_blas_threads_now()) == {2}
    assert_allclose(parallel, serial, rtol=0, atol=1e-12)
    if not threaded:
        assert {ident for ident, _, _ in calls} == {threading.get_ident()}
        return
    assert len(calls) >= 2 and len(calls) % 2 == 0
    assert sum(n for _, _, n in calls) == len(X)
    assert all(set(threads) == {1} for _, threads, _ in calls)
    assert threading.get_ident() not in {ident for ident, _, _ in calls}

    calls.clear()
    with threadpool_limits(limits=1, user_api="blas"):
        assert_allclose(clf.predict_proba(X), serial, rtol=0, atol=1e-12)
    assert {ident for ident, _, _ in calls} == {threading.get_ident()}


def test_concurrent_parallel_predictions(monkeypatch):
    """Two predictions at once from two user threads: one runs its chunks in
    parallel, the other serially; both are right and BLAS's thread count is
    the caller's afterwards."""
    from threadpoolctl import threadpool_limits

    import skrnn._inference as module

    clf, X = _fitted_for_prediction("gru")
    expected = clf.predict_proba(X)
    monkeypatch.setattr(module, "PARALLEL_ELEMENTS", 0)
    monkeypatch.setattr(module, "PREDICT_ELEMENTS", 40 * 3 * HIDDEN * 2)
    with threadpool_limits(limits=2, user_api="blas"):
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: clf.predict_proba(X), range(8)))
        assert set(_blas_threads_now()) == {2}
    for proba in results:
        assert_allclose(proba, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("embedding_size", [None, 4])
def test_parallel_directions_give_the_serial_gradient(cell, embedding_size):
    """The two directions of each layer, run in two threads, give the loss
    and gradient of the serial loop (dropout masks included)."""
    X, y = one_hot_data(1)
    sequences = from_one_hot(X)
    batch = pack(sequences, np.arange(len(X)))
    results = []
    for parallel in (False, True):
        pool = ThreadPoolExecutor(2) if parallel else None
        threads = set()

        def map_directions(function, items):
            def recorded(item):
                threads.add(threading.get_ident())
                return function(item)

            return list(pool.map(recorded, items))

        network = RecurrentNetwork(
            cell=cell, hidden_size=HIDDEN, num_layers=2, bidirectional=True,
            dropout=0.3, input_dropout=0.2, embedding_size=embedding_size,
            map_directions=map_directions if parallel else map,
        )
        layout = network.layout(V, N_CLASSES)
        params = network.init_params(layout, np.random.RandomState(0), np.float64, True)
        grad = np.zeros_like(params)
        loss = network.loss_and_gradient(
            layout.views(params), layout.views(grad), batch, y[batch.order],
            np.ones(len(X)), 1e-3, rng=np.random.RandomState(7),
        )
        if parallel:
            pool.shutdown()
            assert threading.get_ident() not in threads and len(threads) >= 1
        results.append((loss, grad))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-13)
    assert_allclose(results[1][1], results[0][1], rtol=1e-12, atol=1e-15)


def test_bidirectional_fit_runs_directions_in_threads(monkeypatch):
    """With two BLAS threads allowed, a bidirectional fit of 3 * 128 gate
    units runs each layer's directions in two threads with one BLAS thread
    each and fits the model the one-thread fit does; under
    threadpool_limits(1), or at 3 * 3 gate units, it stays in the calling
    thread."""
    from threadpoolctl import threadpool_limits

    from skrnn._cells import GRUCell

    X, y = one_hot_data(2, n=40)
    calls = []
    original = GRUCell.forward

    def recording(self, *args, **kwargs):
        calls.append((threading.get_ident(), tuple(_blas_threads_now())))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(GRUCell, "forward", recording)
    clf = RNNClassifier(
        cell="gru", hidden_size=128, bidirectional=True, dropout=0.2,
        max_iter=3, batch_size=8, random_state=0,
    )
    fitted = {}
    for limit in (1, 2):
        calls.clear()
        with threadpool_limits(limits=limit, user_api="blas"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                fitted[limit] = clone(clf).fit(X, y)
            assert set(_blas_threads_now()) == {limit}
        idents = {ident for ident, _ in calls}
        if limit == 1:
            assert idents == {threading.get_ident()}
        else:
            assert threading.get_ident() not in idents
            assert all(set(threads) == {1} for _, threads in calls)
    for name, value in fitted[1].weights_.items():
        assert_allclose(fitted[2].weights_[name], value, rtol=1e-10, atol=1e-12)
    calls.clear()
    with threadpool_limits(limits=2, user_api="blas"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clone(clf).set_params(hidden_size=HIDDEN).fit(X, y)
    assert {ident for ident, _ in calls} == {threading.get_ident()}


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_pool_equals_a_per_sequence_reference(pooling):
    """Pooling over the packed rows (now run per direction, in the
    directions' threads) equals the max or mean over each sequence's own
    steps; on ties, max keeps the first step, as the backward assumes."""
    from skrnn._network import _pool

    X, _ = one_hot_data(3, n=9)
    sequences = from_one_hot(X)
    batch = pack(sequences, np.arange(len(X)))
    rng = np.random.RandomState(0)
    out = rng.randint(0, 3, size=(batch.n_rows, 5)).astype(float)  # many ties
    summary, arg = _pool(pooling, out, batch)
    step = np.repeat(np.arange(batch.n_steps), batch.batch_sizes)
    for j in range(batch.batch):
        rows = np.flatnonzero(batch.row_of == j)
        rows = rows[np.argsort(step[rows])]  # in time order
        if not len(rows):
            assert_array_equal(summary[j], 0)
            if pooling == "max":
                assert_array_equal(arg[j], -1)
            continue
        if pooling == "mean":
            assert_allclose(summary[j], out[rows].mean(axis=0))
        else:
            assert_array_equal(summary[j], out[rows].max(axis=0))
            assert_array_equal(arg[j], rows[out[rows].argmax(axis=0)])


def test_halves_balance_sizes():
    from skrnn._network import _halves

    first, second = _halves(["a", "b", "c", "d"], [10, 1, 6, 5])
    assert sorted(first + second) == ["a", "b", "c", "d"]
    assert first == ["a", "b"] and second == ["c", "d"]
    assert _halves(["only"], [3]) == (["only"], [])
