"""Training's scratch memory (`skrnn._scratch.Scratch`): a step's loss and
gradient do not depend on what the reused arrays held before, predictions
never use it, and the in-place dropout noise equals the float noise."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skrnn import OneHotSequences
from skrnn._network import DropoutNoise, RecurrentNetwork
from skrnn._scratch import Scratch
from skrnn._sequences import from_one_hot, from_ragged, pack, splitmix64

V, HIDDEN, N_CLASSES = 9, 4, 3


def test_scratch_reuses_grows_and_separates_names():
    scratch = Scratch()
    a = scratch.empty("a", (3, 4), np.float32)
    a[...] = 1
    again = scratch.empty("a", (2, 5), np.float32)  # smaller: same memory
    assert np.shares_memory(a, again) and again.shape == (2, 5)
    assert again.flags.c_contiguous
    b = scratch.empty("b", (3, 4), np.float32)
    assert not np.shares_memory(a, b)
    bigger = scratch.empty("a", (10, 10), np.float32)  # grows
    assert not np.shares_memory(a, bigger) and bigger.shape == (10, 10)
    assert scratch.empty("a", (10, 10), np.float64).dtype == np.float64
    named = scratch.named("layer")
    assert not np.shares_memory(named("a", (3, 4), np.float64), b)
    assert len(scratch) == 3


def batches(one_hot, seed):
    """A long batch, then a short one (its arrays are views of the long
    one's buffers, full of stale values)."""
    rng = np.random.RandomState(seed)
    if one_hot:
        def make(n, max_len):
            lengths = rng.randint(0, max_len, size=n)
            lengths[0] = max_len
            offsets = np.r_[0, np.cumsum(lengths)]
            return from_one_hot(
                OneHotSequences(rng.randint(V, size=offsets[-1]), offsets, V)
            )
    else:
        def make(n, max_len):
            return from_ragged([rng.normal(size=(rng.randint(1, max_len + 1), 3))
                                 for _ in range(n)])
    long_, short = make(12, 9), make(5, 4)
    return pack(long_, np.arange(12)), pack(short, np.arange(5))


CONFIGURATIONS = {
    "max-embedding-dropout": dict(bidirectional=True, pooling="max", embedding_size=3,
                                  dropout=0.3, input_dropout=0.2),
    "mean-2-layers": dict(bidirectional=True, pooling="mean", num_layers=2,
                          dropout=0.25),
    "last-input-dropout": dict(pooling="last", input_dropout=0.4),
    "per-step": dict(output="next_token", embedding_size=3, dropout=0.3),  # tokens only
}
CASES = [
    (name, one_hot) for name, options in CONFIGURATIONS.items()
    for one_hot in (True, False) if one_hot or "output" not in options
]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("configuration, one_hot", CASES)
def test_step_after_a_longer_one_equals_a_fresh_network(cell, configuration, one_hot):
    """The short batch's loss, gradient and final state, computed by a
    network whose scratch holds the long batch's arrays, equal bit for bit
    those of a network that never trained."""
    options = CONFIGURATIONS[configuration]
    network = RecurrentNetwork(cell=cell, hidden_size=HIDDEN, **options)
    long_batch, short_batch = batches(one_hot, seed=0)
    n_in = V if one_hot else 3
    n_out = V if options.get("output") == "next_token" else N_CLASSES
    layout = network.layout(n_in, n_out)
    params = network.init_params(layout, np.random.RandomState(1), np.float64, one_hot)
    views = layout.views(params)
    noise = DropoutNoise(np.arange(20, dtype=np.uint64), seed=3)

    def step(net, batch):
        grads = np.full(layout.size, np.nan)
        if net.per_step:
            y = np.random.RandomState(4).randint(V, size=batch.n_rows)
        else:
            y = np.arange(batch.batch) % N_CLASSES
        loss, state, _ = net.loss_and_gradient(
            views, layout.views(grads), batch, y, np.ones(batch.batch), 1e-3,
            noise, return_state=True,
        )
        return loss, grads, state

    step(network, long_batch)
    assert len(network.scratch) > 0
    loss, grads, state = step(network, short_batch)
    fresh_loss, fresh_grads, fresh_state = step(
        RecurrentNetwork(cell=cell, hidden_size=HIDDEN, **options), short_batch
    )
    assert loss == fresh_loss
    assert_array_equal(grads, fresh_grads)
    for part, fresh_part in zip(state, fresh_state):
        assert_array_equal(part, fresh_part)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_threaded_directions_with_scratch_equal_serial(cell):
    """The two directions, in two threads, each use their own scratch
    arrays: the gradient equals the serial one."""
    long_batch, short_batch = batches(True, seed=1)

    def gradient(map_directions):
        network = RecurrentNetwork(
            cell=cell, hidden_size=HIDDEN, bidirectional=True, embedding_size=3,
            map_directions=map_directions,
        )
        layout = network.layout(V, N_CLASSES)
        params = network.init_params(layout, np.random.RandomState(1), np.float64, True)
        out = []
        for batch in (long_batch, short_batch, long_batch):
            grads = np.zeros(layout.size)
            network.loss_and_gradient(
                layout.views(params), layout.views(grads), batch,
                np.arange(batch.batch) % N_CLASSES, np.ones(batch.batch), 0.0,
            )
            out.append(grads)
        return out

    with ThreadPoolExecutor(2) as pool:
        threaded = gradient(pool.map)
    for got, expected in zip(threaded, gradient(map)):
        assert_array_equal(got, expected)


def test_predictions_do_not_use_the_scratch():
    """Inference returns arrays of its own: nothing in a network's scratch
    memory, so a later training step cannot change a returned array."""
    network = RecurrentNetwork(cell="gru", hidden_size=HIDDEN, embedding_size=3)
    layout = network.layout(V, N_CLASSES)
    params = layout.views(
        network.init_params(layout, np.random.RandomState(1), np.float64, True)
    )
    long_batch, short_batch = batches(True, seed=2)
    proba = network.predict(params, short_batch)
    states = network.hidden_states(params, short_batch, -1)
    assert len(network.scratch) == 0
    kept = proba.copy(), states.copy()
    network.loss_and_gradient(
        params, layout.views(np.zeros(layout.size)), long_batch,
        np.zeros(long_batch.batch, dtype=int), np.ones(long_batch.batch), 0.0,
    )
    assert_array_equal(proba, kept[0])
    assert_array_equal(states, kept[1])


def test_splitmix64_in_place_equals_the_plain_formula():
    x = np.random.RandomState(0).randint(0, 2**63, size=1000).astype(np.uint64)
    x[:3] = [0, 2**64 - 1, 2**63]
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        expected = z ^ (z >> np.uint64(31))
    assert_array_equal(splitmix64(x), expected)
    inplace = x.copy()
    assert splitmix64(inplace, out=inplace) is inplace
    assert_array_equal(inplace, expected)
    assert splitmix64(np.uint64(x[5])) == expected[5]
    assert np.ndim(splitmix64(np.uint64(7))) == 0


@pytest.mark.parametrize("p", [0.0, 0.1, 0.3, 0.5, 0.999, 2.0**-53, 1 - 2.0**-53])
def test_dropout_keep_equals_uniform_noise_compared(p):
    """`DropoutNoise.keep` compares the integer bits with ceil(p 2**53):
    the same decisions as the float noise ``uniform >= p``."""
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 30, size=40)
    offsets = np.r_[0, np.cumsum(lengths)]
    ids = rng.randint(V, size=offsets[-1])
    sequences = from_one_hot(OneHotSequences(ids, offsets, V))
    batch = pack(sequences, np.arange(40))
    noise = DropoutNoise(sequences.keys(), seed=11)
    for per_step in (True, False):
        u = noise.uniform(batch, 2, per_step, 64)
        out = np.empty(u.shape, dtype=np.float32)
        noise.keep(batch, 2, per_step, 64, p, out=out)
        assert_array_equal(out, (u >= p).astype(np.float32))
