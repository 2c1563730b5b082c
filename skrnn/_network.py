"""The recurrent network: layers and directions of cells, pooling, output layer.

`RecurrentNetwork` computes, for one packed minibatch, the output of a linear
layer on each sequence's summary, ``o_i = W_out s_i + b_out``, and the exact
gradient of a sample-weighted loss on it. The output and its loss are one of
`OUTPUTS`:

- ``'softmax'`` (classification): ``p_i = softmax(o_i)`` and
  ``L_i = -log p_i[y_i]``;
- ``'identity'`` (regression): ``o_i`` itself and
  ``L_i = 1/2 * mean_k (o_ik - y_ik)^2``, the halved squared error of
  scikit-learn's MLPRegressor;
- ``'next_token'`` (language model): the output layer reads every step
  instead of a summary, ``o_it = W_out h_it + b_out`` with ``h_it`` the last
  layer's output at step t, ``p_it = softmax(o_it)`` over the vocabulary and
  ``L_it = -log p_it[y_it]`` with ``y_it`` the next token. One product over
  all packed rows makes the logits of every step of every sequence.

    loss = sum_i w_i * L_i / sum_i w_i + alpha / 2 * sum_W ||W||^2 / sum_i w_i

(the penalty over weight matrices, not biases, as scikit-learn's
MLP estimators), so that a sample of weight k counts as k copies of it. For
``'next_token'`` the sums run over tokens, each weighted by its sequence's
``w_i``: the loss is the weighted mean cross-entropy per predicted token.

Direct connections (``direct_size``; Mikolov et al. 2011, RNNME): a table
``W_direct`` (direct_size, n_outputs) wired straight to the output layer from
sparse features of the input, in practice hashed n-grams of the token ids
(`skrnn._ngrams`): given a sparse matrix ``X_direct`` with one row per
output row,

    o_i = W_out s_i + b_out + X_direct[i] W_direct
    d W_direct = X_direct^T d o      (only the rows some X_direct[i] uses)

trained jointly with the rest, under the same L2 penalty as the other weight
matrices and with no dropout.

Every layer can start from a given state instead of zero and returns its
final state (torch's ``h_0`` and ``h_n``; with the LSTM also ``c_0`` and
``c_n``), so that a long sequence can be run chunk by chunk, the state of
one chunk carried into the next (truncated backpropagation through time).

Parameters live in one flat vector; `ParameterLayout` names the views into it
with PyTorch's names and shapes (``weight_ih_l0``, ``weight_hh_l0_reverse``,
...). Each 2-D weight is stored transposed, so that the views read in
PyTorch's layout while ``x @ W.T`` and the row gather of one-hot input run on
C-contiguous memory; the embedding, whose PyTorch layout already has a row per
input slot, and the direct table, a row per feature, are stored as they are.
Pure NumPy (and SciPy's sparse matrices): no scikit-learn here.
"""

import numpy as np
import scipy.sparse

from ._cells import CELLS, ElmanCell, LSTMCell
from ._ngrams import batch_features, spread_over_tokens
from ._scratch import Scratch, fresh
from ._sequences import splitmix64

# Dropout sites. A mask's noise is a hash of the sequence, the epoch's seed,
# the site and the position (`DropoutNoise`), so each place a mask is drawn
# needs a number of its own. The numbers are part of the noise stream:
# changing one changes every fit that uses that mask.
SITE_LAYER_INPUT = 100  # + k: input of layer k >= 1 (between-layer dropout)
SITE_EMBEDDING = 200  # the embedding e_t (input_dropout with embedding_size)
SITE_INPUT_PROJECTION = 200  # + d: x W_ih^T of direction d (input_dropout)
SITE_SUMMARY = 300  # the pooled summary fed to the output layer


class ParameterLayout:
    """Names, shapes and places of the network's arrays in one flat vector.

    Parameters
    ----------
    shapes : list of (str, tuple)
        Each parameter's name and PyTorch shape.
    row_major : collection of str, default=()
        2-D parameters stored in their PyTorch shape; the others are stored
        transposed.
    """

    def __init__(self, shapes, row_major=()):
        self.shapes = dict(shapes)
        self.row_major = frozenset(row_major)
        self.slices = {}
        start = 0
        for name, shape in shapes:
            size = int(np.prod(shape))
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start

    def views(self, flat):
        """Dict of views into ``flat``, each in PyTorch's shape."""
        views = {}
        for name, shape in self.shapes.items():
            block = flat[self.slices[name]]
            if len(shape) == 2 and name not in self.row_major:
                views[name] = block.reshape(shape[::-1]).T
            else:
                views[name] = block.reshape(shape)
        return views

    def pack(self, arrays, dtype):
        """A flat vector holding ``arrays`` (dict name -> PyTorch-shaped array)."""
        flat = np.empty(self.size, dtype=dtype)
        views = self.views(flat)
        missing = sorted(set(self.shapes) - set(arrays))
        if missing:
            raise ValueError(
                f"weights_ lacks {missing}, which the network needs (did "
                "embedding_size, cell, num_layers or bidirectional change?)."
            )
        for name, shape in self.shapes.items():
            a = np.asarray(arrays[name])
            if a.shape != shape:
                raise ValueError(
                    f"weights_[{name!r}] has shape {a.shape}, but the network "
                    f"needs {shape}."
                )
            views[name][...] = a
        return flat

    def weight_mask(self):
        """Boolean mask of the flat entries that are weights (L2-penalized)."""
        mask = np.zeros(self.size, dtype=bool)
        for name in self.shapes:
            if name.startswith("weight"):
                mask[self.slices[name]] = True
        return mask


class DropoutNoise:
    """Uniform noise for dropout masks, keyed by sequence content.

    The noise of unit u at step t of a sequence is a hash of (the sequence's
    key, ``seed``, the dropout site, t, u). So a sequence's masks do not
    depend on its minibatch, its place in it, or the batch size, and equal
    sequences draw equal masks: a sequence of sample weight k trains exactly
    as k copies of it would. Change ``seed`` to draw new masks (every epoch).

    Parameters
    ----------
    keys : ndarray of uint64, shape (n_sequences,)
        From `Sequences.keys`.
    seed : int
    """

    def __init__(self, keys, seed):
        self.keys = keys
        self.seed = np.uint64(seed % 2**64)

    def uniform(self, batch, site, per_step, width):
        """Noise in [0, 1): (n_rows, width) per step, or (B, width) per sequence."""
        return self._bits(batch, site, per_step, width) * 2.0**-53

    def keep(self, batch, site, per_step, width, p, out):
        """Whether ``uniform(batch, site, per_step, width) >= p``, written
        into ``out`` (as 1 and 0 if ``out`` is a float array); compared in
        integers, with no float noise made."""
        # uniform = bits * 2**-53 >= p  <=>  bits >= ceil(p * 2**53), exactly
        threshold = np.uint64(np.ceil(p * 2.0**53))
        return np.greater_equal(
            self._bits(batch, site, per_step, width), threshold, out=out
        )

    def _bits(self, batch, site, per_step, width):
        """The 53 random bits of each unit, as a uint64 array."""
        key = self.keys[batch.order]
        site_seed = splitmix64(self.seed ^ splitmix64(np.uint64(site)))
        if per_step:
            step = np.repeat(np.arange(batch.n_steps, dtype=np.uint64), batch.batch_sizes)
            row_key = splitmix64(key[batch.row_of] ^ site_seed) + step * np.uint64(
                0xD1B54A32D192ED03
            )
        else:
            row_key = splitmix64(key ^ site_seed)
        units = np.arange(width, dtype=np.uint64) * np.uint64(0x8CB92BA72F3D8DD7)
        bits = splitmix64(row_key)[:, np.newaxis] ^ units
        splitmix64(bits, out=bits)
        bits >>= np.uint64(11)
        return bits


def _suffix(layer, direction):
    return f"_l{layer}" + ("_reverse" if direction else "")


def softmax(z):
    """Row-wise softmax, stable, in place."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _softmax_loss(proba, y, weight):
    """Cross-entropy of class indices ``y``; returns (loss, d loss / d logits).

    ``weight`` is the sample weight divided by its sum. The gradient is made
    in place of ``proba``: ``w_i (p_i - onehot(y_i))``.
    """
    rows = np.arange(len(y))
    p_true = np.maximum(proba[rows, y], np.finfo(proba.dtype).tiny)
    loss = -np.dot(weight, np.log(p_true))
    d_logits = proba
    d_logits[rows, y] -= 1
    d_logits *= weight[:, np.newaxis]
    return loss, d_logits


def _squared_error_loss(output, y, weight):
    """Halved squared error, mean over outputs; returns (loss, d loss / d output).

    ``y`` has shape (B, n_outputs); ``weight`` is the sample weight divided
    by its sum.
    """
    residual = output - y
    n_outputs = output.shape[1]
    loss = 0.5 * np.dot(weight, np.einsum("ij,ij->i", residual, residual)) / n_outputs
    residual *= (weight / n_outputs)[:, np.newaxis]
    return loss, residual


def _softmax_backward(proba, d_proba):
    """d logits from d proba, through the softmax's Jacobian."""
    return proba * (d_proba - (d_proba * proba).sum(axis=1, keepdims=True))


# output name -> (activation in place on the logits, loss and d logits,
# d logits from d output)
OUTPUTS = {
    "softmax": (softmax, _softmax_loss, _softmax_backward),
    "identity": (lambda z: z, _squared_error_loss, lambda output, d_output: d_output),
    "next_token": (softmax, _softmax_loss, _softmax_backward),
}
# Outputs read at every step (one row per packed row) rather than from a
# pooled summary (one row per sequence).
PER_STEP_OUTPUTS = frozenset({"next_token"})


def log_softmax_at(logits, targets):
    """``log softmax(logits)[row, targets[row]]`` of every row, stable;
    overwrites ``logits``."""
    rows = np.arange(len(targets))
    chosen = logits[rows, targets]
    peak = logits.max(axis=1)
    chosen -= peak
    logits -= peak[:, np.newaxis]
    np.exp(logits, out=logits)
    chosen -= np.log(logits.sum(axis=1))
    return chosen


def sample_token(logits, temperature, rng):
    """An index drawn from ``softmax(logits / temperature)``, by inverting
    the cumulative sum at one uniform number (-inf logits are never drawn)."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    weights = np.exp(z - z.max())
    cumulative = np.cumsum(weights)
    index = np.searchsorted(cumulative, rng.uniform() * cumulative[-1], side="right")
    return int(min(index, len(weights) - 1))


class RecurrentNetwork:
    """A stack of recurrent layers, a pooled summary and a linear output layer.

    Layer k of direction d maps its input (the packed steps for k = 0, the
    concatenated outputs of both directions of layer k - 1 otherwise) through
    a cell. The summary of each sequence fed to the output layer is, by
    ``pooling``: ``'last'``, the final states h_n of the last layer (forward
    direction first, as torch's ``h_n``); ``'mean'`` or ``'max'``, the mean or
    element-wise max of the last layer's outputs over the steps. An empty
    sequence's summary is the zero initial state. With a per-step output
    (``output='next_token'``) there is no summary: the output layer reads
    the last layer's output at every step, and ``pooling`` is not used.

    With ``embedding_size`` E, the input first goes through a linear map
    without bias, ``e_t = x_t W_emb`` with ``W_emb`` of shape
    (input_size, E) (``weight_embedding``): for one-hot input, the token's
    row, as ``torch.nn.Embedding``. The first layer then reads ``e_t``.

    Dropout, in training only: ``dropout`` on the input of every layer after
    the first and on the summary; ``input_dropout`` on the first layer's input
    projection ``x W_ih^T`` (for one-hot input, the token's column of W_ih),
    or with an embedding on the embedding ``e_t``. Kept units are scaled by
    1 / (1 - p).

    Parameters
    ----------
    cell : {'rnn', 'gru', 'lstm'}
    hidden_size : int
    num_layers : int
    bidirectional : bool
    pooling : {'last', 'mean', 'max'}
    nonlinearity : {'tanh', 'relu'}
        For ``cell='rnn'``.
    dropout, input_dropout : float
    embedding_size : int or None
    output : {'softmax', 'identity', 'next_token'}
        The output activation and its loss (`OUTPUTS`).
    map_directions : callable, default=map
        ``map_directions(function, directions)`` runs the work of each
        direction of a layer (forward and backward), which shares nothing
        with the other direction's, and returns the results in order: the
        builtin `map`, or a parallel one from `skrnn._parallel.thread_map`.
    direct_size : int or None, default=None
        Rows of the direct connections' table ``weight_direct``
        (direct_size, n_outputs), read through the ``direct`` features given
        to `forward` and `loss_and_gradient`; None: no direct connections.
    direct_order : int, default=0
        For an output per sequence: with ``direct_size``, the network makes
        the features of a one-hot batch itself when none are given, its
        sequences' hashed n-grams of orders 1 .. ``direct_order``
        (`skrnn._ngrams.batch_features`). A per-step output always takes
        them from the caller: the n-grams ending at a chunk's first tokens
        reach into the chunk before.
    direct_values : {'presence', 'frequency'}, default='presence'
        The values of those features (`skrnn._ngrams.sequence_features`).
    """

    def __init__(
        self,
        cell="rnn",
        hidden_size=32,
        num_layers=1,
        bidirectional=False,
        pooling="last",
        nonlinearity="tanh",
        dropout=0.0,
        input_dropout=0.0,
        embedding_size=None,
        output="softmax",
        map_directions=map,
        direct_size=None,
        direct_order=0,
        direct_values="presence",
    ):
        self.cell = (
            ElmanCell(nonlinearity) if cell == "rnn" else CELLS[cell]()
        )
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.directions = 2 if bidirectional else 1
        self.pooling = pooling
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.embedding_size = embedding_size
        self.output = output
        self.per_step = output in PER_STEP_OUTPUTS
        self.map_directions = map_directions
        self.direct_size = None if direct_size is None else int(direct_size)
        self.direct_order = direct_order
        self.direct_values = direct_values
        # training's per-row arrays, reused from minibatch to minibatch
        self.scratch = Scratch()

    @property
    def n_states(self):
        """Arrays in a state: 1 (h), or 2 for the LSTM (h, c)."""
        return self.cell.n_states

    def zero_state(self, n_sequences, dtype):
        """The zero state of ``n_sequences`` sequences: a tuple of
        `n_states` arrays (num_layers * directions, n_sequences, H)."""
        shape = (self.num_layers * self.directions, n_sequences, self.hidden_size)
        return tuple(np.zeros(shape, dtype=dtype) for _ in range(self.n_states))

    # -- parameters ---------------------------------------------------------

    def layout(self, input_size, n_outputs):
        """The `ParameterLayout` for inputs of ``input_size`` and ``n_outputs``
        outputs (classes, regression targets, or tokens); with
        ``direct_size``, the direct table ``weight_direct`` last, row-major
        (a feature's row of n_outputs is contiguous)."""
        G, H, D = self.cell.n_gates, self.hidden_size, self.directions
        shapes = []
        E = self.embedding_size
        if E is not None:
            shapes.append(("weight_embedding", (input_size, E)))
            input_size = E
        for k in range(self.num_layers):
            n_in = input_size if k == 0 else H * D
            for d in range(D):
                sfx = _suffix(k, d)
                shapes += [
                    (f"weight_ih{sfx}", (G * H, n_in)),
                    (f"weight_hh{sfx}", (G * H, H)),
                    (f"bias_ih{sfx}", (G * H,)),
                    (f"bias_hh{sfx}", (G * H,)),
                ]
        shapes += [("weight_out", (n_outputs, H * D)), ("bias_out", (n_outputs,))]
        if self.direct_size is not None:
            shapes.append(("weight_direct", (self.direct_size, n_outputs)))
        return ParameterLayout(shapes, row_major=["weight_embedding", "weight_direct"])

    def init_params(self, layout, rng, dtype, one_hot=False):
        """PyTorch's initialization: U(-1/sqrt(H), 1/sqrt(H)) for the recurrent
        layers, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the output layer and
        for the embedding of numeric input (``nn.Linear``), N(0, 1) for the
        embedding of one-hot input (``nn.Embedding``); and for the LSTM, 1
        added to the forget gate's input bias, as Keras does. The direct
        table starts at zero (and draws nothing from ``rng``: the other
        parameters are those of the network without it)."""
        flat = np.empty(layout.size, dtype=dtype)
        bound = 1 / np.sqrt(self.hidden_size)
        for name, shape in layout.shapes.items():
            size = int(np.prod(shape))
            if name == "weight_embedding" and one_hot:
                flat[layout.slices[name]] = rng.standard_normal(size)
                continue
            if name == "weight_direct":
                flat[layout.slices[name]] = 0
                continue
            if name.endswith("_out"):
                b = 1 / np.sqrt(layout.shapes["weight_out"][1])
            elif name == "weight_embedding":
                b = 1 / np.sqrt(shape[0])
            else:
                b = bound
            flat[layout.slices[name]] = rng.uniform(-b, b, size=size)
        if isinstance(self.cell, LSTMCell):
            # Keras' unit_forget_bias (Jozefowicz et al., 2015): a forget gate
            # that starts open lets gradients reach far back from the start.
            H = self.hidden_size
            views = layout.views(flat)
            for name in layout.shapes:
                if name.startswith("bias_ih"):
                    views[name][H : 2 * H] += 1
        return flat

    # -- forward --------------------------------------------------------------

    def _dropout_mask(self, noise, batch, site, per_step, shape, p, dtype,
                      empty=fresh):
        """Keep-mask scaled by 1 / (1 - p); ``noise`` is a `DropoutNoise` or
        a RandomState."""
        mask = empty(f"dropout{site}", shape, dtype)
        if isinstance(noise, DropoutNoise):
            noise.keep(batch, site, per_step, shape[1], p, out=mask)
        else:
            np.greater_equal(noise.uniform(size=shape), p, out=mask)
        mask *= dtype.type(1) / dtype.type(1 - p)
        return mask

    def forward(self, params, batch, train=False, rng=None, keep_states=False,
                initial_state=None, head=True, direct=None):
        """The output (class probabilities, or values) of a packed batch, in
        the batch's row order.

        Parameters
        ----------
        params : dict of name -> ndarray
            Views from `ParameterLayout.views`.
        batch : PackedBatch
        train : bool
            Apply dropout (needs ``rng``) and keep what `backward` reads.
        rng : DropoutNoise or numpy.random.RandomState
        keep_states : bool
            Keep every layer's outputs (for `hidden_states`).
        initial_state : tuple of ndarray or None
            The state every sequence starts from: ``(h_0,)``, or ``(h_0, c_0)``
            for the LSTM, each of shape (num_layers * directions, B, H) in
            torch's layout (layer k, direction d at index k * directions + d)
            and the batch's row order. None starts from zero.
        head : bool
            Apply the output layer; False stops after the recurrent layers
            (``output`` is then None).
        direct : sparse matrix of shape (B, direct_size) or (n_rows, direct_size), or None
            The features of the direct connections (with ``direct_size``):
            one row per output row, in the batch's row order (packed order
            for a per-step output); ``direct @ W_direct`` is added to the
            logits. Converted to CSR of the parameters' dtype if it is not.
            None: no direct term.

        Returns
        -------
        output : ndarray of shape (B, n_outputs), or (n_rows, n_outputs) for
            a per-step output, in packed order
        cache : dict
            Among others ``cache["final_state"]``: each sequence's state
            after its last step, shaped as ``initial_state``.
        """
        logits, cache = self._logits(
            params, batch, train, rng, keep_states, initial_state, head, direct
        )
        if logits is None:
            return None, cache
        activation = OUTPUTS[self.output][0]
        return activation(logits), cache

    def _logits(self, params, batch, train=False, rng=None, keep_states=False,
                initial_state=None, head=True, direct=None):
        """`forward` up to the output layer's logits (before the activation):
        ``o = s W_out^T + b_out (+ X_direct W_direct)``."""
        dtype = params["weight_out"].dtype
        D = self.directions
        # Training's arrays live until its backward pass, within one step:
        # they can come from the scratch memory. Inference returns its own.
        scratch = self.scratch if train else None
        cache = {"layers": [], "batch": batch, "scratch": scratch}
        empty = fresh if scratch is None else scratch.named("network")
        layer_input = batch.inputs
        # The first layer gathers columns of its W_ih for one-hot input,
        # unless an embedding comes first (which then does the gathering).
        gather = batch.one_hot and self.embedding_size is None
        # An embedding of one-hot input with no dropout on it: the first
        # layer's projection e_t W_ih^T of an embedded token is a row of the
        # table W_emb[tokens] W_ih^T, one product over the batch's distinct
        # tokens rather than over its rows (and the embedded rows are never
        # made). Its backward sums the gradient per token first.
        folded = (
            self.embedding_size is not None and batch.one_hot
            and not (train and self.input_dropout)
        )
        cache["folded"] = folded
        if folded:
            tokens, token_of_row = batch.token_index()
            layer_input = np.take(params["weight_embedding"], tokens, axis=0)
        elif self.embedding_size is not None:
            w_emb = params["weight_embedding"]
            embedded = empty("embedded", (batch.n_rows, self.embedding_size), dtype)
            if batch.one_hot:
                layer_input = _gather(w_emb, batch.inputs, embedded)
            else:
                layer_input = np.matmul(batch.inputs, w_emb, out=embedded)
            if train and self.input_dropout:
                mask = self._dropout_mask(
                    rng, batch, SITE_EMBEDDING, True, layer_input.shape,
                    self.input_dropout, dtype, empty,
                )
                layer_input *= mask
                cache["embedding_mask"] = mask
        states0 = None if initial_state is None else tuple(initial_state)
        final_state = []  # per layer and direction, each a tuple of n_states
        for k in range(self.num_layers):
            layer = {"input": layer_input}
            if k > 0 and train and self.dropout:
                mask = self._dropout_mask(
                    rng, batch, SITE_LAYER_INPUT + k, True, layer_input.shape,
                    self.dropout, dtype, empty,
                )
                layer_input = layer_input * mask
                layer["input"], layer["input_mask"] = layer_input, mask
            # Masks first, in a fixed order (a RandomState draws in call order).
            masks = [
                self._dropout_mask(
                    rng, batch, SITE_INPUT_PROJECTION + d, True,
                    (batch.n_rows, self.cell.n_gates * self.hidden_size),
                    self.input_dropout, dtype, empty,
                )
                if k == 0 and train and self.input_dropout
                and self.embedding_size is None
                else None
                for d in range(D)
            ]

            # mean and max pooling read each direction's columns alone: done
            # in the directions' threads
            pool_here = (
                k == self.num_layers - 1 and head and not self.per_step
                and self.pooling != "last"
            )

            def run_direction(d, k=k, layer_input=layer_input, masks=masks,
                              pool_here=pool_here):
                sfx = _suffix(k, d)
                state0 = None if states0 is None else tuple(
                    part[k * D + d] for part in states0
                )
                w_ih, b_ih = params["weight_ih" + sfx], params["bias_ih" + sfx]
                cell_empty = fresh if scratch is None else scratch.named(sfx)
                gx = cell_empty("gx", (batch.n_rows, w_ih.shape[0]), dtype)
                if k == 0 and gather:
                    # gather: x_t W_ih^T for one-hot x_t is a row of W_ih^T
                    _gather(w_ih.T, layer_input, gx)
                elif k == 0 and folded:  # layer_input: the tokens' embeddings
                    _gather(layer_input @ w_ih.T, token_of_row, gx)
                else:
                    np.matmul(layer_input, w_ih.T, out=gx)
                if masks[d] is not None:
                    gx *= masks[d]
                gx += b_ih
                out, state_n, cell_cache = self.cell.forward(
                    gx, batch, params["weight_hh" + sfx], params["bias_hh" + sfx],
                    reverse=bool(d), keep=train or keep_states, state0=state0,
                    empty=cell_empty,
                )
                pooled = _pool(self.pooling, out, batch) if pool_here else None
                return out, state_n, cell_cache, pooled

            results = list(self.map_directions(run_direction, range(D)))
            outputs = [result[0] for result in results]
            final_state += [result[1] for result in results]
            final_states = [result[1][0] for result in results]
            layer["cells"] = [result[2] for result in results]
            if pool_here:
                pooled = [result[3] for result in results]
            layer["proj_masks"] = masks
            layer_input = outputs[0] if D == 1 else np.hstack(outputs)
            layer["output"] = layer_input
            layer["h_n"] = final_states
            if train or keep_states or k == self.num_layers - 1:
                cache["layers"].append(layer)
            else:
                cache["layers"].append(None)
        cache["final_state"] = tuple(
            np.stack([state[i] for state in final_state])
            for i in range(self.n_states)
        )
        cache["has_initial_state"] = initial_state is not None
        if not head:
            return None, cache
        last = cache["layers"][-1]
        if self.per_step:
            # every step of the last layer: the output layer runs on all
            # packed rows at once, one product
            summary = last["output"]
        elif self.pooling == "last":
            h_n = last["h_n"]
            summary = h_n[0] if D == 1 else np.hstack(h_n)
        else:  # each direction's (summary, arg), side by side
            summary = np.hstack([part for part, _ in pooled])
            if self.pooling == "max":
                cache["pool_arg"] = np.hstack([arg for _, arg in pooled])
        if train and self.dropout:
            cache["summary_mask"] = self._dropout_mask(
                rng, batch, SITE_SUMMARY, self.per_step, summary.shape,
                self.dropout, dtype, empty,
            )
            summary = summary * cache["summary_mask"]
        cache["summary"] = summary
        logits = summary @ params["weight_out"].T
        logits += params["bias_out"]
        if direct is None and self.direct_order and not self.per_step:
            direct = batch_features(
                batch, self.direct_order, self.direct_size, dtype, self.direct_values
            )
        if direct is not None:
            # o += X_direct W_direct: a sparse product, the rows of the table
            # the features name (one temporary the size of the logits)
            direct = self._direct_features(direct, len(logits), dtype)
            logits += direct @ params["weight_direct"]
            cache["direct"] = direct
        return logits, cache

    def _direct_features(self, direct, n_rows, dtype):
        """``direct`` as a CSR matrix of ``dtype``, checked against the
        table and the ``n_rows`` output rows."""
        if self.direct_size is None:
            raise ValueError(
                "direct features were given to a network without direct "
                "connections (direct_size=None)."
            )
        if not (scipy.sparse.issparse(direct) and direct.format == "csr"):
            direct = scipy.sparse.csr_matrix(direct)
        if direct.dtype != dtype:
            direct = direct.astype(dtype)
        if direct.shape != (n_rows, self.direct_size):
            raise ValueError(
                f"direct features have shape {direct.shape}, but the batch "
                f"needs ({n_rows}, {self.direct_size}): one row per output "
                "row, one column per row of the direct table."
            )
        return direct

    # -- loss and backward ----------------------------------------------------

    def loss_and_gradient(
        self, params, grads, batch, y, sample_weight, alpha, rng=None, sparse=None,
        initial_state=None, return_state=False, direct=None,
    ):
        """Loss of a packed batch and its exact gradient, written into ``grads``.

        Parameters
        ----------
        params, grads : dict of name -> ndarray
            Views of the flat parameter and gradient vectors.
        batch : PackedBatch
        y : ndarray of shape (B,), (B, n_outputs) or (n_rows,)
            Class indices (``'softmax'``) or targets (``'identity'``), in the
            batch's row order; for ``'next_token'``, the next token of every
            packed row, in packed order.
        sample_weight : ndarray of shape (B,)
            In the batch's row order; must not sum to zero. For
            ``'next_token'`` each sequence's weight applies to each of its
            tokens.
        alpha : float
            L2 penalty.
        rng : DropoutNoise or numpy.random.RandomState
            Draws the dropout masks.
        sparse : RowSparseGradient or None
            For one-hot input: receives the gradient of the first layer's
            ``weight_ih`` (or the embedding) as the rows of the batch's
            tokens, and, if its blocks include it, of ``weight_direct`` as
            the rows the ``direct`` features use (none without them); those
            blocks of ``grads`` are then not written, and carry no penalty
            here (`RowSparseGradient.add_penalty` adds it on those rows).
        initial_state : tuple of ndarray or None
            The state the sequences start from (see `forward`); the
            gradient is exact given it (the state is a constant here: its
            gradient is returned, not followed further back).
        return_state : bool
            Also return the final state and the gradient of the initial one.
        direct : sparse matrix or None
            The direct connections' features, one row per output row (see
            `forward`). ``weight_direct`` is a weight matrix: its gradient
            is ``X_direct^T d_o`` plus the L2 penalty's, as every weight's.

        Returns
        -------
        loss : float
        final_state : tuple of ndarray
            Only with ``return_state``: see `forward`.
        d_initial_state : tuple of ndarray or None
            Only with ``return_state``: the gradient of the loss with respect
            to ``initial_state``, shaped as it; None when it was None.
        """
        output, cache = self.forward(
            params, batch, train=True, rng=rng, initial_state=initial_state,
            direct=direct,
        )
        dtype = output.dtype
        if self.per_step:
            sample_weight = sample_weight[batch.row_of]  # each token its sequence's
        w_sum = sample_weight.sum()
        loss, d_logits = OUTPUTS[self.output][1](
            output, y, (sample_weight / w_sum).astype(dtype)
        )
        def start_gradient(names):
            """The penalty's gradient (or zero) into ``grads``; returns the
            sum of squares of the weights among ``names``."""
            squares = 0.0
            for name in names:
                w = params[name]
                if name.startswith("weight") and alpha:
                    squares += float(np.vdot(w, w))
                    np.multiply(w, alpha / w_sum, out=grads[name])
                else:
                    grads[name][...] = 0
            return squares

        # two passes over every parameter: in the fit's threads, if any
        names = [n for n in params if sparse is None or n not in sparse.blocks]
        penalty = sum(self.map_directions(
            start_gradient, _halves(names, [params[n].size for n in names])
        ))
        loss += 0.5 * alpha * penalty / w_sum

        if self.per_step:
            # (H, V), the layout weight_out is stored in: one product over all
            # packed rows, added in memory order
            grads["weight_out"].T[...] += cache["summary"].T @ d_logits
        else:
            grads["weight_out"] += d_logits.T @ cache["summary"]
        grads["bias_out"] += d_logits.sum(axis=0)
        if self.direct_size is not None:
            _backward_direct(grads, sparse, cache.get("direct"), d_logits)
        d_summary = d_logits @ params["weight_out"]
        if "summary_mask" in cache:
            d_summary *= cache["summary_mask"]
        d_out, d_hn = self._unpool(d_summary, cache)
        _, d_initial_state = self._backward_layers(
            params, grads, cache, d_out, d_hn, sparse=sparse
        )
        if return_state:
            return float(loss), cache["final_state"], d_initial_state
        return float(loss)

    def sparse_blocks(self, layout):
        """The blocks of the flat vector that `loss_and_gradient` can return
        row-sparse for one-hot input: the first layer's ``weight_ih``, stored
        as (n_token_slots, gates * H) rows, or the embedding; and the direct
        table, (direct_size, n_outputs) rows, if any. For
        `RowSparseGradient`."""
        if self.embedding_size is not None:
            blocks = {
                "weight_embedding": (
                    layout.slices["weight_embedding"], self.embedding_size
                )
            }
        else:
            G, H = self.cell.n_gates, self.hidden_size
            blocks = {
                "weight_ih" + _suffix(0, d): (
                    layout.slices["weight_ih" + _suffix(0, d)], G * H
                )
                for d in range(self.directions)
            }
        if self.direct_size is not None:
            blocks["weight_direct"] = (
                layout.slices["weight_direct"], layout.shapes["weight_direct"][1]
            )
        return blocks

    def gradient_times_input(self, params, batch, d_output, direct=None):
        """Gradient x input of ``sum(d_output * output)``, per packed step.

        For each packed row, the gradient of ``sum(d_output * output)`` with
        respect to that step's input, dotted with the input: for one-hot
        input, the derivative with respect to the one-hot entry of the token.

        Parameters
        ----------
        params : dict of name -> ndarray
        batch : PackedBatch
        d_output : ndarray of shape (B, n_outputs)
            Weights of the outputs, in the batch's row order.
        direct : sparse matrix or None
            The direct connections' features (see `forward`): they change
            the output (and so its derivative through the activation). The
            features the network makes itself (``direct_order``) are also
            attributed to the tokens: each feature's term of the logits,
            ``x_g W_direct[g]``, dotted with the logits' gradient, is shared
            equally among its n-grams and each n-gram's share among its
            tokens (`skrnn._ngrams.spread_over_tokens`), and added.

        Returns
        -------
        ndarray of shape (n_rows,)
        """
        output, cache = self.forward(params, batch, keep_states=True, direct=direct)
        d_logits = OUTPUTS[self.output][2](output, d_output)
        d_summary = d_logits @ params["weight_out"]
        d_out, d_hn = self._unpool(d_summary, cache)
        d_input, _ = self._backward_layers(params, None, cache, d_out, d_hn, True)
        if not batch.one_hot:
            return (d_input * batch.inputs).sum(axis=1)
        if direct is None and self.direct_order and not self.per_step:
            features = cache["direct"]
            rows = np.repeat(np.arange(batch.batch), np.diff(features.indptr))
            scores = features.data * np.einsum(
                "ij,ij->i", params["weight_direct"][features.indices], d_logits[rows]
            )
            d_input = d_input + spread_over_tokens(
                batch, self.direct_order, self.direct_size, features, scores
            )
        return d_input

    def _unpool(self, d_summary, cache):
        """Gradients of the last layer's outputs and final states from d_summary."""
        batch = cache["batch"]
        H, D = self.hidden_size, self.directions
        if self.per_step:
            return d_summary, None
        if self.pooling == "last":
            return None, [d_summary[:, d * H : (d + 1) * H] for d in range(D)]
        if self.pooling == "mean":
            d_mean = d_summary / np.maximum(batch.lengths, 1)[:, np.newaxis]
            return d_mean[batch.row_of], None
        arg = cache["pool_arg"]
        empty = _empty_of(cache, "network")
        d_out = empty("d_out", (batch.n_rows, H * D), d_summary.dtype)
        d_out[...] = 0
        has = arg >= 0
        d_out[arg[has], np.nonzero(has)[1]] = d_summary[has]
        return d_out, None

    def _backward_layers(
        self, params, grads, cache, d_out, d_hn, input_gradient=False, sparse=None
    ):
        """Backpropagate through the recurrent layers, last to first.

        Adds the weight gradients into ``grads`` (unless None). Returns
        ``(d_input, d_initial_state)``. With ``input_gradient``, ``d_input``
        is the gradient with respect to the first layer's input:
        (n_rows, input_size), or for one-hot input (n_rows,), the derivative
        with respect to each token's one-hot entry; else None.
        ``d_initial_state`` is the gradient of the initial state, shaped as
        in `forward`, or None when the layers started from zero.
        """
        batch = cache["batch"]
        H, D = self.hidden_size, self.directions
        n_states = self.n_states
        d_initial = None
        if cache["has_initial_state"]:
            d_initial = tuple(
                np.empty_like(part) for part in cache["final_state"]
            )
        embedding = self.embedding_size is not None
        gather = batch.one_hot and not embedding
        # the folded projection (see `_logits`): with weight gradients, the
        # first layer returns the gradient of each distinct token's embedding
        per_token = cache["folded"] and grads is not None and not input_gradient
        for k in reversed(range(self.num_layers)):
            layer = cache["layers"][k]
            x = layer["input"]

            def backward_direction(d, k=k, x=x, layer=layer, d_out=d_out, d_hn=d_hn):
                sfx = _suffix(k, d)
                d_out_d = None if d_out is None else d_out[:, d * H : (d + 1) * H]
                d_state_n = None if d_hn is None else (
                    (d_hn[d],) + (None,) * (n_states - 1)
                )
                cell_empty = _empty_of(cache, sfx)
                d_gx, d_w_hh, d_b_hh, d_state0 = self.cell.backward(
                    d_out_d, d_state_n, layer["cells"][d], params["weight_hh" + sfx],
                    empty=cell_empty,
                )
                if d_initial is not None:
                    for part, d_part in zip(d_initial, d_state0):
                        part[k * D + d] = d_part
                mask = layer["proj_masks"][d]
                if grads is not None:
                    grads["weight_hh" + sfx] += d_w_hh
                    grads["bias_hh" + sfx] += d_b_hh
                    grads["bias_ih" + sfx] += d_gx.sum(axis=0)
                if mask is not None:
                    d_gx *= mask
                w_ih = params["weight_ih" + sfx]
                if k == 0 and per_token:
                    # x = the tokens' embeddings: d_W_ih = x^T (S d_gx), and the
                    # tokens' gradient (S d_gx) W_ih, with S the token sums
                    _, d_gx_tokens = _token_sums(batch, d_gx)
                    grads["weight_ih" + sfx] += (x.T @ d_gx_tokens).T
                    return d_gx_tokens @ w_ih
                if grads is not None:
                    if k == 0 and gather:
                        _scatter_rows(
                            grads, sparse, "weight_ih" + sfx, batch, d_gx, True
                        )
                    else:
                        # made in the transposed layout W_ih is stored in
                        grads["weight_ih" + sfx] += (x.T @ d_gx).T
                if k > 0 or input_gradient or embedding:
                    if k == 0 and gather:
                        return np.einsum("rg,rg->r", d_gx, w_ih.T[x])
                    d_x = cell_empty("d_input", (len(d_gx), w_ih.shape[1]), d_gx.dtype)
                    return np.matmul(d_gx, w_ih, out=d_x)
                return None

            # each direction writes only its own blocks of grads
            d_xs = list(self.map_directions(backward_direction, range(D)))
            d_input = d_xs[0]
            if D == 2 and d_input is not None:
                d_input += d_xs[1]  # d_xs[0] is this step's own array
            if k == 0 and not embedding:
                return d_input, d_initial
            if k == 0 and per_token:
                tokens, _ = batch.token_index()
                _add_rows(grads, sparse, "weight_embedding", tokens, d_input, False)
                return None, d_initial
            if k == 0:
                return self._backward_embedding(
                    params, grads, cache, d_input, input_gradient, sparse
                ), d_initial
            if k > 0:
                if "input_mask" in layer:
                    d_input *= layer["input_mask"]
                d_out, d_hn = d_input, None

    def _backward_embedding(self, params, grads, cache, d_emb, input_gradient, sparse):
        """Backward of ``e_t = x_t W_emb`` (and its dropout mask), given the
        gradient ``d_emb`` of the embedded steps; returns the input gradient
        as `_backward_layers` does."""
        batch = cache["batch"]
        w_emb = params["weight_embedding"]
        if "embedding_mask" in cache:
            d_emb *= cache["embedding_mask"]
        if grads is not None:
            if batch.one_hot:
                _scatter_rows(grads, sparse, "weight_embedding", batch, d_emb, False)
            else:
                grads["weight_embedding"] += batch.inputs.T @ d_emb
        if not input_gradient:
            return None
        if batch.one_hot:
            return np.einsum("re,re->r", d_emb, w_emb[batch.inputs])
        return d_emb @ w_emb.T

    # -- inference ------------------------------------------------------------

    def predict(self, params, batch, direct=None):
        """The output (B, n_outputs) in the batch's row order: class
        probabilities for ``'softmax'``, values for ``'identity'``
        (``direct``: see `forward`)."""
        output, _ = self.forward(params, batch, train=False, direct=direct)
        return output

    def hidden_states(self, params, batch, layer, initial_state=None,
                      return_state=False):
        """Outputs (n_rows, H * D) of ``layer``, in packed order (and, with
        ``return_state``, the final state; see `forward`)."""
        _, cache = self.forward(
            params, batch, train=False, keep_states=True,
            initial_state=initial_state, head=False,
        )
        out = cache["layers"][layer]["output"]
        if return_state:
            return out, cache["final_state"]
        return out

    def logits(self, params, batch, initial_state=None, direct=None):
        """The output layer's logits before the activation, and the final
        state (see `forward`): for ``'next_token'``, the (n_rows, n_tokens)
        scores of the next token after every packed row."""
        logits, cache = self._logits(
            params, batch, initial_state=initial_state, direct=direct
        )
        return logits, cache["final_state"]

    def log_likelihood(self, params, batch, targets, initial_state=None, direct=None):
        """``log p(targets)`` of every packed row of a per-step output, and
        the final state (see `forward`).

        Parameters
        ----------
        params : dict of name -> ndarray
        batch : PackedBatch
        targets : ndarray of int, shape (n_rows,)
            The next token of every packed row.
        initial_state : tuple of ndarray or None
        direct : sparse matrix of shape (n_rows, direct_size) or None
            The direct connections' features of every packed row (see
            `forward`).

        Returns
        -------
        log_p : ndarray of shape (n_rows,)
            Natural logarithm of the probability of each target, from a
            stable log-softmax of the logits.
        final_state : tuple of ndarray
        """
        logits, final_state = self.logits(params, batch, initial_state, direct)
        return log_softmax_at(logits, targets), final_state


def _pool(pooling, out, batch):
    """Mean or max over each sequence's steps of ``out`` (n_rows, C):
    (summary (B, C), arg) where for max ``arg`` is the packed row that gave
    each maximum (the first, on ties; -1 for an empty sequence) and for
    mean None."""
    s, sizes = batch.step_starts, batch.batch_sizes
    summary = np.zeros((batch.batch, out.shape[1]), dtype=out.dtype)
    if pooling == "mean":
        for t in range(batch.n_steps):
            summary[: sizes[t]] += out[s[t] : s[t + 1]]
        summary /= np.maximum(batch.lengths, 1)[:, np.newaxis]
        return summary, None
    arg = np.full(summary.shape, -1, dtype=np.intp)
    summary[batch.lengths > 0] = -np.inf
    larger = np.empty(summary.shape, dtype=bool)
    for t in range(batch.n_steps):
        b = sizes[t]
        step = out[s[t] : s[t + 1]]
        np.greater(step, summary[:b], out=larger[:b])
        np.copyto(summary[:b], step, where=larger[:b])
        np.copyto(arg[:b], np.arange(s[t], s[t + 1])[:, np.newaxis], where=larger[:b])
    return summary, arg


def _halves(names, sizes):
    """``names`` in two lists of about equal total size (largest first)."""
    parts, totals = ([], []), [0, 0]
    for name, size in sorted(zip(names, sizes), key=lambda item: -item[1]):
        lighter = int(totals[1] < totals[0])
        parts[lighter].append(name)
        totals[lighter] += size
    return parts


def _gather(table, rows, out):
    """``table[rows]`` into ``out``. The row ids are valid (checked with the
    input), so ``mode='clip'`` costs nothing; the default mode would buffer
    the whole result before copying it into ``out``."""
    return np.take(table, rows, axis=0, out=out, mode="clip")


def _empty_of(cache, prefix):
    """The allocator of a pass's arrays under ``prefix``: the scratch memory
    for training (see `RecurrentNetwork._logits`), else fresh arrays."""
    scratch = cache["scratch"]
    return fresh if scratch is None else scratch.named(prefix)


def _scatter_rows(grads, sparse, name, batch, d_rows, transposed):
    """Add the gradient of one-hot-gathered rows into parameter ``name``:
    row-sparse into ``sparse`` if given, else into ``grads[name]`` (whose
    rows are the token slots, or whose columns are when ``transposed``)."""
    tokens, sums = _token_sums(batch, d_rows)
    _add_rows(grads, sparse, name, tokens, sums, transposed)


def _add_rows(grads, sparse, name, tokens, sums, transposed):
    """Add ``sums`` into rows ``tokens`` of parameter ``name`` (see
    `_scatter_rows`)."""
    if sparse is not None:
        sparse.set(name, tokens, sums)
    elif transposed:
        grads[name].T[tokens] += sums
    else:
        grads[name][tokens] += sums


def _backward_direct(grads, sparse, direct, d_logits):
    """Add ``d W_direct = X_direct^T d_logits`` (the rows the features use)
    into ``grads``, or give it to ``sparse`` if its blocks hold the table
    (no rows when there are no features)."""
    to_sparse = sparse is not None and "weight_direct" in sparse.blocks
    if direct is None:
        if to_sparse:
            sparse.set(
                "weight_direct", np.zeros(0, dtype=np.intp),
                np.zeros((0, d_logits.shape[1]), dtype=d_logits.dtype),
            )
        return
    rows, sums = _feature_sums(direct, d_logits)
    if to_sparse:
        sparse.set("weight_direct", rows, sums)
    else:
        grads["weight_direct"][rows] += sums


def _feature_sums(features, d_logits):
    """(rows, sums): the distinct columns ``rows`` a CSR matrix ``features``
    uses and ``features[:, rows]^T d_logits``, (len(rows), n_outputs), of
    the features' dtype: the product over the used columns only, never the
    whole table."""
    nnz = features.indptr[-1]
    rows, column = np.unique(features.indices[:nnz], return_inverse=True)
    used = scipy.sparse.csr_matrix(
        (features.data[:nnz], column.ravel(), features.indptr),
        shape=(features.shape[0], len(rows)),
    )
    sums = np.asarray(used.T @ d_logits).astype(features.dtype, copy=False)
    return rows.astype(np.intp), sums


def _token_sums(batch, rows):
    """(tokens, sums): the distinct token ids of a one-hot batch and, for
    each, the sum of ``rows`` over the packed rows holding it; the gradient
    of the gathered embedding rows (a scatter-add, as one sparse product)."""
    tokens, S = batch.token_groups(rows.dtype)
    return tokens, np.asarray(S @ rows)
