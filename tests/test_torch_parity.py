"""RNNClassifier against PyTorch: same weights, same probabilities, same SGD step.

A torch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` with an ``nn.Linear`` on the
sequence summary, fed ragged sequences through ``pack_sequence``, is the
reference. Its parameters are copied into ``RNNClassifier.weights_`` (the
names are torch's), then ``predict_proba`` must equal torch's softmax, and one
full-batch plain SGD step (``fit`` with ``warm_start=True, max_iter=1``) must
land on the weights of ``torch.optim.SGD`` after ``CrossEntropyLoss``.
Everything runs in float64, so the tolerance is 1e-9.
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
