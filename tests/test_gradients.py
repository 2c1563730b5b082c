"""Finite-difference checks of the exact gradient of `RecurrentNetwork`.

Every parameter of the flat vector is perturbed by +-eps (central
differences, float64) and the numerical gradient of
`RecurrentNetwork.loss_and_gradient` is compared with the exact one it writes,
as a whole and per parameter name (so that a wrong small parameter, such as
``bias_hh_l0_reverse``, cannot hide behind a large one). The batches are
ragged, with sequences of length 1 and 0 (empty) and equal lengths, with
non-uniform sample weights and an L2 penalty.

Also here: the one-hot (gather / scatter-add) path equals the dense path;
gradients through fixed dropout masks; the loss against an independent
per-sequence NumPy implementation of a 1-layer Elman network; and each
cell's initial state (h0, and c0 for the LSTM): the gradients d_h0 (d_c0),
with a loss on the final state (c_n included), in both directions.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from skrnn import _cells
from skrnn._network import DropoutNoise, RecurrentNetwork
from skrnn._sequences import Sequences, from_ragged, pack

EPS = 1e-6
RTOL = 1e-6
# Lengths of the 6 sequences of every batch: a 1, an empty one, and ties.
LENGTHS = [4, 1, 0, 3, 4, 2]
N_CLASSES = 3
HIDDEN = 3

# (cell, nonlinearity): the Elman cell with both activations, GRU and LSTM.
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = ["rnn-tanh", "rnn-relu", "gru", "lstm"]


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||), 0 when both are 0."""
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return np.linalg.norm(a - b) / denominator


def make_problem(cell, nonlinearity, num_layers, bidirectional, pooling, seed,
                 input_size=2, dropout=0.0, input_dropout=0.0, embedding_size=None):
    """A network, its flat parameters and a packed ragged batch with labels."""
    rng = np.random.RandomState(seed)
    network = RecurrentNetwork(
        cell=cell,
        hidden_size=HIDDEN,
        num_layers=num_layers,
        bidirectional=bidirectional,
        pooling=pooling,
        nonlinearity=nonlinearity,
        dropout=dropout,
        input_dropout=input_dropout,
        embedding_size=embedding_size,
    )
    layout = network.layout(input_size, N_CLASSES)
    # Larger than torch's initialization, so that the gates and the
    # nonlinearities work away from their linear regime.
    flat = rng.uniform(-1.0, 1.0, size=layout.size)
    arrays = [rng.normal(size=(length, input_size)) for length in LENGTHS]
    sequences = from_ragged(arrays)
    y = rng.permutation(np.arange(len(LENGTHS)) % N_CLASSES)
    w = rng.uniform(0.2, 3.0, size=len(LENGTHS))
    return network, layout, flat, arrays, sequences, y, w


def check_gradient(network, layout, flat, batch, y, w, alpha, make_rng=lambda: None):
    """Compare exact and central-difference gradients; return errors per name.

    ``y`` and ``w`` are in the batch's row order; ``make_rng`` returns the
    dropout noise, freshly, for every evaluation (so every mask is the same).
    """
    views = layout.views(flat)
    exact = np.full(layout.size, 7.0)  # loss_and_gradient must overwrite it
    loss = network.loss_and_gradient(
        views, layout.views(exact), batch, y, w, alpha, make_rng()
    )
    assert np.isfinite(loss)

    weights = layout.weight_mask()

    def f():
        # The loss of `loss_and_gradient` from the forward pass alone (a third
        # of the cost): the documented formula, checked equal just below.
        proba, _ = network.forward(views, batch, train=True, rng=make_rng())
        penalty = 0.5 * alpha * np.dot(flat[weights], flat[weights])
        return (penalty - np.dot(w, np.log(proba[np.arange(len(y)), y]))) / w.sum()

    assert_allclose(f(), loss, rtol=1e-14)
    assert_allclose(f(), f(), rtol=0)  # deterministic, the same masks each time
    numeric = np.empty(layout.size)
    for i in range(layout.size):
        old = flat[i]
        flat[i] = old + EPS
        plus = f()
        flat[i] = old - EPS
        minus = f()
        flat[i] = old
        numeric[i] = (plus - minus) / (2 * EPS)

    errors = {"all": relative_error(numeric, exact)}
    for name, where in layout.slices.items():
        # Every parameter name must matter, or its check would be empty.
        assert np.linalg.norm(numeric[where]) > 1e-6, name
        errors[name] = relative_error(numeric[where], exact[where])
    bad = {name: e for name, e in errors.items() if not e < RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"
    return errors


@pytest.fixture
def relu_margin(monkeypatch):
    """Record the smallest |pre-activation| the relu Elman cell sees."""
    seen = []
    relu = _cells.ACTIVATIONS["relu"]

    def recording_relu(z):
        if z.size:
            seen.append(np.abs(z).min())
        return relu(z)

    monkeypatch.setitem(_cells.ACTIVATIONS, "relu", recording_relu)
    return seen


def assert_no_relu_kink(nonlinearity, relu_margin):
    """For relu, no pre-activation may lie where a +-eps step could cross 0."""
    if nonlinearity == "relu":
        assert relu_margin, "the relu cell was not run"
        assert min(relu_margin) > 1e-4


# ---------------------------------------------------------------------------
# The exact gradient, every configuration
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["1layer", "2layers"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_gradient_finite_differences(
    cell, nonlinearity, num_layers, bidirectional, pooling, relu_margin
):
    network, layout, flat, _, sequences, y, w = make_problem(
        cell, nonlinearity, num_layers, bidirectional, pooling, seed=0
    )
    batch = pack(sequences, np.arange(len(sequences)))
    assert 0 in batch.lengths and 1 in batch.lengths
    # The batch is sorted by length, so labels and weights are reordered.
    assert not np.array_equal(batch.order, np.arange(len(sequences)))
    errors = check_gradient(
        network, layout, flat, batch, y[batch.order], w[batch.order], alpha=0.3
    )
    assert_no_relu_kink(nonlinearity, relu_margin)
    # Every name of torch's layout was checked, both directions included.
    expected = {"weight_out", "bias_out"}
    for k in range(num_layers):
        for suffix in ["", "_reverse"] if bidirectional else [""]:
            for kind in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
                expected.add(f"{kind}_l{k}{suffix}")
    assert set(errors) - {"all"} == expected


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_gradient_penalty_only_on_weights(alpha):
    """The L2 term's gradient is alpha / sum(w) * W on weights, 0 on biases."""
    network, layout, flat, _, sequences, y, w = make_problem(
        "gru", "tanh", 2, True, "mean", seed=1
    )
    batch = pack(sequences, np.arange(len(sequences)))
    y, w = y[batch.order], w[batch.order]
    with_penalty = np.empty(layout.size)
    without = np.empty(layout.size)
    views = layout.views(flat)
    loss_a = network.loss_and_gradient(
        views, layout.views(with_penalty), batch, y, w, alpha
    )
    loss_0 = network.loss_and_gradient(views, layout.views(without), batch, y, w, 0.0)
    weights = layout.weight_mask()
    assert weights.any() and not weights.all()
    assert_allclose(
        with_penalty - without, np.where(weights, alpha / w.sum() * flat, 0.0),
        rtol=0, atol=1e-14,
    )
    penalty = 0.5 * alpha * np.sum(flat[weights] ** 2) / w.sum()
    assert_allclose(loss_a - loss_0, penalty, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# One-hot input: the gather and the scatter-add equal the dense products
# ---------------------------------------------------------------------------


def one_hot_problem(cell, nonlinearity, bidirectional, input_dropout, seed=2,
                    num_layers=1, embedding_size=None):
    V = 7
    network, layout, flat, _, _, y, w = make_problem(
        cell, nonlinearity, num_layers, bidirectional, "last", seed, input_size=V,
        input_dropout=input_dropout, embedding_size=embedding_size,
    )
    rng = np.random.RandomState(seed + 100)
    offsets = np.r_[0, np.cumsum(LENGTHS)].astype(np.intp)
    # 14 tokens from 4 of the 7 slots: repeated ids, and unused slots.
    ids = rng.randint(0, 4, size=offsets[-1]).astype(np.intp)
    assert len(np.unique(ids)) < len(ids)
    one_hot = Sequences(ids, offsets, input_size=V, one_hot=True, dtype=np.float64)
    dense = Sequences(np.eye(V)[ids], offsets, V, False, np.float64)
    return network, layout, flat, one_hot, dense, y, w


@pytest.mark.parametrize("input_dropout", [0.0, 0.4], ids=["nodrop", "dropout"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_one_hot_gradient(cell, nonlinearity, bidirectional, input_dropout, relu_margin):
    network, layout, flat, one_hot, dense, y, w = one_hot_problem(
        cell, nonlinearity, bidirectional, input_dropout
    )
    batch = pack(one_hot, np.arange(len(one_hot)))
    dense_batch = pack(dense, np.arange(len(dense)))
    assert batch.one_hot and not dense_batch.one_hot
    assert batch.inputs.ndim == 1
    assert np.array_equal(batch.order, dense_batch.order)
    y, w = y[batch.order], w[batch.order]

    def make_rng():
        return np.random.RandomState(5)

    errors = check_gradient(network, layout, flat, batch, y, w, 0.2, make_rng)
    assert errors["weight_ih_l0"] < RTOL
    assert_no_relu_kink(nonlinearity, relu_margin)

    # The same data given densely: same loss and gradients.
    views = layout.views(flat)
    grad_sparse = np.empty(layout.size)
    grad_dense = np.empty(layout.size)
    loss_sparse = network.loss_and_gradient(
        views, layout.views(grad_sparse), batch, y, w, 0.2, make_rng()
    )
    loss_dense = network.loss_and_gradient(
        views, layout.views(grad_dense), dense_batch, y, w, 0.2, make_rng()
    )
    assert_allclose(loss_sparse, loss_dense, rtol=0, atol=1e-12)
    assert_allclose(grad_sparse, grad_dense, rtol=0, atol=1e-12)
    # Slots no token uses get only the penalty's gradient.
    unused = np.setdiff1d(np.arange(one_hot.input_size), one_hot.values)
    assert len(unused)
    w_ih = layout.views(flat)["weight_ih_l0"]
    g_ih = layout.views(grad_sparse)["weight_ih_l0"]
    assert_allclose(g_ih[:, unused], 0.2 / w.sum() * w_ih[:, unused], rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# An embedding in front: e_t = x_t W_emb, a row gather for one-hot input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("input_dropout", [0.0, 0.4], ids=["nodrop", "dropout"])
@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (2, True)], ids=["1layer", "2layers-bi"]
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_embedding_gradient(
    cell, nonlinearity, num_layers, bidirectional, input_dropout, relu_margin
):
    network, layout, flat, one_hot, dense, y, w = one_hot_problem(
        cell, nonlinearity, bidirectional, input_dropout, seed=6,
        num_layers=num_layers, embedding_size=4,
    )
    assert layout.shapes["weight_embedding"] == (7, 4)
    assert layout.shapes["weight_ih_l0"][1] == 4
    # Stored as torch's (V, E), C-contiguous, so that the gather reads rows.
    assert layout.views(flat)["weight_embedding"].flags.c_contiguous
    batch = pack(one_hot, np.arange(len(one_hot)))
    dense_batch = pack(dense, np.arange(len(dense)))
    y, w = y[batch.order], w[batch.order]

    def make_rng():
        return DropoutNoise(one_hot.keys(), 3)

    errors = check_gradient(network, layout, flat, batch, y, w, 0.2, make_rng)
    assert errors["weight_embedding"] < RTOL
    assert_no_relu_kink(nonlinearity, relu_margin)
    # Numeric input takes the product x_t W_emb: the same loss and gradient
    # (and the same masks, keyed by content that both forms share). Without
    # input dropout, one-hot input takes the folded projection instead (a
    # table of the batch's distinct tokens, W_emb[tokens] W_ih^T, and token
    # sums going back), so this also checks it against the plain one.
    dense_errors = check_gradient(
        network, layout, flat, dense_batch, y, w, 0.2,
        lambda: DropoutNoise(one_hot.keys(), 3),
    )
    assert dense_errors["weight_embedding"] < RTOL
    views = layout.views(flat)
    grad_gather = np.empty(layout.size)
    grad_dense = np.empty(layout.size)
    loss_gather = network.loss_and_gradient(
        views, layout.views(grad_gather), batch, y, w, 0.2, make_rng()
    )
    loss_dense = network.loss_and_gradient(
        views, layout.views(grad_dense), dense_batch, y, w, 0.2, make_rng()
    )
    assert_allclose(loss_gather, loss_dense, rtol=0, atol=1e-12)
    assert_allclose(grad_gather, grad_dense, rtol=0, atol=1e-12)
    # Rows of tokens that never occur get only the penalty's gradient.
    unused = np.setdiff1d(np.arange(one_hot.input_size), one_hot.values)
    g_emb = layout.views(grad_gather)["weight_embedding"]
    w_emb = views["weight_embedding"]
    assert_allclose(g_emb[unused], 0.2 / w.sum() * w_emb[unused], rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# Dropout: gradients through fixed masks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("noise", ["RandomState", "DropoutNoise"])
@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (2, False), (2, True)],
    ids=["1layer", "2layers", "2layers-bi"],
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_dropout_gradient(cell, nonlinearity, num_layers, bidirectional, noise, relu_margin):
    network, layout, flat, _, sequences, y, w = make_problem(
        cell, nonlinearity, num_layers, bidirectional, "last", seed=3,
        dropout=0.3, input_dropout=0.25,
    )
    batch = pack(sequences, np.arange(len(sequences)))
    y, w = y[batch.order], w[batch.order]
    keys = sequences.keys()

    def make_rng(seed=11):
        if noise == "RandomState":
            return np.random.RandomState(seed)
        return DropoutNoise(keys, seed)

    check_gradient(network, layout, flat, batch, y, w, 0.1, make_rng)
    assert_no_relu_kink(nonlinearity, relu_margin)

    # The masks matter: other masks, or none, give another loss.
    views = layout.views(flat)
    grads = layout.views(np.empty(layout.size))
    losses = [
        network.loss_and_gradient(views, grads, batch, y, w, 0.1, make_rng(seed))
        for seed in [11, 12]
    ]
    no_dropout = RecurrentNetwork(
        cell=cell, hidden_size=HIDDEN, num_layers=num_layers,
        bidirectional=bidirectional, nonlinearity=nonlinearity,
    )
    losses.append(no_dropout.loss_and_gradient(views, grads, batch, y, w, 0.1))
    assert len(set(losses)) == 3


# ---------------------------------------------------------------------------
# The loss against an independent NumPy implementation
# ---------------------------------------------------------------------------


def reference_loss(arrays, y, w, p, alpha, nonlinearity, pooling, bidirectional):
    """Loss of a 1-layer Elman network, sequence by sequence, in plain NumPy."""
    f = np.tanh if nonlinearity == "tanh" else (lambda a: np.maximum(a, 0))
    H = p["weight_hh_l0"].shape[0]
    suffixes = ["_l0", "_l0_reverse"] if bidirectional else ["_l0"]
    losses = []
    for x, label in zip(arrays, y):
        outputs, finals = [], []
        for d, sfx in enumerate(suffixes):
            steps = range(len(x) - 1, -1, -1) if d else range(len(x))
            h = np.zeros(H)
            out = np.zeros((len(x), H))
            for t in steps:
                h = f(
                    p["weight_ih" + sfx] @ x[t] + p["bias_ih" + sfx]
                    + p["weight_hh" + sfx] @ h + p["bias_hh" + sfx]
                )
                out[t] = h
            outputs.append(out)
            finals.append(h)
        out = np.concatenate(outputs, axis=1)
        if pooling == "last":
            summary = np.concatenate(finals)
        elif len(x) == 0:
            summary = np.zeros(H * len(suffixes))
        elif pooling == "mean":
            summary = out.mean(axis=0)
        else:
            summary = out.max(axis=0)
        logits = p["weight_out"] @ summary + p["bias_out"]
        log_p = logits - logits.max() - np.log(np.sum(np.exp(logits - logits.max())))
        losses.append(-log_p[label])
    squares = sum(np.sum(v**2) for name, v in p.items() if name.startswith("weight"))
    return (np.dot(w, losses) + 0.5 * alpha * squares) / np.sum(w)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_loss_equals_reference(nonlinearity, bidirectional, pooling):
    network, layout, flat, arrays, sequences, y, w = make_problem(
        "rnn", nonlinearity, 1, bidirectional, pooling, seed=4, input_size=3
    )
    params = {
        name: np.array(view) for name, view in layout.views(flat).items()
    }
    expected = reference_loss(arrays, y, w, params, 0.7, nonlinearity, pooling, bidirectional)
    batch = pack(sequences, np.arange(len(sequences)))
    grads = layout.views(np.empty(layout.size))
    loss = network.loss_and_gradient(
        layout.views(flat), grads, batch, y[batch.order], w[batch.order], 0.7
    )
    assert_allclose(loss, expected, rtol=1e-12)
    # Predictions agree too (weights and order of the batch aside).
    proba = network.predict(layout.views(flat), batch)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    unweighted = reference_loss(
        arrays, y, np.ones(len(y)), params, 0.0, nonlinearity, pooling, bidirectional
    )
    p_true = proba[np.arange(len(y)), y[batch.order]]
    assert_allclose(-np.mean(np.log(p_true)), unweighted, rtol=1e-12)


# ---------------------------------------------------------------------------
# The cells' initial state: h0 (and c0) in, d_h0 (and d_c0) out
# ---------------------------------------------------------------------------


def cell_problem(cell, nonlinearity, seed):
    """A cell, a ragged packed batch (with an empty sequence and a 1), its
    input projection, weights, an initial state and loss weights on every
    output and on the final state."""
    rng = np.random.RandomState(seed)
    instance = (
        _cells.ElmanCell(nonlinearity) if cell == "rnn" else _cells.CELLS[cell]()
    )
    G, H = instance.n_gates, HIDDEN
    offsets = np.r_[0, np.cumsum(LENGTHS)]
    sequences = Sequences(
        np.zeros((offsets[-1], 1)), offsets.astype(np.intp), 1, False, np.float64
    )
    batch = pack(sequences, np.arange(len(LENGTHS)))
    B = batch.batch
    gx = rng.uniform(-1, 1, size=(batch.n_rows, G * H))
    w_hh = rng.uniform(-1, 1, size=(G * H, H))
    b_hh = rng.uniform(-1, 1, size=G * H)
    state0 = tuple(rng.uniform(-1, 1, size=(B, H)) for _ in range(instance.n_states))
    r_out = rng.normal(size=(batch.n_rows, H))
    r_n = tuple(rng.normal(size=(B, H)) for _ in range(instance.n_states))
    return instance, batch, gx, w_hh, b_hh, state0, r_out, r_n


def cell_loss(instance, batch, gx, w_hh, b_hh, state0, r_out, r_n, reverse):
    """``sum(out * r_out) + sum_i sum(state_n[i] * r_n[i])``."""
    out, state_n, _ = instance.forward(
        gx.copy(), batch, w_hh, b_hh, reverse=reverse, keep=False, state0=state0
    )
    return np.vdot(out, r_out) + sum(np.vdot(s, r) for s, r in zip(state_n, r_n))


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_cell_initial_state_gradient(cell, nonlinearity, reverse, relu_margin):
    """d_h0 (and d_c0), and the other gradients, with an initial state and
    a loss on the final state (c_n included), against central differences."""
    instance, batch, gx, w_hh, b_hh, state0, r_out, r_n = cell_problem(
        cell, nonlinearity, seed=7
    )
    assert 0 in batch.lengths  # an empty sequence: final state = initial state
    out, state_n, cache = instance.forward(
        gx.copy(), batch, w_hh, b_hh, reverse=reverse, state0=state0
    )
    assert len(state_n) == instance.n_states
    d_gx, d_w_hh, d_b_hh, d_state0 = instance.backward(r_out, r_n, cache, w_hh)
    assert len(d_state0) == instance.n_states
    empty = batch.lengths == 0
    for s0, s_n in zip(state0, state_n):
        assert_allclose(s_n[empty], s0[empty], rtol=0, atol=0)

    arrays = {"gx": gx, "w_hh": w_hh, "b_hh": b_hh}
    arrays.update({f"state0[{i}]": s for i, s in enumerate(state0)})
    exact = {"gx": d_gx, "w_hh": d_w_hh, "b_hh": d_b_hh}
    exact.update({f"state0[{i}]": d for i, d in enumerate(d_state0)})

    def f():
        return cell_loss(instance, batch, gx, w_hh, b_hh, state0, r_out, r_n, reverse)

    for name, array in arrays.items():
        numeric = np.empty_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + EPS
            plus = f()
            array[index] = old - EPS
            minus = f()
            array[index] = old
            numeric[index] = (plus - minus) / (2 * EPS)
        assert np.linalg.norm(numeric) > 1e-6, name
        error = relative_error(numeric, exact[name])
        assert error < RTOL, (name, error)
    assert_no_relu_kink(nonlinearity, relu_margin)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_cell_zero_initial_state_equals_none(cell, nonlinearity, reverse):
    """A zero initial state gives exactly what no initial state gives; with
    none, backward spends nothing on it and returns None."""
    instance, batch, gx, w_hh, b_hh, state0, r_out, r_n = cell_problem(
        cell, nonlinearity, seed=8
    )
    zeros = tuple(np.zeros_like(s) for s in state0)
    runs = []
    for initial in (None, zeros):
        out, state_n, cache = instance.forward(
            gx.copy(), batch, w_hh, b_hh, reverse=reverse, state0=initial
        )
        runs.append((out.copy(), state_n, instance.backward(r_out, r_n, cache, w_hh)))
    (out_a, n_a, grads_a), (out_b, n_b, grads_b) = runs
    assert_allclose(out_a, out_b, rtol=0, atol=0)
    for a, b in zip(n_a, n_b):
        assert_allclose(a, b, rtol=0, atol=0)
    for a, b in zip(grads_a[:3], grads_b[:3]):
        assert_allclose(a, b, rtol=0, atol=0)
    assert grads_a[3] is None and len(grads_b[3]) == instance.n_states
