"""RNNClassifier against PyTorch: same weights, same probabilities, same SGD step.

A torch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` with an ``nn.Linear`` on the
sequence summary, fed ragged sequences through ``pack_sequence``, is the
reference. Its parameters are copied into ``RNNClassifier.weights_`` (the
names are torch's), then ``predict_proba`` must equal torch's softmax, and one
full-batch plain SGD step (``fit`` with ``warm_start=True, max_iter=1``) must
land on the weights of ``torch.optim.SGD`` after ``CrossEntropyLoss``.
Everything runs in float64, so the tolerance is 1e-9. Also: the network
run from a given initial state (torch's h_0, c_0) against torch's outputs,
final states and gradients, the initial state's included.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning

from skrnn import RNNClassifier

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence  # noqa: E402

F, H, C = 3, 4, 3
LENGTHS = [5, 2, 7, 1, 5, 3, 4, 6]  # ragged, with ties and a 1
LEARNING_RATE = 0.1
ATOL = 1e-9

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = ["rnn-tanh", "rnn-relu", "gru", "lstm"]


def make_data(seed):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(length, F)) for length in LENGTHS]
    # Every class present, so classes_ are torch's indices 0 .. C - 1.
    y = rng.permutation(np.arange(len(LENGTHS)) % C)
    return X, y


def torch_model(cell, nonlinearity, num_layers, bidirectional, seed, input_size=F):
    torch.manual_seed(seed)
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=False)
    if cell == "rnn":
        rnn = torch.nn.RNN(input_size, H, nonlinearity=nonlinearity, **kwargs)
    elif cell == "gru":
        rnn = torch.nn.GRU(input_size, H, **kwargs)
    else:
        rnn = torch.nn.LSTM(input_size, H, **kwargs)
    D = 2 if bidirectional else 1
    linear = torch.nn.Linear(H * D, C)
    return rnn.double(), linear.double()


def torch_logits(rnn, linear, X, pooling):
    """Logits of the ragged sequences X, in their order."""
    D = 2 if rnn.bidirectional else 1
    packed = pack_sequence([torch.as_tensor(x) for x in X], enforce_sorted=False)
    out, h_n = rnn(packed)
    if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
        h_n = h_n[0]
    if pooling == "last":
        # h_n: (num_layers * D, B, H); the last layer's, forward first.
        summary = torch.cat(list(h_n[-D:]), dim=1)
    else:
        padded, lengths = pad_packed_sequence(out)  # (T, B, H * D)
        valid = torch.arange(padded.shape[0])[:, None] < lengths[None, :]
        valid = valid[:, :, None]
        if pooling == "mean":
            summary = (padded * valid).sum(dim=0) / lengths[:, None].double()
        else:
            summary = padded.masked_fill(~valid, -np.inf).max(dim=0).values
    return linear(summary)


def torch_weights(rnn, linear):
    weights = {
        name: p.detach().numpy().copy() for name, p in rnn.named_parameters()
    }
    weights["weight_out"] = linear.weight.detach().numpy().copy()
    weights["bias_out"] = linear.bias.detach().numpy().copy()
    return weights


def fit_quietly(clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2], ids=["1layer", "2layers"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_torch_parity(cell, nonlinearity, num_layers, bidirectional, pooling):
    X, y = make_data(seed=0)
    rnn, linear = torch_model(cell, nonlinearity, num_layers, bidirectional, seed=0)

    clf = RNNClassifier(
        cell=cell,
        nonlinearity=nonlinearity,
        hidden_size=H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        pooling=pooling,
        solver="sgd",
        momentum=0,
        learning_rate=LEARNING_RATE,
        alpha=0,
        max_grad_norm=None,
        batch_size=len(X),
        shuffle=False,
        max_iter=1,
        warm_start=True,
        random_state=0,
    )
    fit_quietly(clf, X, y)  # creates classes_ and weights_ of the right shapes
    assert np.array_equal(clf.classes_, np.arange(C))

    # Same weights: torch's, copied into weights_ (the names are torch's).
    initial = torch_weights(rnn, linear)
    assert set(clf.weights_) == set(initial)
    for name, value in initial.items():
        assert clf.weights_[name].shape == value.shape, name
        clf.weights_[name][...] = value

    # Same probabilities.
    logits = torch_logits(rnn, linear, X, pooling)
    expected_proba = torch.softmax(logits, dim=1).detach().numpy()
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    assert_allclose(proba, expected_proba, rtol=0, atol=ATOL)

    # One full-batch plain SGD step.
    loss = torch.nn.CrossEntropyLoss()(logits, torch.from_numpy(y))
    optimizer = torch.optim.SGD(
        list(rnn.parameters()) + list(linear.parameters()), lr=LEARNING_RATE
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    fit_quietly(clf, X, y)

    assert_allclose(clf.loss_curve_[-1], loss.item(), rtol=0, atol=ATOL)
    stepped = torch_weights(rnn, linear)
    for name, value in stepped.items():
        # The step moved every array, so comparing after it means something.
        assert np.abs(value - initial[name]).max() > 1e-6, name
        assert_allclose(clf.weights_[name], value, rtol=0, atol=ATOL, err_msg=name)
    # And the stepped model still predicts as torch does.
    with torch.no_grad():
        proba_after = torch.softmax(torch_logits(rnn, linear, X, pooling), dim=1)
    assert_allclose(clf.predict_proba(X), proba_after.numpy(), rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------
# With an embedding: torch.nn.Embedding(V, E) in front, one-hot token input
# ---------------------------------------------------------------------------

V, E = 9, 5


@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (1, True), (2, True)],
    ids=["1layer", "1layer-bi", "2layers-bi"],
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_torch_parity_embedding(cell, nonlinearity, num_layers, bidirectional):
    from skrnn import OneHotSequences

    rng = np.random.RandomState(1)
    offsets = np.r_[0, np.cumsum(LENGTHS)]
    ids = rng.randint(0, V - 2, size=offsets[-1])  # two slots never used
    X = OneHotSequences(ids, offsets, V, dtype=np.float64)
    y = rng.permutation(np.arange(len(LENGTHS)) % C)
    rnn, linear = torch_model(
        cell, nonlinearity, num_layers, bidirectional, seed=1, input_size=E
    )
    embedding = torch.nn.Embedding(V, E).double()
    sentences = [torch.from_numpy(ids[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]

    def logits():
        return torch_logits(rnn, linear, [embedding(s) for s in sentences], "max")

    clf = RNNClassifier(
        cell=cell, nonlinearity=nonlinearity, hidden_size=H, num_layers=num_layers,
        bidirectional=bidirectional, pooling="max", embedding_size=E, solver="sgd",
        momentum=0, learning_rate=LEARNING_RATE, alpha=0, batch_size=len(y),
        shuffle=False, max_iter=1, warm_start=True, random_state=0,
    )
    fit_quietly(clf, X, y)
    initial = torch_weights(rnn, linear)
    initial["weight_embedding"] = embedding.weight.detach().numpy().copy()
    assert set(clf.weights_) == set(initial)
    for name, value in initial.items():
        assert clf.weights_[name].shape == value.shape, name
        clf.weights_[name][...] = value

    out = logits()
    assert_allclose(
        clf.predict_proba(X), torch.softmax(out, dim=1).detach().numpy(),
        rtol=0, atol=ATOL,
    )
    loss = torch.nn.CrossEntropyLoss()(out, torch.from_numpy(y))
    parameters = [*embedding.parameters(), *rnn.parameters(), *linear.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=LEARNING_RATE)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    fit_quietly(clf, X, y)  # the row-sparse SGD path: plain SGD, alpha=0
    stepped = torch_weights(rnn, linear)
    stepped["weight_embedding"] = embedding.weight.detach().numpy()
    # Rows of unused tokens stay; the others moved.
    moved = np.abs(stepped["weight_embedding"] - initial["weight_embedding"]).max(axis=1)
    assert (moved[: V - 2] > 1e-6).any() and (moved[V - 2 :] == 0).all()
    for name, value in stepped.items():
        assert_allclose(clf.weights_[name], value, rtol=0, atol=ATOL, err_msg=name)


# ---------------------------------------------------------------------------
# A given initial state: torch's h_0 (and c_0 for the LSTM)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (2, True)], ids=["1layer", "2layers-bi"]
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_torch_parity_initial_state(cell, nonlinearity, num_layers, bidirectional):
    """``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` run from a given h_0 (and c_0):
    the same outputs and final states (h_n, c_n), and, for a loss on the last
    layer's outputs and final states, the same gradients of every weight and
    of h_0 (and c_0), both directions included."""
    from skrnn._network import RecurrentNetwork
    from skrnn._sequences import from_ragged, pack

    X, _ = make_data(seed=2)
    rnn, _ = torch_model(cell, nonlinearity, num_layers, bidirectional, seed=2)
    D = 2 if bidirectional else 1
    B, n_states = len(X), 2 if cell == "lstm" else 1
    rng = np.random.RandomState(3)
    state0 = [rng.normal(size=(num_layers * D, B, H)) for _ in range(n_states)]
    r_out = [rng.normal(size=(len(x), H * D)) for x in X]
    r_hn = rng.normal(size=(D, B, H))  # on the last layer's final states

    # torch, in the order of X
    t_state0 = [torch.tensor(s, requires_grad=True) for s in state0]
    packed = pack_sequence([torch.as_tensor(x) for x in X], enforce_sorted=False)
    out, t_state_n = rnn(packed, tuple(t_state0) if cell == "lstm" else t_state0[0])
    t_state_n = t_state_n if cell == "lstm" else (t_state_n,)
    padded, _ = pad_packed_sequence(out)
    loss = sum(
        (padded[: len(x), i] * torch.from_numpy(r)).sum()
        for i, (x, r) in enumerate(zip(X, r_out))
    ) + (t_state_n[0][-D:] * torch.from_numpy(r_hn)).sum()
    loss.backward()

    # skrnn, in the batch's row order
    network = RecurrentNetwork(
        cell=cell, hidden_size=H, num_layers=num_layers, bidirectional=bidirectional,
        nonlinearity=nonlinearity,
    )
    layout = network.layout(F, C)
    flat = np.zeros(layout.size)
    params = layout.views(flat)
    for name, p in rnn.named_parameters():
        params[name][...] = p.detach().numpy()
    batch = pack(from_ragged(X), np.arange(B))
    order = batch.order
    initial = tuple(s[:, order] for s in state0)
    _, cache = network.forward(params, batch, train=True, initial_state=initial)
    step = np.repeat(np.arange(batch.n_steps), batch.batch_sizes)
    sequence = order[batch.row_of]
    out_np = cache["layers"][-1]["output"]
    expected_out = padded.detach().numpy()[step, sequence]
    assert_allclose(out_np, expected_out, rtol=0, atol=ATOL)
    for ours, theirs in zip(cache["final_state"], t_state_n):
        assert_allclose(ours, theirs.detach().numpy()[:, order], rtol=0, atol=ATOL)

    grads_flat = np.zeros(layout.size)
    grads = layout.views(grads_flat)
    d_out = np.array([r_out[i][t] for i, t in zip(sequence, step)])
    d_hn = [r_hn[d][order] for d in range(D)]
    _, d_initial = network._backward_layers(params, grads, cache, d_out, d_hn)
    for name, p in rnn.named_parameters():
        assert_allclose(grads[name], p.grad.numpy(), rtol=0, atol=ATOL, err_msg=name)
    assert len(d_initial) == n_states
    for ours, theirs in zip(d_initial, t_state0):
        assert np.abs(theirs.grad.numpy()).max() > 1e-3
        assert_allclose(ours, theirs.grad.numpy()[:, order], rtol=0, atol=ATOL)
