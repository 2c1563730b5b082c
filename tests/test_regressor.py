"""RNNRegressor: the scikit-learn contract, gradients, PyTorch parity, the data
model, target scaling, inspection, errors, and the Covid3Month benchmark."""

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
from _benchmark_scripts import load_script
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNRegressor
from skrnn._network import RecurrentNetwork
from skrnn._sequences import from_ragged, pack
from skrnn.inspection import token_influence

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def quiet():
    """Short fits here stop at max_iter on purpose."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------

# Configurations whose code paths differ for a regressor: the identity
# output meets L-BFGS, plain SGD, stacked bidirectional layers with dropout,
# and an embedding. Cells, pooling and the other solvers run the same network
# code as the classifier's NON_DEFAULT (tests/test_classifier.py), whose
# default checks run every cell at 64 units; here the gated cells at 8. The
# settings are chosen as a user would, to learn scikit-learn's regression
# check (R² > 0.5 on 200 samples): plain SGD and dropout want larger steps,
# and dropout's noisy loss more patience.
# Full-batch L-BFGS stops at 20 iterations: later, its line searches turn
# chaotic, and float rounding (weights times k versus k copies) fails the
# sample-weight check.
NON_DEFAULT = [
    RNNRegressor(hidden_size=8, cell="gru"),
    RNNRegressor(hidden_size=8, cell="lstm"),
    RNNRegressor(hidden_size=8, num_layers=2, bidirectional=True, dropout=0.2),
    RNNRegressor(hidden_size=8, solver="sgd", learning_rate=0.1),
    RNNRegressor(hidden_size=16, solver="lbfgs", max_iter=20),
    RNNRegressor(hidden_size=8, embedding_size=4, input_dropout=0.2, cell="gru",
                 learning_rate=0.03),
]


def run_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    skipped = [r["check_name"] for r in results if r["status"] == "skipped"]
    assert failed == []
    assert set(skipped) <= {"check_array_api_input"}
    assert len(results) > 50


@pytest.mark.slow
def test_check_estimator_default():
    """The default estimator passes every check; only array-API skips."""
    run_check_estimator(RNNRegressor())


@pytest.mark.slow
@parametrize_with_checks(NON_DEFAULT)
def test_sklearn_compatible_configurations(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_tags():
    tags = RNNRegressor().__sklearn_tags__()
    assert tags.estimator_type == "regressor"
    assert tags.target_tags.multi_output and tags.target_tags.required
    assert tags.input_tags.three_d_array


# ---------------------------------------------------------------------------
# The exact gradient of the identity output and its halved squared error
# ---------------------------------------------------------------------------

EPS = 1e-6
RTOL = 1e-6
LENGTHS = [4, 1, 0, 3, 4, 2]  # a 1, an empty sequence, and ties
HIDDEN = 3
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = ["rnn-tanh", "rnn-relu", "gru", "lstm"]


def relative_error(a, b):
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else np.linalg.norm(a - b) / denominator


def regression_problem(cell, nonlinearity, num_layers, bidirectional, pooling,
                       n_outputs, seed, dropout=0.0, input_dropout=0.0):
    """A network with the identity output, its parameters, a packed ragged
    batch, real-valued targets (B, n_outputs) and sample weights."""
    rng = np.random.RandomState(seed)
    network = RecurrentNetwork(
        cell=cell, hidden_size=HIDDEN, num_layers=num_layers,
        bidirectional=bidirectional, pooling=pooling, nonlinearity=nonlinearity,
        dropout=dropout, input_dropout=input_dropout, output="identity",
    )
    layout = network.layout(2, n_outputs)
    # larger than torch's initialization: the gates work off their linear regime
    flat = rng.uniform(-1.0, 1.0, size=layout.size)
    sequences = from_ragged([rng.normal(size=(n, 2)) for n in LENGTHS])
    batch = pack(sequences, np.arange(len(sequences)))
    y = rng.normal(size=(len(LENGTHS), n_outputs)) * 2
    w = rng.uniform(0.2, 3.0, size=len(LENGTHS))
    return network, layout, flat, sequences, batch, y[batch.order], w[batch.order]


def documented_loss(output, y, w, flat, weights, alpha):
    """sum_i w_i * 1/2 mean_k (o_ik - y_ik)^2 / sum w + alpha/2 ||W||^2 / sum w."""
    per_sample = 0.5 * np.mean((output - y) ** 2, axis=1)
    penalty = 0.5 * alpha * np.dot(flat[weights], flat[weights])
    return (np.dot(w, per_sample) + penalty) / w.sum()


def check_gradient(network, layout, flat, batch, y, w, alpha, make_rng=lambda: None):
    """Central differences of the documented loss against the exact gradient,
    as a whole and per parameter name."""
    views = layout.views(flat)
    exact = np.full(layout.size, 7.0)  # loss_and_gradient must overwrite it
    loss = network.loss_and_gradient(
        views, layout.views(exact), batch, y, w, alpha, make_rng()
    )
    weights = layout.weight_mask()

    def f():
        output, _ = network.forward(views, batch, train=True, rng=make_rng())
        return documented_loss(output, y, w, flat, weights, alpha)

    assert_allclose(f(), loss, rtol=1e-13)
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
        assert np.linalg.norm(numeric[where]) > 1e-6, name  # every name matters
        errors[name] = relative_error(numeric[where], exact[where])
    bad = {name: e for name, e in errors.items() if not e < RTOL}
    assert not bad, f"relative errors above {RTOL}: {bad}"
    return errors


@pytest.mark.parametrize("n_outputs", [1, 3], ids=["1output", "3outputs"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (2, True)], ids=["1layer", "2layers-bi"]
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_gradient_finite_differences(
    cell, nonlinearity, num_layers, bidirectional, pooling, n_outputs
):
    network, layout, flat, _, batch, y, w = regression_problem(
        cell, nonlinearity, num_layers, bidirectional, pooling, n_outputs, seed=0
    )
    assert 0 in batch.lengths and 1 in batch.lengths
    assert len(np.unique(w)) == len(w)  # really weighted
    errors = check_gradient(network, layout, flat, batch, y, w, alpha=0.3)
    assert layout.shapes["weight_out"] == (n_outputs, HIDDEN * (1 + bidirectional))
    assert {"weight_out", "bias_out", "weight_hh_l0"} <= set(errors)


@pytest.mark.parametrize("n_outputs", [1, 2], ids=["1output", "2outputs"])
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_gradient_through_dropout(cell, nonlinearity, n_outputs):
    network, layout, flat, _, batch, y, w = regression_problem(
        cell, nonlinearity, 2, True, "mean", n_outputs, seed=1,
        dropout=0.3, input_dropout=0.25,
    )
    check_gradient(
        network, layout, flat, batch, y, w, 0.1, lambda: np.random.RandomState(3)
    )


def test_gradient_unweighted_and_without_penalty():
    """Unit weights and alpha=0: the loss is half the mean squared error."""
    network, layout, flat, _, batch, y, _ = regression_problem(
        "gru", "tanh", 1, False, "last", 2, seed=2
    )
    w = np.ones(len(y))
    check_gradient(network, layout, flat, batch, y, w, alpha=0.0)
    grads = layout.views(np.empty(layout.size))
    loss = network.loss_and_gradient(layout.views(flat), grads, batch, y, w, 0.0)
    output = network.predict(layout.views(flat), batch)
    assert_allclose(loss, 0.5 * np.mean((output - y) ** 2), rtol=1e-13)


# ---------------------------------------------------------------------------
# PyTorch parity: nn.RNN / nn.GRU / nn.LSTM + nn.Linear + MSELoss
# ---------------------------------------------------------------------------

F, H = 3, 4
TORCH_LENGTHS = [5, 2, 7, 1, 5, 3, 4, 6]
LEARNING_RATE = 0.1
ATOL = 1e-9


def torch_logits(torch, rnn, linear, X, pooling):
    from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

    D = 2 if rnn.bidirectional else 1
    packed = pack_sequence([torch.as_tensor(x) for x in X], enforce_sorted=False)
    out, h_n = rnn(packed)
    if isinstance(h_n, tuple):  # LSTM: (h_n, c_n)
        h_n = h_n[0]
    if pooling == "last":
        summary = torch.cat(list(h_n[-D:]), dim=1)
    else:
        padded, lengths = pad_packed_sequence(out)  # (T, B, H * D)
        valid = (torch.arange(padded.shape[0])[:, None] < lengths[None, :])[:, :, None]
        if pooling == "mean":
            summary = (padded * valid).sum(dim=0) / lengths[:, None].double()
        else:
            summary = padded.masked_fill(~valid, -np.inf).max(dim=0).values
    return linear(summary)


def torch_weights(rnn, linear):
    weights = {name: p.detach().numpy().copy() for name, p in rnn.named_parameters()}
    weights["weight_out"] = linear.weight.detach().numpy().copy()
    weights["bias_out"] = linear.bias.detach().numpy().copy()
    return weights


@pytest.mark.parametrize("n_outputs", [1, 2], ids=["1-D y", "2outputs"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max"])
@pytest.mark.parametrize(
    "num_layers, bidirectional", [(1, False), (2, True)], ids=["1layer", "2layers-bi"]
)
@pytest.mark.parametrize("cell, nonlinearity", CELLS, ids=CELL_IDS)
def test_torch_parity(cell, nonlinearity, num_layers, bidirectional, pooling, n_outputs):
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(length, F)) for length in TORCH_LENGTHS]
    Y = rng.normal(size=(len(X), n_outputs)) * 1.5 + 0.5
    y = Y[:, 0] if n_outputs == 1 else Y  # a 1-D y gives 1-D predictions

    torch.manual_seed(0)
    kwargs = dict(num_layers=num_layers, bidirectional=bidirectional)
    if cell == "rnn":
        rnn = torch.nn.RNN(F, H, nonlinearity=nonlinearity, **kwargs)
    else:
        rnn = getattr(torch.nn, cell.upper())(F, H, **kwargs)
    linear = torch.nn.Linear(H * (1 + bidirectional), n_outputs)
    rnn, linear = rnn.double(), linear.double()

    # skrnn's loss is half of MSELoss (mean over samples and outputs), and so
    # is its gradient: plain SGD with twice the step lands on torch's weights.
    reg = RNNRegressor(
        cell=cell, nonlinearity=nonlinearity, hidden_size=H, num_layers=num_layers,
        bidirectional=bidirectional, pooling=pooling, solver="sgd", momentum=0,
        learning_rate=2 * LEARNING_RATE, alpha=0, batch_size=len(X),
        shuffle=False, max_iter=1, warm_start=True, random_state=0,
    ).fit(X, y)  # creates weights_ of the right shapes
    initial = torch_weights(rnn, linear)
    assert set(reg.weights_) == set(initial)
    for name, value in initial.items():
        assert reg.weights_[name].shape == value.shape, name
        reg.weights_[name][...] = value

    out = torch_logits(torch, rnn, linear, X, pooling)
    prediction = reg.predict(X)
    assert prediction.shape == y.shape and prediction.dtype == np.float64
    assert_allclose(prediction, out.detach().numpy().reshape(y.shape), rtol=0, atol=ATOL)

    loss = torch.nn.MSELoss()(out, torch.from_numpy(Y))
    optimizer = torch.optim.SGD([*rnn.parameters(), *linear.parameters()],
                                lr=LEARNING_RATE)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    reg.fit(X, y)

    assert_allclose(reg.loss_curve_[-1], 0.5 * loss.item(), rtol=0, atol=ATOL)
    stepped = torch_weights(rnn, linear)
    for name, value in stepped.items():
        assert np.abs(value - initial[name]).max() > 1e-6, name  # it moved
        assert_allclose(reg.weights_[name], value, rtol=0, atol=ATOL, err_msg=name)
    with torch.no_grad():
        after = torch_logits(torch, rnn, linear, X, pooling).numpy()
    assert_allclose(reg.predict(X), after.reshape(y.shape), rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------
# The sequence data model: every form of X means the same sequences
# ---------------------------------------------------------------------------


def ragged_data(n=12, n_features=2, seed=0, min_length=1, max_length=7):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_length, max_length + 1, size=n)
    X = [rng.normal(size=(length, n_features)) for length in lengths]
    y = np.array([x[0, 0] - x[-1, -1] for x in X])
    return X, y


def nan_padded(X):
    out = np.full((len(X), max(len(x) for x in X), X[0].shape[1]), np.nan)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


@pytest.fixture(scope="module")
def fitted_ragged():
    X, y = ragged_data(n=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = RNNRegressor(hidden_size=6, max_iter=5, random_state=0).fit(X, y)
    return reg, X, y


def test_every_form_of_x_predicts_the_same(fitted_ragged):
    reg, X, _ = fitted_ragged
    ragged = reg.predict(X)
    assert ragged.shape == (len(X),)
    assert_allclose(reg.predict(nan_padded(X)), ragged, rtol=0, atol=1e-12)
    as_object_array = np.empty(len(X), dtype=object)
    as_object_array[:] = X
    assert_allclose(reg.predict(as_object_array), ragged, rtol=0, atol=1e-12)
    one_at_a_time = np.concatenate([reg.predict([x]) for x in X])
    assert_allclose(one_at_a_time, ragged, rtol=0, atol=1e-12)
    assert np.abs(reg.predict([x[::-1] for x in X]) - ragged).max() > 1e-6  # order


def test_training_on_padded_equals_training_on_ragged():
    X, y = ragged_data(seed=1)
    params = dict(hidden_size=5, max_iter=3, random_state=0)
    a = RNNRegressor(**params).fit(X, y)
    b = RNNRegressor(**params).fit(nan_padded(X), y)
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=0, atol=1e-12)


def test_2d_equals_3d_univariate():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 6))
    y = X[:, 0] * 2 - X[:, -1]
    a = RNNRegressor(hidden_size=4, max_iter=3, random_state=0).fit(X, y)
    b = RNNRegressor(hidden_size=4, max_iter=3, random_state=0).fit(X[:, :, None], y)
    assert_allclose(a.predict(X), b.predict(X[:, :, None]), atol=1e-12)
    assert a.n_features_in_ == 6 and a.input_size_ == 1
    assert not hasattr(b, "n_features_in_")


def test_one_hot_sequences_equal_their_dense_form():
    rng = np.random.RandomState(0)
    lengths = rng.randint(0, 6, size=20)
    offsets = np.r_[0, np.cumsum(lengths)]
    X = OneHotSequences(rng.randint(0, 7, size=offsets[-1]), offsets, 7)
    y = rng.normal(size=(20, 2))
    params = dict(hidden_size=4, cell="gru", max_iter=3, random_state=0)
    sparse = RNNRegressor(**params).fit(X, y)
    dense = [X[i] for i in range(len(X))]
    dense_model = RNNRegressor(**params).fit(dense, y)
    assert sparse.predict(X).shape == (20, 2)
    assert_allclose(sparse.predict(X), dense_model.predict(dense), atol=1e-10)


def test_text_pipeline():
    X = ["one two three", "three two one", "two two", "one", "three one two one"] * 8
    y = np.array([len(s.split()) for s in X], dtype=float)
    model = make_pipeline(
        OneHotSequenceTransformer(),
        RNNRegressor(hidden_size=8, learning_rate=0.01, batch_size=8, max_iter=60,
                     random_state=0),
    ).fit(X, y)
    assert model.predict(["two one"]).shape == (1,)
    assert model.score(X, y) > 0.8


# ---------------------------------------------------------------------------
# Targets: shapes as MLPRegressor, dtype, weights, continuation
# ---------------------------------------------------------------------------


def test_target_shapes_follow_mlp_regressor():
    """1-D y -> (n,); (n, k) -> (n, k); (n, 1) -> warning and (n,), as MLPRegressor."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5))
    y = X[:, 0] - X[:, -1]
    Y = np.c_[y, -y, X[:, 2]]
    for model in (
        RNNRegressor(hidden_size=4, max_iter=2, random_state=0),
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    ):
        assert model.fit(X, y).predict(X).shape == (30,)
        assert model.fit(X, Y).predict(X).shape == (30, 3)
        with pytest.warns(DataConversionWarning, match="column-vector y"):
            model.fit(X, y[:, None])
        assert model.predict(X).shape == (30,)
    reg = RNNRegressor(hidden_size=4, max_iter=2, random_state=0)
    assert reg.fit(X, Y).n_outputs_ == 3 and reg.weights_["weight_out"].shape[0] == 3
    with pytest.warns(DataConversionWarning):
        assert reg.fit(X, y[:, None]).n_outputs_ == 1
    one_d = reg.predict(X)
    assert_allclose(clone(reg).fit(X, y).predict(X), one_d, rtol=0, atol=1e-12)
    assert_allclose(clone(reg).fit(X, y.tolist()).predict(X), one_d, atol=1e-12)
    # integer and boolean targets are numbers
    assert clone(reg).fit(X, (y > 0).astype(int)).predict(X).dtype == np.float64
    assert clone(reg).fit(X, y > 0).predict(X).shape == (30,)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_float32_end_to_end(cell):
    X, y = ragged_data(n=20)
    X32 = [x.astype(np.float32) for x in X]
    params = dict(hidden_size=5, cell=cell, max_iter=3, random_state=0)
    m64 = RNNRegressor(**params).fit(X, y)
    m32 = RNNRegressor(**params).fit(X32, y)
    assert all(w.dtype == np.float32 for w in m32.weights_.values())
    assert all(w.dtype == np.float64 for w in m64.weights_.values())
    p32 = m32.predict(X32)
    assert p32.dtype == np.float32 and m32.predict(X).dtype == np.float32
    assert isinstance(m32.loss_, float)
    assert_allclose(p32, m64.predict(X), atol=1e-4)
    assert np.abs(p32 - m64.predict(X)).max() > 0  # really float32 arithmetic
    # the targets reach the loss in float32 too: nothing is upcast
    data = m32._validate_fit_data(X32, y, None, False, None, False)
    assert data.targets.dtype == np.float32 and data.targets.shape == (20, 1)


@pytest.mark.filterwarnings("ignore:Got batch_size")  # one batch of all, on purpose
def test_sample_weight_equals_repetition():
    X, y = ragged_data(n=15, seed=3)
    weights = np.random.RandomState(0).randint(0, 4, size=len(X))
    weights[:3] = [1, 2, 3]
    X_repeated = [x for x, k in zip(X, weights) for _ in range(k)]
    params = dict(
        hidden_size=5, solver="sgd", learning_rate=0.1, batch_size=1000,
        max_iter=5, alpha=1e-3, random_state=0,
    )
    Y = np.c_[y, y**2]
    a = RNNRegressor(**params).fit(X, Y, sample_weight=weights)
    b = RNNRegressor(**params).fit(X_repeated, np.repeat(Y, weights, axis=0))
    for name in a.weights_:
        assert_allclose(a.weights_[name], b.weights_[name], rtol=1e-10, atol=1e-12)
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-12)


def test_partial_fit_equals_fit_epochs():
    X, y = ragged_data(n=30)
    params = dict(hidden_size=5, random_state=0, batch_size=8, n_iter_no_change=100)
    full = RNNRegressor(max_iter=3, **params).fit(X, y)
    step = RNNRegressor(**params)
    for _ in range(3):
        step.partial_fit(X, y)
    for name in full.weights_:
        assert_allclose(step.weights_[name], full.weights_[name], atol=1e-12)
    assert step.n_iter_ == full.n_iter_ == 3 and step.t_ == full.t_ == 90
    assert_allclose(step.loss_curve_, full.loss_curve_)
    assert step.loss_ == step.loss_curve_[-1]
    with pytest.raises(ValueError, match="2 output.*fitted on 1"):
        step.partial_fit(X, np.c_[y, y])
    assert step.n_iter_ == 3  # the failed call changed nothing
    assert not hasattr(RNNRegressor(solver="lbfgs"), "partial_fit")
    with pytest.raises(TypeError):
        step.partial_fit(X, y, None)  # sample_weight is keyword-only


def test_warm_start_continues():
    X, y = ragged_data(n=20)
    params = dict(
        hidden_size=5, solver="sgd", momentum=0, learning_rate=0.05,
        shuffle=False, random_state=0, n_iter_no_change=100,
    )
    five = RNNRegressor(max_iter=5, **params).fit(X, y)
    warm = RNNRegressor(max_iter=2, warm_start=True, **params).fit(X, y)
    warm.set_params(max_iter=3).fit(X, y)
    for name in five.weights_:
        assert_allclose(warm.weights_[name], five.weights_[name], atol=1e-12)
    assert warm.n_iter_ == 5
    with pytest.raises(ValueError, match="same number of outputs"):
        warm.fit(X, np.c_[y, y])
    cold = RNNRegressor(max_iter=2, **params).fit(X, y)
    assert cold.fit(X, np.c_[y, y]).n_outputs_ == 2  # without warm_start: anew


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_solver_lowers_the_loss(solver):
    X, y = ragged_data(n=40)
    lr = {"sgd": 0.05, "adam": 0.01, "lbfgs": 0.001}[solver]
    reg = RNNRegressor(
        hidden_size=8, solver=solver, learning_rate=lr, max_iter=30, random_state=0
    ).fit(X, y)
    assert reg.loss_curve_[-1] < 0.8 * reg.loss_curve_[0]
    assert reg.best_loss_ == pytest.approx(min(reg.loss_curve_))


def test_early_stopping_scores_with_weighted_r2():
    X, y = ragged_data(n=60)
    reg = RNNRegressor(
        hidden_size=6, early_stopping=True, n_iter_no_change=3, max_iter=30,
        learning_rate=0.01, random_state=0,
    ).fit(X, y)
    assert len(reg.validation_scores_) == reg.n_iter_ == len(reg.loss_curve_)
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert reg.best_loss_ is None
    assert max(reg.validation_scores_) <= 1
    with pytest.raises(ValueError, match="R² needs at least 2"):
        clone(reg).fit(X[:10], y[:10])  # 1 held-out sample
    targets, output = np.c_[y[:5]], np.c_[y[:5] + 0.1]
    weight = np.arange(1.0, 6.0)
    assert reg._validation_score(targets, output, weight) == pytest.approx(
        r2_score(y[:5], y[:5] + 0.1, sample_weight=weight)
    )


def test_learns_an_order_task_a_bag_of_values_cannot():
    """y is the signed distance from the +1 step to the -1 step."""
    rng = np.random.RandomState(0)
    X = rng.normal(0, 0.1, size=(500, 8))
    y = np.empty(500)
    for i in range(500):
        a, b = rng.choice(8, size=2, replace=False)
        X[i, a] += 1
        X[i, b] -= 1
        y[i] = (b - a) / 4
    reg = RNNRegressor(hidden_size=16, learning_rate=0.01, random_state=0)
    reg.fit(X[:400], y[:400])
    assert reg.score(X[400:], y[400:]) > 0.8
    from sklearn.linear_model import RidgeCV

    bag = RidgeCV().fit(np.sort(X[:400], axis=1), y[:400])
    assert bag.score(np.sort(X[400:], axis=1), y[400:]) < 0.1


def test_hidden_states_and_pickle(fitted_ragged):
    reg, X, _ = fitted_ragged
    states = reg.hidden_states(X)
    assert [s.shape for s in states] == [(len(x), 6) for x in X]
    again = pickle.loads(pickle.dumps(reg))
    assert_array_equal(again.predict(X), reg.predict(X))


# ---------------------------------------------------------------------------
# Target scaling: TransformedTargetRegressor
# ---------------------------------------------------------------------------


def test_transformed_target_regressor():
    """Targets far from unit scale: standardising them makes the fit work."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 6))
    y = 5000 + 800 * (X[:, 0] - X[:, -1])
    reg = RNNRegressor(hidden_size=8, learning_rate=0.01, max_iter=60, random_state=0)
    scaled = TransformedTargetRegressor(regressor=reg, transformer=StandardScaler())
    scaled.fit(X, y)
    raw = clone(reg).fit(X, y)
    assert scaled.score(X, y) > 0.9
    assert raw.score(X, y) < 0.5  # Adam's steps of 0.01 do not reach 5000
    inner = scaled.regressor_
    assert isinstance(inner, RNNRegressor) and inner.n_outputs_ == 1
    assert_allclose(
        scaled.predict(X),
        scaled.transformer_.inverse_transform(inner.predict(X)[:, None]).ravel(),
    )
    # ragged sequences and a Pipeline pass through unchanged
    X_ragged, y_ragged = ragged_data(n=30)
    pipe = TransformedTargetRegressor(
        regressor=make_pipeline(RNNRegressor(hidden_size=4, max_iter=3)),
        transformer=StandardScaler(),
    ).fit(X_ragged, 100 * y_ragged)
    assert pipe.predict(X_ragged).shape == (30,)


# ---------------------------------------------------------------------------
# Bad input: a clear error before any work, the estimator left unfitted
# ---------------------------------------------------------------------------

X_OK = np.random.RandomState(0).normal(size=(6, 4))
Y_OK = np.linspace(-1, 1, 6)


def with_value(value, where=3):
    y = Y_OK.copy()
    y[where] = value
    return y


BAD_Y = [
    ("NaN", lambda: with_value(np.nan), ValueError, "Input y contains NaN.*sample 3"),
    ("inf", lambda: with_value(np.inf, 1), ValueError, "y contains infinity.*sample 1"),
    ("-inf 2-D", lambda: np.c_[Y_OK, with_value(-np.inf)], ValueError, "infinity"),
    ("strings", lambda: np.array(["a", "b", "c", "a", "b", "c"]), ValueError,
     "RNNClassifier"),
    ("numbers as text", lambda: Y_OK.astype(str), ValueError, r"y.astype\(float\)"),
    ("objects", lambda: np.array(["a", 1, 2, 3, 4, 5], dtype=object), ValueError,
     "RNNClassifier"),
    ("3-D", lambda: np.zeros((6, 2, 2)), ValueError, "y has 3 dimensions"),
    ("0 outputs", lambda: np.zeros((6, 0)), ValueError, "0 outputs"),
    ("complex", lambda: Y_OK + 1j, ValueError, "Complex data not supported"),
    ("length", lambda: Y_OK[:-1], ValueError, "inconsistent"),
    ("None", lambda: None, ValueError, "requires y to be passed"),
]


@pytest.mark.parametrize("name, make, error, match", BAD_Y, ids=[b[0] for b in BAD_Y])
def test_bad_targets(name, make, error, match):
    reg = RNNRegressor(max_iter=1)
    with pytest.raises(error, match=match):
        reg.fit(X_OK, make())
    assert not hasattr(reg, "weights_") and not hasattr(reg, "n_outputs_")
    assert not hasattr(reg, "n_features_in_")


def test_objects_holding_numbers_are_numbers():
    y = np.array(list(Y_OK), dtype=object)
    reg = RNNRegressor(hidden_size=3, max_iter=1, random_state=0)
    assert_allclose(reg.fit(X_OK, y).predict(X_OK), clone(reg).fit(X_OK, Y_OK).predict(X_OK))


def test_bad_x_and_predict_before_fit():
    with pytest.raises(TypeError, match="OneHotSequenceTransformer"):
        RNNRegressor().fit(["you are good", "are you good"], [1.0, 2.0])
    with pytest.raises(ValueError, match="NaN inside sequence 1"):
        X = X_OK.copy()
        X[1, 1] = np.nan
        RNNRegressor().fit(X, Y_OK)
    for method in ("predict", "hidden_states"):
        with pytest.raises(NotFittedError):
            getattr(RNNRegressor(), method)(X_OK)
    with pytest.raises(ValueError, match="The 'learning_rate' parameter"):
        RNNRegressor(learning_rate=0).fit(X_OK, Y_OK)
    with pytest.raises(TypeError, match="class_weight"):
        RNNRegressor(class_weight="balanced")


# ---------------------------------------------------------------------------
# Inspection: influence on the predicted value
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_hot_regressors():
    """Tiny regressors on one-hot input, one per cell, with 2 outputs."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 6, size=20)
    offsets = np.r_[0, np.cumsum(lengths)]
    X = OneHotSequences(rng.randint(0, 7, size=offsets[-1]), offsets, 7)
    Y = rng.normal(size=(20, 2))
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for cell in ("rnn", "gru", "lstm"):
            models[cell] = RNNRegressor(
                hidden_size=4, cell=cell, num_layers=2, bidirectional=True,
                pooling="mean", max_iter=3, random_state=0,
            ).fit(X, Y)
    return models, X


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gradient_influence_is_the_derivative_of_the_prediction(one_hot_regressors, cell):
    models, X = one_hot_regressors
    model = models[cell]
    influence = token_influence(model, X[:4], method="gradient")
    assert [a.shape for a in influence] == [(len(X[i]), 2) for i in range(4)]
    eps = 1e-6
    for i in range(4):
        x = X[i]
        for t in range(len(x)):
            token = np.argmax(x[t])
            up, down = x.copy(), x.copy()
            up[t, token] += eps
            down[t, token] -= eps
            numeric = (model.predict([up]) - model.predict([down])) / (2 * eps)
            assert_allclose(influence[i][t], numeric[0], atol=1e-6)


def test_occlusion_influence_on_the_predicted_value(fitted_ragged):
    reg, X, _ = fitted_ragged
    influence = token_influence(reg, X[:5])
    for x, result in zip(X[:5], influence):
        assert result.shape == (len(x), 1)
        full = reg.predict([x])[0]
        for t in range(len(x)):
            without = reg.predict([np.delete(x, t, axis=0)])[0]
            assert_allclose(result[t, 0], full - without, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def text_regressor():
    X = ["one two three", "three two one", "two two", "one", "three one two one"] * 4
    y = np.array([len(s.split()) for s in X], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(
            OneHotSequenceTransformer(),
            RNNRegressor(hidden_size=4, max_iter=5, random_state=0),
        ).fit(X, np.c_[y, -y])


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_displays_for_a_regressor(pyplot, text_regressor):
    from skrnn.inspection import HiddenStateDisplay, TokenInfluenceDisplay

    sentences = ["one two", "three two one"]
    tokens = ["one", "two", "three", "two", "one"]
    display = TokenInfluenceDisplay.from_estimator(
        text_regressor, sentences, target=1, method="gradient"
    )
    assert [t.get_text() for t in display.texts_] == tokens
    expected = token_influence(text_regressor, sentences, method="gradient")
    assert_allclose(display.image_.get_array()[1], expected[1][:, 1])
    assert "output 1" in display.ax_.get_title() and display.regression
    default = TokenInfluenceDisplay.from_estimator(text_regressor, sentences)
    assert default.target == 0
    assert_allclose(
        default.image_.get_array()[1], token_influence(text_regressor, sentences)[1][:, 0]
    )
    for bad in (2, -1, "question", 1.0, True):
        with pytest.raises(ValueError, match="index of an output"):
            TokenInfluenceDisplay.from_estimator(text_regressor, sentences, target=bad)
    states = HiddenStateDisplay.from_estimator(text_regressor, sentences)
    assert [label.get_text() for label in states.ax_.get_xticklabels()] == tokens
    assert states.image_.get_array().shape == (4, 5)


def test_displays_for_numeric_sequences_label_the_steps(pyplot, fitted_ragged):
    """Behind a numeric step (SequenceScaler), ticks are step numbers, not values."""
    from skrnn import SequenceScaler
    from skrnn.inspection import TokenInfluenceDisplay

    _, X, y = fitted_ragged
    model = make_pipeline(SequenceScaler(), RNNRegressor(hidden_size=3, max_iter=2))
    model.fit(X, y)
    display = TokenInfluenceDisplay.from_estimator(model, X[:2])
    assert [t.get_text() for t in display.texts_] == [
        str(t) for x in X[:2] for t in range(len(x))
    ]


def test_token_influence_refuses_other_estimators():
    with pytest.raises(TypeError, match="RNNClassifier or RNNRegressor"):
        token_influence(make_pipeline(StandardScaler()), [[1.0]])


# ---------------------------------------------------------------------------
# benchmarks/ts_regression.py: Covid3Month (skipped without the data)
# ---------------------------------------------------------------------------

COVID = REPO.parent / "shared" / "data" / "ts"


def load_benchmark():
    return load_script("ts_regression")


def test_recommended_regressor_is_unfitted_and_takes_ragged_arrays():
    module = load_benchmark()
    model = module.recommended_regressor(random_state=0)
    assert not hasattr(model, "regressor_")
    clone(model)
    rng = np.random.RandomState(0)
    X = [np.abs(rng.normal(size=(n, 2))) * 100 for n in rng.randint(20, 40, size=30)]
    y = np.array([x[-1, 0] for x in X]) / 1000
    model.set_params(**{
        name: 2 for name in model.get_params() if name.endswith("max_iter")
    })
    assert model.fit(X, y).predict(X).shape == (30,)


@pytest.mark.skipif(
    not (COVID / "Covid3Month_TRAIN.tsv").exists(), reason="Covid3Month not present"
)
def test_ts_regression_script_runs(capsys):
    module = load_benchmark()
    X, y = module.load_ts(COVID / "Covid3Month_TRAIN.tsv")
    assert len(X) == len(y) == 140 and X[0].shape == (84, 1)
    argv = ["--data-dir", str(COVID), "--seeds", "0", "--quick"]
    assert module.main(argv) == 0
    out = capsys.readouterr().out
    assert "| model |" in out and "training mean" in out and "RidgeCV" in out
