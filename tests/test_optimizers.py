"""The optimizers' update rules, dense and row-sparse, against plain references."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skrnn import OneHotSequences, RNNClassifier
from skrnn._optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    RowSparseGradient,
    SGDOptimizer,
)

# A flat vector of 5 dense entries, then a block of 6 rows x 3 columns.
DENSE, ROWS, COLUMNS = 5, 6, 3
BLOCK = slice(DENSE, DENSE + ROWS * COLUMNS)
SIZE = DENSE + ROWS * COLUMNS


def steps(seed, n_steps=4):
    """Per step: the dense part's gradient, and the block's rows and their gradient."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_steps):
        rows = np.sort(rng.choice(ROWS, size=rng.randint(1, ROWS), replace=False))
        out.append((rng.normal(size=DENSE), rows, rng.normal(size=(len(rows), COLUMNS))))
    return out


def sparse_run(optimizer, params, seed):
    for dense_grad, rows, values in steps(seed):
        grads = np.full(SIZE, np.nan)  # the block's entries must not be read
        grads[:DENSE] = dense_grad
        sparse = RowSparseGradient(SIZE, {"w": (BLOCK, COLUMNS)})
        sparse.set("w", rows, values)
        optimizer.update_params(params, grads, sparse)
    return params


def test_lazy_adam_equals_a_row_by_row_reference():
    """Lazy Adam: each row's moments and value move only at the steps whose
    minibatch holds it, with the bias correction of the global step count."""
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    start = np.random.RandomState(0).normal(size=SIZE)
    got = sparse_run(AdamOptimizer(lr, b1, b2, eps, lazy=True), start.copy(), seed=1)

    expected = start.copy()
    m, v = np.zeros(SIZE), np.zeros(SIZE)
    for t, (dense_grad, rows, values) in enumerate(steps(1), start=1):
        step = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        touched = list(range(DENSE))
        gradient = {i: g for i, g in zip(range(DENSE), dense_grad)}
        for row, row_values in zip(rows, values):
            for c in range(COLUMNS):
                i = DENSE + row * COLUMNS + c
                touched.append(i)
                gradient[i] = row_values[c]
        for i in touched:
            m[i] = b1 * m[i] + (1 - b1) * gradient[i]
            v[i] = b2 * v[i] + (1 - b2) * gradient[i] ** 2
            expected[i] -= step * m[i] / (np.sqrt(v[i]) + eps)
    assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    # rows never in a minibatch did not move
    never = set(range(ROWS)) - set(np.concatenate([r for _, r, _ in steps(1)]))
    for row in never:
        block = slice(DENSE + row * COLUMNS, DENSE + (row + 1) * COLUMNS)
        assert_allclose(got[block], start[block], rtol=0, atol=0)


@pytest.mark.parametrize(
    "make", [lambda: SGDOptimizer(0.1, momentum=0), lambda: AdagradOptimizer(0.1)],
    ids=["sgd", "adagrad"],
)
def test_exact_sparse_updates_equal_dense(make):
    """For plain SGD and Adagrad a zero gradient changes nothing, so the
    row-sparse update is the dense update of the zero-filled gradient."""
    start = np.random.RandomState(0).normal(size=SIZE)
    sparse = sparse_run(make(), start.copy(), seed=2)
    dense_optimizer, dense = make(), start.copy()
    for dense_grad, rows, values in steps(2):
        grads = np.zeros(SIZE)
        grads[:DENSE] = dense_grad
        grads[BLOCK].reshape(ROWS, COLUMNS)[rows] = values
        dense_optimizer.update_params(dense, grads)
    assert make().sparse_updates == "exact"
    assert_allclose(sparse, dense, rtol=1e-14, atol=1e-15)


def test_optimizers_with_dense_state_refuse_row_sparse_gradients():
    sparse = RowSparseGradient(SIZE, {"w": (BLOCK, COLUMNS)})
    for optimizer in (SGDOptimizer(0.1, momentum=0.9), AdamOptimizer(0.1)):
        assert optimizer.sparse_updates is None
        with pytest.raises(ValueError, match="dense gradient"):
            optimizer.update_params(np.zeros(SIZE), np.zeros(SIZE), sparse)


def every_token_every_batch(n=24, vocabulary=7, seed=0):
    """Sequences each holding every token, so that every minibatch touches
    every embedding row."""
    rng = np.random.RandomState(seed)
    ids, offsets = [], [0]
    for _ in range(n):
        sequence = np.r_[rng.permutation(vocabulary), rng.randint(vocabulary, size=3)]
        ids.extend(sequence)
        offsets.append(len(ids))
    X = OneHotSequences(np.array(ids), np.array(offsets), vocabulary)
    return X, np.arange(n) % 2


@pytest.mark.parametrize("embedding_size", [None, 4])
@pytest.mark.parametrize("alpha", [0.0, 1e-2])
def test_lazy_adam_equals_adam_when_every_row_is_in_every_batch(embedding_size, alpha):
    """Lazy Adam differs from Adam only in rows a minibatch does not hold:
    where every minibatch holds every token, the fits are equal, the L2
    penalty on the minibatch's rows included."""
    X, y = every_token_every_batch()
    params = dict(cell="gru", hidden_size=4, embedding_size=embedding_size,
                  alpha=alpha, batch_size=8, max_iter=3, random_state=0,
                  learning_rate=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = RNNClassifier(solver="adam", **params).fit(X, y)
        lazy = RNNClassifier(solver="lazy_adam", **params).fit(X, y)
    assert_allclose(lazy.loss_curve_, dense.loss_curve_, rtol=1e-12)
    for name, value in dense.weights_.items():
        assert_allclose(lazy.weights_[name], value, rtol=1e-10, atol=1e-13)


def test_lazy_adam_leaves_unseen_rows_alone():
    """A token no training sequence holds keeps its initial embedding under
    lazy Adam; dense Adam moves it (by the penalty's decay)."""
    X, y = every_token_every_batch(vocabulary=7)
    X = OneHotSequences(X.ids, X.offsets, 9)  # slots 7 and 8 never occur
    params = dict(cell="gru", hidden_size=4, embedding_size=3, batch_size=8,
                  max_iter=2, random_state=0, learning_rate=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the initial weights: the same draw, steps too small to move them
        initial = RNNClassifier(solver="lazy_adam", **params).set_params(
            learning_rate=1e-300, alpha=0).fit(X, y).weights_["weight_embedding"]
        lazy = RNNClassifier(solver="lazy_adam", **params).fit(X, y)
        dense = RNNClassifier(solver="adam", **params).fit(X, y)
    unseen = [7, 8]
    assert_allclose(lazy.weights_["weight_embedding"][unseen], initial[unseen],
                    rtol=0, atol=0)
    assert np.abs(dense.weights_["weight_embedding"][unseen] - initial[unseen]).max() > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_equals_scikit_learns(dtype):
    """The in-place Adam update (one reused scratch array) is scikit-learn's
    rule, step after step, in either precision."""
    from sklearn.neural_network._stochastic_optimizers import (
        AdamOptimizer as SklearnAdam,
    )

    rng = np.random.RandomState(0)
    ours = rng.normal(size=SIZE).astype(dtype)
    theirs = [ours.astype(np.float64)]
    optimizer = AdamOptimizer(0.01)
    reference = SklearnAdam(theirs, learning_rate_init=0.01)
    for _ in range(5):
        grads = rng.normal(size=SIZE)
        optimizer.update_params(ours, grads.astype(dtype))
        reference.update_params(theirs, [grads])
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert ours.dtype == dtype
    assert_allclose(ours, theirs[0], rtol=rtol, atol=rtol)


def test_adam_scratch_is_sized_to_its_parts_and_not_saved():
    """Lazy Adam's scratch is as large as the largest part it updates, not
    the vector (its rule is checked against the row-by-row reference
    above); it is left out of the pickled optimizer, which then continues
    exactly as the original."""
    import pickle

    params = sparse_run(
        AdamOptimizer(0.01, lazy=True), np.random.RandomState(0).normal(size=SIZE),
        seed=2,
    )
    lazy = AdamOptimizer(0.01, lazy=True)
    params = sparse_run(lazy, params, seed=2)
    assert DENSE <= lazy._work_buffers["scratch"].size <= ROWS * COLUMNS < SIZE
    restored = pickle.loads(pickle.dumps(lazy))
    assert "_work_buffers" not in restored.__dict__
    grads = np.random.RandomState(3).normal(size=SIZE)
    expected, got = params.copy(), params.copy()
    lazy.update_params(expected, grads)
    restored.update_params(got, grads)  # makes its own scratch again
    assert_allclose(got, expected, rtol=0, atol=0)
    assert restored._work_buffers["scratch"].size == SIZE


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_is_exact_where_the_dot_product_overflows(dtype):
    """`all_finite` reads one dot product; when that overflows on large but
    finite entries it falls back to the exact test."""
    from skrnn._optimizers import all_finite

    big = np.full(10, np.finfo(dtype).max / 2, dtype=dtype)
    with np.errstate(over="ignore"):
        assert all_finite(big)
        for bad in (np.nan, np.inf, -np.inf):
            broken = big.copy()
            broken[3] = bad
            assert not all_finite(broken)
            small = np.ones(10, dtype=dtype)
            small[7] = bad
            assert not all_finite(small)
    sparse = RowSparseGradient(SIZE, {"w": (BLOCK, COLUMNS)})
    sparse.set("w", np.array([1]), np.array([[1.0, np.nan, 0.0]]))
    assert not all_finite(np.zeros(SIZE), sparse)
    sparse.set("w", np.array([1]), np.array([[1.0, 2.0, 0.0]]))
    assert all_finite(np.zeros(SIZE), sparse)


@pytest.mark.parametrize(
    "make",
    [lambda: AdamOptimizer(0.01), lambda: SGDOptimizer(0.1, momentum=0.9),
     lambda: AdagradOptimizer(0.1)],
    ids=["adam", "sgd-momentum", "adagrad"],
)
def test_update_in_threaded_halves_equals_serial(make):
    """A large dense update runs in two halves; given a threaded map, the
    halves run in parallel, with the same result bit for bit."""
    from concurrent.futures import ThreadPoolExecutor

    size = AdamOptimizer.PARALLEL_SIZE + 3
    rng = np.random.RandomState(0)
    start = rng.normal(size=size)
    serial, threaded = start.copy(), start.copy()
    first, second = make(), make()
    calls = []
    with ThreadPoolExecutor(2) as pool:
        def map_parts(function, parts):
            calls.append(len(parts))
            return list(pool.map(function, parts))

        for _ in range(3):
            grads = rng.normal(size=size)
            first.update_params(serial, grads)
            second.update_params(threaded, grads, map_parts=map_parts)
    assert calls == [2, 2, 2]
    assert_allclose(threaded, serial, rtol=0, atol=0)
    assert not np.array_equal(serial, start)
