"""Prediction over a fitted network, in chunks of sequences.

Every estimator's ``predict``/``predict_proba``, its ``hidden_states`` and
`skrnn.inspection` go through these functions, which take the network, its
parameters (views in PyTorch's layout, as ``weights_``) and `Sequences`:
nothing here knows an estimator. Prediction keeps no activations for a
backward pass, so a chunk can hold many sequences; fewer chunks mean fewer
Python-level steps, which is most of the time at small hidden sizes.
"""

import numpy as np

from ._parallel import thread_map
from ._sequences import pack

# Size of a prediction chunk, in elements of its widest per-row array (the
# packed input projection, rows x gates x hidden x directions): 2**22 is
# 32 MiB in float64.
PREDICT_ELEMENTS = 2**22

# Prediction of at least this many elements (same measure) runs its chunks
# in parallel threads, one BLAS thread each; smaller predictions run in the
# calling thread.
PARALLEL_ELEMENTS = 2**18


def _prediction_width(network):
    """Elements per row of inference's widest per-row array."""
    return network.cell.n_gates * network.hidden_size * network.directions


def inference_batches(network, sequences, indices=None, n_parts=1):
    """Packed batches over ``indices`` (default: all), longest first.

    The sequences, sorted by decreasing length, are cut into batches of
    about equal numbers of rows (steps): as few as keep each batch's widest
    per-row array within `PREDICT_ELEMENTS` elements (give or take one
    sequence; a batch holds at least one), rounded up to a multiple of
    ``n_parts``, so that ``n_parts`` threads get equal work.
    """
    if indices is None:
        indices = np.arange(len(sequences))
    lengths = sequences.lengths[indices]
    order = np.argsort(-lengths, kind="stable")
    indices = indices[order]
    rows = np.cumsum(np.maximum(lengths[order], 1))
    if len(rows) == 0:
        return
    total = int(rows[-1])
    max_rows = max(1, PREDICT_ELEMENTS // _prediction_width(network))
    n_batches = -(-total // max_rows)
    n_batches = -(-n_batches // n_parts) * n_parts
    # a batch ends with the last sequence that ends within a share
    shares = np.arange(1, n_batches) * (total / n_batches)
    stops = np.searchsorted(rows, shares, side="right")
    stops = np.unique(np.r_[stops[stops > 0], len(indices)])
    start = 0
    for stop in stops:
        yield pack(sequences, indices[start:stop])
        start = stop


def predict(network, params, sequences, indices=None):
    """The network's output for the sequences at ``indices`` (default: all).

    Returns
    -------
    output : ndarray of shape (len(indices), n_outputs)
        Class probabilities or values (`RecurrentNetwork.predict`), in the
        order of ``indices``, in the parameters' dtype.
    """
    if indices is None:
        indices = np.arange(len(sequences))
    position = np.empty(len(sequences), dtype=np.intp)
    position[indices] = np.arange(len(indices))
    w_out = params["weight_out"]
    output = np.empty((len(indices), w_out.shape[0]), dtype=w_out.dtype)

    def predict_batch(batch):
        output[position[batch.order]] = network.predict(params, batch)

    elements = int(np.maximum(sequences.lengths[indices], 1).sum())
    elements *= _prediction_width(network)
    # Parallel over chunks of sequences, not inside each product, where that
    # pays: a gated cell's step is mostly element-wise work (one thread in
    # NumPy), an Elman step at H * directions >= 256 mostly products. A small
    # Elman step is one product and one tanh, which threaded BLAS already
    # spreads (benchmarks/RESULTS.md, threads.py).
    worth_it = network.cell.n_gates > 1 or (
        network.hidden_size * network.directions >= 256
    )
    parallel = worth_it and elements >= PARALLEL_ELEMENTS
    with thread_map(len(indices) if parallel else 1) as (map_chunks, n_workers):
        batches = inference_batches(network, sequences, indices, n_workers)
        for _ in map_chunks(predict_batch, batches):
            pass
    return output


def hidden_states(network, params, sequences, layer):
    """The outputs of ``layer`` at every step: a list with one array
    (length_i, hidden_size * directions) per sequence, no padding."""
    states = [None] * len(sequences)
    for batch in inference_batches(network, sequences):
        out = network.hidden_states(params, batch, layer)
        for j, (i, length) in enumerate(zip(batch.order, batch.lengths)):
            states[i] = out[batch.step_starts[:length] + j]
    return states


def gradient_times_input(network, params, sequences):
    """Gradient x input of every output with respect to every step.

    Returns
    -------
    ndarray of shape (total steps, n_outputs)
        Row ``sequences.offsets[i] + t`` is step t of sequence i; column c
        the derivative of output c with respect to the step's input, dotted
        with the input (`RecurrentNetwork.gradient_times_input`).
    """
    n_outputs = params["weight_out"].shape[0]
    dtype = params["weight_out"].dtype
    flat = np.zeros((len(sequences.values), n_outputs), dtype=dtype)
    for batch in inference_batches(network, sequences):
        step = np.repeat(np.arange(batch.n_steps), batch.batch_sizes)
        position = sequences.offsets[batch.order[batch.row_of]] + step
        for c in range(n_outputs):
            d_output = np.zeros((batch.batch, n_outputs), dtype=dtype)
            d_output[:, c] = 1
            flat[position, c] = network.gradient_times_input(params, batch, d_output)
    return flat
