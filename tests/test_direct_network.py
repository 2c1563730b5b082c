"""Direct n-gram connections (RNNME): hashing, features, exact gradients,
and the optimizers' per-block learning rates.

The network's logits gain ``X_direct W_direct``, with ``X_direct`` the
hashed n-gram features of `skrnn._ngrams`: one row per sequence for the
pooled outputs ('softmax', 'identity'), one row per packed step for
'next_token'. Every parameter's gradient is checked against central
differences (float64, as `test_gradients`), with the table present and
nonzero, ragged batches with an empty sequence and a 1, non-uniform sample
weights, an L2 penalty and fixed dropout masks; the row-sparse gradient
against the dense one; float32 against float64.
"""

import pickle

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal

from skrnn._network import DropoutNoise, RecurrentNetwork
from skrnn._ngrams import ngram_ids, sequence_features, step_features
from skrnn._optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    RowSparseGradient,
    SGDOptimizer,
)
from skrnn._sequences import Sequences, pack, splitmix64

EPS = 1e-6
RTOL = 1e-6
V = 5  # tokens
HIDDEN = 3
DIRECT = 31  # rows of the direct table
ORDER = 3  # n-grams of orders 1 .. 3
N_CLASSES = 3
N_TARGETS = 2
# tokens per sequence: an empty one, a 1 and ties; as (token, next token)
# pairs, 4 1 0 3 4 2 0, an empty one, a 1 and ties too
LENGTHS = [5, 2, 0, 4, 5, 3, 1]


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||), 0 when both are 0."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return np.linalg.norm(a - b) / denominator


def token_sequences(seed, lengths=LENGTHS):
    """One-hot sequences of token ids from few slots (repeated n-grams)."""
    rng = np.random.RandomState(seed)
    offsets = np.r_[0, np.cumsum(lengths)].astype(np.intp)
    ids = rng.randint(0, V, size=offsets[-1]).astype(np.intp)
    return Sequences(ids, offsets, V, True, np.float64)


class Problem:
    """A network with direct connections, its parameters, a packed batch,
    its targets, weights, direct features and dropout noise."""

    def __init__(self, output, seed=0, cell="lstm", dropout=0.0, input_dropout=0.0,
                 embedding_size=None, bidirectional=False, values="presence",
                 dtype=np.float64):
        rng = np.random.RandomState(seed)
        self.output = output
        self.network = RecurrentNetwork(
            cell=cell, hidden_size=HIDDEN, bidirectional=bidirectional,
            pooling="mean", dropout=dropout, input_dropout=input_dropout,
            embedding_size=embedding_size, output=output, direct_size=DIRECT,
        )
        n_outputs = {"softmax": N_CLASSES, "identity": N_TARGETS, "next_token": V}[output]
        self.layout = self.network.layout(V, n_outputs)
        # all nonzero, the table included, larger than the initialization
        self.flat = rng.uniform(-1.0, 1.0, size=self.layout.size).astype(dtype)
        self.tokens = token_sequences(seed + 1)
        self.ids = ngram_ids(self.tokens, ORDER, DIRECT)
        n = len(LENGTHS)
        if output == "next_token":
            # the steps are (token, next token) pairs: pack each pair's
            # position, as the language model's chunks do
            lengths = np.maximum(np.array(LENGTHS) - 1, 0)
            starts = self.tokens.offsets[:-1]
            positions = np.concatenate(
                [np.arange(s, s + n_steps) for s, n_steps in zip(starts, lengths)]
            ).astype(np.intp)
            offsets = np.r_[0, np.cumsum(lengths)].astype(np.intp)
            steps = Sequences(positions, offsets, V, True, dtype)
            self.batch = pack(steps, np.arange(n))
            positions = self.batch.inputs
            self.batch.inputs = self.tokens.values[positions]
            self.y = self.tokens.values[positions + 1]
            self.direct = step_features(self.ids, positions, DIRECT, dtype)
            keys = Sequences(
                self.tokens.values[steps.values], offsets, V, True, dtype
            ).keys()
        else:
            self.batch = pack(self.tokens.astype(dtype), np.arange(n))
            if output == "softmax":
                self.y = rng.permutation(np.arange(n) % N_CLASSES)[self.batch.order]
            else:
                self.y = rng.normal(size=(n, N_TARGETS))[self.batch.order].astype(dtype)
            self.direct = sequence_features(
                self.ids, self.tokens, self.batch.order, DIRECT, dtype, values=values
            )
            keys = self.tokens.keys()
        self.w = rng.uniform(0.2, 3.0, size=n)[self.batch.order].astype(dtype)
        self.keys = keys
        self.noisy = bool(dropout or input_dropout)
        self.noise_seed = 3

    @property
    def w_sum(self):
        """The loss's divisor: the sum of the weights of its terms (of the
        tokens, each its sequence's weight, for 'next_token')."""
        if self.output == "next_token":
            return self.w[self.batch.row_of].sum()
        return self.w.sum()

    def noise(self):
        """The dropout noise, fresh for every evaluation (the same masks)."""
        return DropoutNoise(self.keys, self.noise_seed) if self.noisy else None

    def loss(self, alpha, flat=None, sparse=None, grads=None, direct="given"):
        flat = self.flat if flat is None else flat
        grads = np.full(self.layout.size, 7.0, dtype=flat.dtype) if grads is None else grads
        loss = self.network.loss_and_gradient(
            self.layout.views(flat), self.layout.views(grads), self.batch, self.y,
            self.w, alpha, self.noise(), sparse,
            direct=self.direct if direct == "given" else direct,
        )
        return loss, grads


def check_gradient(problem, alpha):
    """Exact against central differences, as a whole and per name."""
    loss, exact = problem.loss(alpha)
    assert np.isfinite(loss)
    flat = problem.flat
    numeric = np.empty(problem.layout.size)
    scratch = np.empty(problem.layout.size)
    for i in range(problem.layout.size):
        old = flat[i]
        flat[i] = old + EPS
        plus, _ = problem.loss(alpha, grads=scratch)
        flat[i] = old - EPS
        minus, _ = problem.loss(alpha, grads=scratch)
        flat[i] = old
        numeric[i] = (plus - minus) / (2 * EPS)
    errors = {"all": relative_error(numeric, exact)}
    for name, where in problem.layout.slices.items():
        assert np.linalg.norm(numeric[where]) > 1e-6, name
        errors[name] = relative_error(numeric[where], exact[where])
    bad = {name: e for name, e in errors.items() if not e < RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"
    return numeric, exact


# ---------------------------------------------------------------------------
# n-gram ids: hashing, sequence starts, determinism
# ---------------------------------------------------------------------------


def reference_row(tokens, k, n_rows):
    """The documented hash of one n-gram (tokens in order), one scalar at a time."""
    salt = np.uint64(0x5851F42D4C957F2D)
    chain = splitmix64(np.uint64(tokens[-1]) ^ salt)
    for token in tokens[-2::-1][: k - 1]:
        with np.errstate(over="ignore"):
            chain = chain * np.uint64(0xD6E8FEB86659FD93)
        chain = splitmix64(chain ^ splitmix64(np.uint64(token) ^ salt))
    order = splitmix64(np.uint64(k) ^ np.uint64(0x14057B7EF767814F))
    return int(splitmix64(chain ^ order) % np.uint64(n_rows))


def hand_made():
    """[1 2 3], [2 3], [], [3], [3 2]: shared and reversed n-grams."""
    ids = np.array([1, 2, 3, 2, 3, 3, 3, 2], dtype=np.intp)
    offsets = np.array([0, 3, 5, 5, 6, 8], dtype=np.intp)
    return Sequences(ids, offsets, 4, True, np.float64)


def test_ngram_ids_of_a_hand_made_example():
    sequences = hand_made()
    n_rows = 2**40  # no collisions among a handful of n-grams
    ids = ngram_ids(sequences, 3, n_rows)
    assert ids.shape == (8, 3) and ids.dtype == np.intp
    # which n-grams exist: order k needs k - 1 tokens before, in the sequence
    exists = np.array([
        [1, 0, 0], [1, 1, 0], [1, 1, 1],  # [1 2 3]
        [1, 0, 0], [1, 1, 0],  # [2 3]: no bigram (3, 2) across the start
        [1, 0, 0],  # [3]
        [1, 0, 0], [1, 1, 0],  # [3 2]
    ], dtype=bool)
    assert_array_equal(ids >= 0, exists)
    assert_array_equal(ids[~exists], -1)
    unigram, bigram = ids[:, 0], ids[:, 1]
    # the same n-gram hashes to the same row wherever it ends
    assert unigram[1] == unigram[3] == unigram[7]  # 2
    assert unigram[2] == unigram[4] == unigram[5] == unigram[6]  # 3
    assert bigram[2] == bigram[4]  # (2, 3)
    # distinct n-grams, distinct rows: 1, 2, 3, (1 2), (2 3), (3 2), (1 2 3)
    distinct = {unigram[0], unigram[1], unigram[2], bigram[1], bigram[2], bigram[7],
                ids[2, 2]}
    assert len(distinct) == 7  # the order of the tokens counts: (2 3) != (3 2)
    # and each is the documented hash
    assert ids[2, 2] == reference_row([1, 2, 3], 3, n_rows)
    assert bigram[7] == reference_row([3, 2], 2, n_rows)
    assert unigram[0] == reference_row([1], 1, n_rows)


def test_ngram_ids_equal_a_per_position_reference():
    """Random ragged sequences (empty ones included), every position and
    order against the scalar reference; rows within the table."""
    sequences = token_sequences(4, lengths=[6, 0, 1, 2, 7, 0, 3])
    n_rows = 37
    ids = ngram_ids(sequences, 4, n_rows)
    values, offsets = sequences.values, sequences.offsets
    expected = np.full((len(values), 4), -1, dtype=np.intp)
    for i in range(len(sequences)):
        for p in range(offsets[i], offsets[i + 1]):
            for k in range(1, 5):
                if p - k + 1 >= offsets[i]:
                    expected[p, k - 1] = reference_row(values[p - k + 1 : p + 1], k, n_rows)
    assert_array_equal(ids, expected)
    assert ids.max() < n_rows
    # lower orders are the first columns of higher ones
    assert_array_equal(ngram_ids(sequences, 2, n_rows), ids[:, :2])


def test_ngram_ids_are_deterministic():
    """Fixed rows, on every platform and in every run (pinned values)."""
    ids = ngram_ids(hand_made(), 2, 1000)
    assert_array_equal(ids, ngram_ids(hand_made(), 2, 1000))
    pinned = ids[[0, 1, 2, 7]].tolist()
    expected = [
        [reference_row([1], 1, 1000), -1],
        [reference_row([2], 1, 1000), reference_row([1, 2], 2, 1000)],
        [reference_row([3], 1, 1000), reference_row([2, 3], 2, 1000)],
        [reference_row([2], 1, 1000), reference_row([3, 2], 2, 1000)],
    ]
    assert pinned == expected
    # a change of the hash would change what every fitted table means
    assert pinned == [[881, -1], [589, 443], [906, 466], [589, 324]]


def test_ngram_ids_need_token_ids():
    dense = Sequences(np.zeros((3, 2)), np.array([0, 3]), 2, False, np.float64)
    with pytest.raises(ValueError, match="one-hot"):
        ngram_ids(dense, 2, 10)
    with pytest.raises(ValueError, match=">= 1"):
        ngram_ids(hand_made(), 0, 10)


# ---------------------------------------------------------------------------
# Features: per sequence (presence, frequency) and per step
# ---------------------------------------------------------------------------


def test_sequence_features_presence_and_frequency():
    """[1 2 1 2] with orders 1, 2: unigrams 1, 2, 1, 2 and bigrams (1 2),
    (2 1), (1 2): 7 n-grams in 4 distinct rows."""
    sequences = Sequences(
        np.array([1, 2, 1, 2, 3], dtype=np.intp), np.array([0, 4, 4, 5]), 4, True,
        np.float64,
    )
    n_rows = 2**40
    ids = ngram_ids(sequences, 2, n_rows)
    u1, u2, b12, b21 = ids[0, 0], ids[1, 0], ids[1, 1], ids[2, 1]
    u3 = ids[4, 0]
    # rows in the order of indices: [1 2 1 2], the empty one, [3]
    presence = sequence_features(ids, sequences, [0, 1, 2], n_rows, np.float32)
    assert scipy.sparse.isspmatrix_csr(presence)
    assert presence.shape == (3, n_rows) and presence.dtype == np.float32
    assert presence.has_canonical_format
    counts = {u1: 2, u2: 2, b12: 2, b21: 1}
    assert dict(zip(presence[0].indices, presence[0].data)) == dict.fromkeys(counts, 1)
    assert presence[1].nnz == 0  # the empty sequence
    assert dict(zip(presence[2].indices, presence[2].data)) == {u3: 1}
    frequency = sequence_features(
        ids, sequences, [2, 0], n_rows, np.float64, values="frequency"
    )
    assert dict(zip(frequency[0].indices, frequency[0].data)) == {u3: 1.0}
    got = dict(zip(frequency[1].indices, frequency[1].data))
    assert got.keys() == counts.keys()
    for row, count in counts.items():
        assert_allclose(got[row], count / 7, rtol=1e-15)
    assert_allclose(np.asarray(frequency.sum(axis=1)).ravel(), 1.0, rtol=1e-15)
    with pytest.raises(ValueError, match="values"):
        sequence_features(ids, sequences, [0], n_rows, np.float64, values="counts")


def test_sequence_features_sum_colliding_ngrams():
    """A table of 1 row: every n-gram in it; presence 1, frequency 1."""
    sequences = hand_made()
    ids = ngram_ids(sequences, 3, 1)
    assert (ids[ids >= 0] == 0).all()
    for values in ["presence", "frequency"]:
        X = sequence_features(ids, sequences, np.arange(5), 1, np.float64, values)
        assert_allclose(X.toarray().ravel(), [1, 1, 0, 1, 1])


def test_step_features_are_the_ngrams_ending_at_each_position():
    sequences = hand_made()
    ids = ngram_ids(sequences, 3, 50)
    positions = np.array([2, 3, 0, 7, 2])
    X = step_features(ids, positions, 50, np.float32)
    assert X.shape == (5, 50) and X.dtype == np.float32
    for r, p in enumerate(positions):
        row = X[r]
        expected = ids[p][ids[p] >= 0]
        assert_array_equal(np.sort(row.indices), np.sort(expected))
        assert_array_equal(row.data, 1)
    assert_array_equal(np.diff(X.indptr), [3, 1, 1, 2, 3])


# ---------------------------------------------------------------------------
# The network's layout and forward pass
# ---------------------------------------------------------------------------


def test_layout_and_initialization():
    network = RecurrentNetwork(cell="gru", hidden_size=HIDDEN, direct_size=DIRECT)
    plain = RecurrentNetwork(cell="gru", hidden_size=HIDDEN)
    layout = network.layout(V, N_CLASSES)
    plain_layout = plain.layout(V, N_CLASSES)
    assert layout.shapes["weight_direct"] == (DIRECT, N_CLASSES)
    assert list(layout.shapes)[-1] == "weight_direct"
    assert layout.size == plain_layout.size + DIRECT * N_CLASSES
    assert layout.weight_mask()[layout.slices["weight_direct"]].all()
    flat = network.init_params(layout, np.random.RandomState(0), np.float64, True)
    views = layout.views(flat)
    assert views["weight_direct"].flags.c_contiguous  # a row per feature
    assert_array_equal(views["weight_direct"], 0)
    # the other parameters are the plain network's, draw for draw
    plain_flat = plain.init_params(plain_layout, np.random.RandomState(0), np.float64, True)
    assert_array_equal(flat[: plain_layout.size], plain_flat)
    blocks = network.sparse_blocks(layout)
    assert blocks["weight_direct"] == (layout.slices["weight_direct"], N_CLASSES)
    assert "weight_ih_l0" in blocks
    assert "weight_direct" not in plain.sparse_blocks(plain_layout)


@pytest.mark.parametrize("output", ["softmax", "identity", "next_token"])
def test_forward_adds_the_rows_of_the_table(output):
    """o = o_recurrent + X_direct W_direct; a zero table or no features
    give the network without direct connections."""
    problem = Problem(output, seed=1)
    network, layout, batch = problem.network, problem.layout, problem.batch
    views = layout.views(problem.flat)
    logits, _ = network.logits(views, batch, direct=problem.direct)
    without, _ = network.logits(views, batch)
    expected = without + problem.direct.toarray() @ views["weight_direct"]
    assert_allclose(logits, expected, rtol=1e-13, atol=1e-13)
    assert problem.direct.nnz and not np.allclose(logits, without)
    # the same as a network without the table
    plain = RecurrentNetwork(
        cell="lstm", hidden_size=HIDDEN, pooling="mean", output=output
    )
    n_plain = layout.slices["weight_direct"].start
    plain_views = plain.layout(V, logits.shape[1]).views(problem.flat[:n_plain].copy())
    assert_allclose(plain.logits(plain_views, batch)[0], without, rtol=0, atol=0)
    zero = problem.flat.copy()
    zero[layout.slices["weight_direct"]] = 0
    assert_allclose(
        network.logits(layout.views(zero), batch, direct=problem.direct)[0], without,
        rtol=0, atol=0,
    )
    # features in any sparse format, or dense, are taken as CSR
    for form in [problem.direct.tocoo(), problem.direct.tocsc(), problem.direct.toarray()]:
        assert_allclose(network.logits(views, batch, direct=form)[0], logits, rtol=1e-14)
    if output == "next_token":
        log_p, _ = network.log_likelihood(views, batch, problem.y, direct=problem.direct)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        assert_allclose(log_p, log_softmax[np.arange(len(problem.y)), problem.y], rtol=1e-12)
    else:
        proba = network.predict(views, batch, direct=problem.direct)
        activation = network.forward(views, batch, direct=problem.direct)[0]
        assert_allclose(proba, activation, rtol=0, atol=0)


def test_direct_features_are_checked():
    problem = Problem("softmax")
    views = problem.layout.views(problem.flat)
    with pytest.raises(ValueError, match="shape"):
        problem.network.predict(views, problem.batch, direct=problem.direct[:3])
    plain = RecurrentNetwork(cell="lstm", hidden_size=HIDDEN, pooling="mean")
    with pytest.raises(ValueError, match="direct_size=None"):
        plain.predict(views, problem.batch, direct=problem.direct)


# ---------------------------------------------------------------------------
# The exact gradient
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dropout", [0.0, 0.3], ids=["nodrop", "dropout"])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("output", ["softmax", "identity", "next_token"])
def test_gradient_finite_differences(output, cell, dropout):
    problem = Problem(
        output, seed=2, cell=cell, dropout=dropout, input_dropout=dropout,
    )
    assert 0 in problem.batch.lengths and 1 in problem.batch.lengths
    assert not np.array_equal(problem.batch.order, np.arange(len(LENGTHS)))
    _, exact = check_gradient(problem, alpha=0.3)
    where = problem.layout.slices["weight_direct"]
    # the table's rows no feature uses get the penalty's gradient alone
    used = np.unique(problem.direct.indices)
    unused = np.setdiff1d(np.arange(DIRECT), used)
    assert len(used) and len(unused)
    table = problem.flat[where].reshape(DIRECT, -1)
    g_table = exact[where].reshape(DIRECT, -1)
    assert_allclose(
        g_table[unused], 0.3 / problem.w_sum * table[unused], rtol=0, atol=1e-15
    )
    if dropout:  # the masks matter
        loss = problem.loss(0.3)[0]
        problem.noise_seed = 4
        assert problem.loss(0.3)[0] != loss


@pytest.mark.parametrize("output", ["softmax", "identity"])
def test_gradient_with_frequency_features_and_an_embedding(output):
    problem = Problem(
        output, seed=3, cell="gru", embedding_size=2, bidirectional=True,
        values="frequency",
    )
    assert not np.allclose(problem.direct.data, 1)
    check_gradient(problem, alpha=0.1)


@pytest.mark.parametrize("output", ["softmax", "next_token"])
def test_penalty_on_the_table(output):
    """weight_direct carries the L2 penalty as every weight matrix."""
    problem = Problem(output, seed=5)
    loss_a, with_penalty = problem.loss(0.5)
    loss_0, without = problem.loss(0.0)
    where = problem.layout.slices["weight_direct"]
    table = problem.flat[where]
    w_sum = problem.w_sum
    assert_allclose(with_penalty[where] - without[where], 0.5 / w_sum * table, atol=1e-15)
    weights = problem.layout.weight_mask()
    penalty = 0.25 * np.sum(problem.flat[weights] ** 2) / w_sum
    assert_allclose(loss_a - loss_0, penalty, rtol=1e-12)


@pytest.mark.parametrize("embedding_size", [None, 2])
@pytest.mark.parametrize("output", ["softmax", "identity", "next_token"])
def test_row_sparse_gradient_equals_dense(output, embedding_size):
    """The table's gradient as the rows the batch's features use: with
    the penalty on those rows (`add_penalty`), the dense gradient there,
    and zero in the rows it leaves out (where the dense one is the penalty's
    alone)."""
    problem = Problem(output, seed=6, embedding_size=embedding_size)
    layout, alpha = problem.layout, 0.2
    blocks = problem.network.sparse_blocks(layout)
    assert "weight_direct" in blocks
    loss_dense, dense = problem.loss(alpha)
    sparse = RowSparseGradient(layout.size, blocks)
    grads = np.full(layout.size, np.nan)
    loss_sparse, _ = problem.loss(alpha, sparse=sparse, grads=grads)
    factor = alpha / problem.w_sum
    loss_sparse += sparse.add_penalty(problem.flat, factor)
    assert_array_equal(sparse.rows["weight_direct"], np.unique(problem.direct.indices))
    assert sparse.values["weight_direct"].shape == (
        len(sparse.rows["weight_direct"]), layout.shapes["weight_direct"][1]
    )
    expected = dense.copy()
    left_out = 0.0
    for name in blocks:
        block = sparse.block(expected, name)
        others = np.setdiff1d(np.arange(len(block)), sparse.rows[name])
        assert_allclose(
            block[others], factor * sparse.block(problem.flat, name)[others],
            rtol=0, atol=1e-15,
        )
        block[others] = 0
        left_out += np.sum(sparse.block(problem.flat, name)[others] ** 2)
    assert_allclose(sparse.toarray(grads), expected, rtol=1e-13, atol=1e-15)
    assert_allclose(loss_sparse + 0.5 * factor * left_out, loss_dense, rtol=1e-13)

    # no features: no rows of the table
    sparse = RowSparseGradient(layout.size, blocks)
    problem.loss(alpha, sparse=sparse, direct=None)
    assert len(sparse.rows["weight_direct"]) == 0
    assert_array_equal(sparse.block(sparse.toarray(grads), "weight_direct"), 0)


@pytest.mark.parametrize("output", ["softmax", "identity", "next_token"])
def test_float32_equals_float64(output):
    """Float32 parameters (and features of either dtype) give the float64
    results to float32's precision, and stay float32."""
    p64 = Problem(output, seed=7, cell="gru")
    p32 = Problem(output, seed=7, cell="gru", dtype=np.float32)
    assert p32.flat.dtype == np.float32 and p32.direct.dtype == np.float32
    assert_allclose(p32.flat, p64.flat, rtol=1e-7)
    views64, views32 = p64.layout.views(p64.flat), p32.layout.views(p32.flat)
    out64, _ = p64.network.forward(views64, p64.batch, direct=p64.direct)
    for direct in [p32.direct, p64.direct]:
        out32, _ = p32.network.forward(views32, p32.batch, direct=direct)
        assert out32.dtype == np.float32
        assert_allclose(out32, out64, rtol=1e-5, atol=1e-5)
    loss64, g64 = p64.loss(0.1)
    loss32, g32 = p32.loss(0.1)
    assert g32.dtype == np.float32
    assert_allclose(loss32, loss64, rtol=1e-5)
    assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)
    sparse = RowSparseGradient(p32.layout.size, p32.network.sparse_blocks(p32.layout))
    p32.loss(0.1, sparse=sparse)
    assert sparse.values["weight_direct"].dtype == np.float32


def test_gradient_times_input_reads_the_features():
    """The direct term changes the output and so the attribution."""
    problem = Problem("softmax", seed=8)
    views = problem.layout.views(problem.flat)
    d_output = np.ones((problem.batch.batch, N_CLASSES))
    d_output[:, 0] = 2
    a = problem.network.gradient_times_input(views, problem.batch, d_output)
    b = problem.network.gradient_times_input(
        views, problem.batch, d_output, direct=problem.direct
    )
    assert a.shape == b.shape == (problem.batch.n_rows,)
    assert not np.allclose(a, b)


# ---------------------------------------------------------------------------
# Optimizers: a learning rate per block
# ---------------------------------------------------------------------------

SIZE = 40
BLOCK = slice(10, 28)  # 6 rows x 3 columns
ROWS, COLUMNS = 6, 3


def gradient(seed, size=SIZE):
    return np.random.RandomState(seed).normal(size=size)


@pytest.mark.parametrize("halves", [False, True], ids=["whole", "halves"])
def test_sgd_moves_a_block_by_its_factor(halves, monkeypatch):
    if halves:  # the update runs in two halves, one cutting the block
        monkeypatch.setattr(SGDOptimizer, "PARALLEL_SIZE", 16)
        assert SIZE // 2 in range(BLOCK.start, BLOCK.stop)
    lr, factor = 0.1, 25.0
    optimizer = SGDOptimizer(lr, momentum=0)
    optimizer.set_block_factor(BLOCK, factor)
    start = gradient(0)
    params, grads = start.copy(), gradient(1)
    optimizer.update_params(params, grads)
    expected = start - lr * grads
    expected[BLOCK] = start[BLOCK] - (lr * factor) * grads[BLOCK]
    assert_array_equal(params, expected)


@pytest.mark.parametrize(
    "make", [lambda lr: SGDOptimizer(lr, momentum=0.9), lambda lr: AdagradOptimizer(lr),
             lambda lr: AdamOptimizer(lr)],
    ids=["sgd-momentum", "adagrad", "adam"],
)
def test_a_factor_is_the_learning_rate_of_its_block(make):
    """Over several steps, the block follows an optimizer with learning
    rate lr * factor, the rest one with lr."""
    lr, factor = 0.01, 7.0
    optimizer = make(lr)
    optimizer.set_block_factor(BLOCK, factor)
    plain, fast = make(lr), make(lr * factor)
    start = gradient(0)
    params, a, b = start.copy(), start.copy(), start.copy()
    for step in range(4):
        grads = gradient(10 + step)
        optimizer.update_params(params, grads)
        plain.update_params(a, grads)
        fast.update_params(b, grads)
    outside = np.ones(SIZE, dtype=bool)
    outside[BLOCK] = False
    assert_allclose(params[outside], a[outside], rtol=1e-14, atol=1e-15)
    assert_allclose(params[BLOCK], b[BLOCK], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize(
    "make", [lambda lr: SGDOptimizer(lr, momentum=0.9), lambda lr: AdagradOptimizer(lr),
             lambda lr: AdamOptimizer(lr)],
    ids=["sgd-momentum", "adagrad", "adam"],
)
def test_a_zero_factor_freezes_its_block_and_its_state(make):
    """Factor 0 (direct_epochs' frozen stage): the block and its state stay
    as they were, so that momentum gathered before cannot move it, and
    thawed (factor 1) it goes on from that state."""
    lr = 0.01
    optimizer, reference = make(lr), make(lr)
    params, expected = gradient(0), gradient(0)
    for step in range(2):
        optimizer.update_params(params, gradient(30 + step))
        reference.update_params(expected, gradient(30 + step))
    frozen = {name: getattr(optimizer, name)[BLOCK].copy() for name in optimizer.state}
    before = params[BLOCK].copy()
    optimizer.set_block_factor(BLOCK, 0)
    for step in range(3):
        optimizer.update_params(params, gradient(40 + step))
    assert_array_equal(params[BLOCK], before)
    for name, values in frozen.items():
        assert_array_equal(getattr(optimizer, name)[BLOCK], values)
    outside = np.ones(SIZE, dtype=bool)
    outside[BLOCK] = False
    assert np.abs(params[outside] - expected[outside]).min() > 0
    # thawed, the block takes the step its state gives, as the reference's
    optimizer.set_block_factor(BLOCK, 1)
    optimizer.t, reference.t = 2, 2  # Adam's bias correction counts steps
    optimizer.update_params(params, gradient(50))
    reference.update_params(expected, gradient(50))
    assert_allclose(params[BLOCK], expected[BLOCK], rtol=1e-14, atol=1e-15)


def test_adam_first_step_of_a_block_is_factor_times_lr():
    lr, factor = 0.002, 25.0
    optimizer = AdamOptimizer(lr)
    optimizer.set_block_factor(BLOCK, factor)
    start = gradient(0)
    params, grads = start.copy(), gradient(1)
    optimizer.update_params(params, grads)
    step = np.abs(params - start)
    # Adam's first step is lr * |g| / (|g| + eps / sqrt(1 - beta_2)): lr,
    # to the epsilon
    assert_allclose(step[BLOCK], factor * lr, rtol=1e-4)
    assert_allclose(step[: BLOCK.start], lr, rtol=1e-4)
    assert_allclose(step[BLOCK.stop :], lr, rtol=1e-4)
    plain = start.copy()
    AdamOptimizer(lr).update_params(plain, grads)
    plain_step = np.abs(plain - start)
    assert_allclose(step[BLOCK], factor * plain_step[BLOCK], rtol=1e-12)
    assert_array_equal(step[: BLOCK.start], plain_step[: BLOCK.start])


@pytest.mark.parametrize(
    "make", [lambda: SGDOptimizer(0.1, momentum=0), lambda: AdagradOptimizer(0.1),
             lambda: AdamOptimizer(0.01, lazy=True)],
    ids=["sgd", "adagrad", "lazy-adam"],
)
def test_row_sparse_updates_with_a_factor(make):
    """A row-sparse block covered by a factor: its rows update as the dense
    update of an optimizer at lr * factor, the dense part at lr."""
    factor = 5.0
    optimizer = make()
    optimizer.set_block_factor(BLOCK, factor)
    reference = make()
    reference.set_block_factor(slice(0, BLOCK.start), 1 / factor)
    reference.set_block_factor(slice(BLOCK.stop, SIZE), 1 / factor)
    reference.learning_rate *= factor
    start = gradient(0)
    params, expected = start.copy(), start.copy()
    rows = np.array([0, 2, 5])
    for step in range(3):
        grads = gradient(20 + step)
        sparse = RowSparseGradient(SIZE, {"w": (BLOCK, COLUMNS)})
        values = np.random.RandomState(step).normal(size=(len(rows), COLUMNS))
        sparse.set("w", rows, values)
        optimizer.update_params(params, grads.copy(), sparse)
        dense = grads.copy()
        dense[BLOCK] = 0
        dense[BLOCK].reshape(ROWS, COLUMNS)[rows] = values
        reference.update_params(expected, dense)
    assert_allclose(params, expected, rtol=1e-13, atol=1e-15)
    # a factor cutting a sparse block is refused
    optimizer.set_block_factor(BLOCK, 1)
    optimizer.set_block_factor(slice(BLOCK.start, BLOCK.start + 3), 2)
    sparse = RowSparseGradient(SIZE, {"w": (BLOCK, COLUMNS)})
    sparse.set("w", rows, np.zeros((len(rows), COLUMNS)))
    with pytest.raises(ValueError, match="partly"):
        optimizer.update_params(params, gradient(0), sparse)


@pytest.mark.parametrize(
    "make", [lambda: SGDOptimizer(0.1), lambda: AdagradOptimizer(0.1),
             lambda: AdamOptimizer(0.01)],
    ids=["sgd", "adagrad", "adam"],
)
def test_no_factor_changes_nothing(make):
    """Without factors (or with factors set back to 1) the updates are bit
    for bit those of an optimizer that never had one; factors survive
    pickling."""
    first, second = make(), make()
    second.set_block_factor(BLOCK, 3.0)
    second.set_block_factor(BLOCK, 1.0)
    assert second.block_factors == ()
    start = gradient(0)
    a, b = start.copy(), start.copy()
    for step in range(3):
        grads = gradient(30 + step)
        first.update_params(a, grads)
        second.update_params(b, grads)
    assert_array_equal(a, b)
    second.set_block_factor(BLOCK, 3.0)
    restored = pickle.loads(pickle.dumps(second))
    assert restored.block_factors == ((BLOCK.start, BLOCK.stop, 3.0),)
    assert make().block_factors == ()


def test_set_block_factor_checks_its_slice():
    optimizer = SGDOptimizer(0.1)
    optimizer.set_block_factor(slice(0, 10), 2)
    with pytest.raises(ValueError, match="overlaps"):
        optimizer.set_block_factor(slice(5, 15), 2)
    optimizer.set_block_factor(slice(0, 10), 4)  # replaces its own
    optimizer.set_block_factor(slice(10, 15), 3)
    assert optimizer.block_factors == ((0, 10, 4.0), (10, 15, 3.0))
    for bad in [slice(None, 5), slice(0, 10, 2), slice(5, 5)]:
        with pytest.raises(ValueError, match="slice"):
            optimizer.set_block_factor(bad, 2)
    with pytest.raises(ValueError, match="factor"):
        optimizer.set_block_factor(slice(20, 30), -1)


def test_the_table_learns_with_its_factor():
    """A next-token model whose tokens follow a fixed bigram table: the
    direct table at 25 x Adam's rate lowers the loss faster than at 1 x."""
    rng = np.random.RandomState(0)
    successor = rng.permutation(V)
    tokens = [rng.randint(V)]
    for _ in range(400):
        tokens.append(successor[tokens[-1]] if rng.uniform() < 0.9 else rng.randint(V))
    sequences = Sequences(
        np.array(tokens, dtype=np.intp), np.array([0, len(tokens)]), V, True, np.float64
    )
    ids = ngram_ids(sequences, 2, 64)
    positions = np.arange(len(tokens) - 1)
    steps = Sequences(positions, np.array([0, len(positions)]), V, True, np.float64)
    batch = pack(steps, [0])
    batch.inputs = sequences.values[positions]
    y = sequences.values[positions + 1]
    direct = step_features(ids, positions, 64, np.float64)
    losses = {}
    for factor in [1.0, 25.0]:
        network = RecurrentNetwork(hidden_size=2, output="next_token", direct_size=64)
        layout = network.layout(V, V)
        params = network.init_params(layout, np.random.RandomState(1), np.float64, True)
        grads = np.zeros_like(params)
        optimizer = AdamOptimizer(0.002)
        optimizer.set_block_factor(layout.slices["weight_direct"], factor)
        for _ in range(30):
            loss = network.loss_and_gradient(
                layout.views(params), layout.views(grads), batch, y, np.ones(1), 0.0,
                direct=direct,
            )
            optimizer.update_params(params, grads)
        losses[factor] = loss
    assert losses[25.0] < losses[1.0] - 0.3
