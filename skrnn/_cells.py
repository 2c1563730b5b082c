"""Recurrent cells: one direction of one layer, forward and exact backward.

Every cell runs over a `PackedBatch` (see `_sequences.py`): step ``t`` works on
the first ``batch_sizes[t]`` rows, stored at packed rows
``step_starts[t]:step_starts[t + 1]``. The input projection of all steps,
``gx = x W_ih^T + b_ih`` of shape (n_rows, n_gates * H), is computed by the
network before the time loop (one product, or one gather for one-hot input),
so the loop holds only what truly recurs: ``h W_hh^T``, added in place into
``gx`` (the GRU writes it into a buffer of its own, since r multiplies
gh_n), and a few element-wise operations on preallocated rows. (All products
go through NumPy's BLAS: interleaving calls to a second BLAS library, such as
SciPy's, makes the two libraries' thread pools fight for the cores.) Every
derivative that does not depend on the recurrence (``sigmoid'``, ``tanh'``,
products of gate values) is computed for all rows at once before the
backward loop, which then holds one product
``d_a W_hh`` and a handful of element-wise operations per step; the weight
gradient ``d_W_hh`` is one product after it.

Conventions are PyTorch's: weights in its layout (n_gates * H, H), its gate
orders, and both biases. Going in ``reverse``, each sequence is read from its
last step to its first.

A cell's *state* is what it carries from step to step: ``(h,)`` for the
Elman cell and the GRU, ``(h, c)`` for the LSTM (``n_states``). The initial
state ``state0`` is zero unless given, as torch's ``h_0`` (and ``c_0``): a
tuple of (B, H) arrays in the batch's row order. `forward` returns the final
state ``state_n`` (each sequence's state after its last step read), so that a
caller can carry it into the next chunk of the same sequences (truncated
BPTT), and `backward` returns the gradient ``d_state0`` of the initial state
(None when the state started at zero: then no work is spent on it). A row
starts from its initial state at its first step read, the only step at which
the loops touch ``state0``.

The batch is sorted by decreasing length, so the rows of step ``t`` that have
a previous state are a prefix of them, and their previous states are a
contiguous block of rows (`_previous`): the step reads them in place, no copy.

Shapes: ``n_rows`` packed rows (all steps of all sequences), ``B`` sequences,
``H`` hidden units, ``G`` gates.
"""

import numpy as np

from ._scratch import fresh


def _tanh(z):
    return np.tanh(z, out=z)


def _relu(z):
    return np.maximum(z, 0, out=z)


ACTIVATIONS = {"tanh": _tanh, "relu": _relu}


def _gate_scale_shift(n_gates, tanh_gate, H, dtype):
    """Per-column ``scale`` and ``shift`` of a stacked gate block: 1/2 and
    1/2 for the sigmoid gates, 1 and 0 for gate ``tanh_gate``.

    The gated cells compute sigmoid(a) as (1 + tanh(a / 2)) / 2, the same
    function as `scipy.special.expit` (absolute error within one unit in the
    last place of 1), because NumPy's vectorized tanh is several times
    faster than its exp-based forms (benchmarks/RESULTS.md). The LSTM cell
    multiplies its pre-activations by
    ``scale`` up front (the columns of gx and rows of W_hh and b_hh; exact,
    a power of two); then `_gate_activations` turns a whole block of its
    four gates into the gate values. The GRU's r and z, a block of their
    own, go through `_sigmoid`.
    """
    scale = np.full(n_gates * H, 0.5, dtype=dtype)
    scale[tanh_gate * H : (tanh_gate + 1) * H] = 1
    shift = np.where(scale == 1, 0, 0.5).astype(dtype)
    return scale, shift


def _sigmoid(a):
    """sigmoid(a) in place, as ``(1 + tanh(a / 2)) / 2`` (see
    `_gate_scale_shift`)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5
    return a


def _gate_activations(a, scale, shift):
    """``tanh(a) * scale + shift`` in place: sigmoid(2 a) for a sigmoid gate's
    column, tanh(a) for the tanh gate's; ``a`` is pre-scaled."""
    np.tanh(a, out=a)
    a *= scale
    a += shift
    return a


def _tanh_derivative(h, out):
    """tanh'(a) into ``out``, written with the output h = tanh(a)."""
    np.multiply(h, h, out=out)
    return np.subtract(1, out, out=out)


def _relu_derivative(h, out):
    """relu'(a) into ``out``, written with the output h = relu(a)."""
    return np.greater(h, 0, out=out)


DERIVATIVES = {"tanh": _tanh_derivative, "relu": _relu_derivative}


def _times_one_minus(a, out):
    """``a (1 - a)`` into ``out``: a sigmoid's derivative from its output."""
    np.subtract(1, a, out=out)
    return np.multiply(out, a, out=out)


def _steps(batch, reverse):
    """The time steps in the order a cell reads them."""
    steps = range(batch.n_steps)
    return reversed(steps) if reverse else steps


def _previous(batch, reverse, t):
    """(k, p): the first ``k`` rows of step ``t`` continue from a previous
    state, stored at packed rows ``p:p + k``; the other rows start from zero.

    Going forward the previous step is t - 1 (all rows of t); going in
    reverse it is t + 1, whose rows are a prefix of those of t.
    """
    prev = t + 1 if reverse else t - 1
    if prev < 0 or prev >= batch.n_steps:
        return 0, 0
    return int(min(batch.batch_sizes[t], batch.batch_sizes[prev])), int(
        batch.step_starts[prev]
    )


def _previous_states(batch, reverse, states, initial=None, out=None):
    """The previous state of every packed row: for a sequence's first row
    read, its ``initial`` state (B, H), or zero when None. Written into
    ``out`` (n_rows, H) if given."""
    previous = batch.previous_rows(reverse)
    if out is None:
        out = np.empty(states.shape, dtype=states.dtype)
    if not len(previous):
        return out
    # index n_rows (no previous row) is clipped to a real row, then replaced
    np.take(states, previous, axis=0, out=out, mode="clip")
    first = previous == batch.n_rows
    if initial is None:
        out[first] = 0
    else:
        out[first] = initial[batch.row_of[first]]
    return out


def _final_states(batch, reverse, states, initial=None):
    """Each sequence's state after its last step read; for an empty
    sequence its ``initial`` state, or zero when None."""
    if initial is None:
        h_n = np.zeros((batch.batch, states.shape[1]), dtype=states.dtype)
    else:
        h_n = np.array(initial, dtype=states.dtype)
    nonempty = batch.lengths > 0
    if reverse:
        h_n[nonempty] = states[: int(nonempty.sum())]
    else:
        last = batch.last_rows()
        h_n[nonempty] = states[last[nonempty]]
    return h_n


def _accumulate_product(out, x, w_hh, transpose=False):
    """``out += x @ w_hh.T`` (or ``x @ w_hh`` with ``transpose``) in place."""
    out += x @ (w_hh if transpose else w_hh.T)


def _row_major(w_hh):
    """``W_hh`` as a C-contiguous (G * H, H) array, for the backward's
    ``d_a W_hh``. The network stores W_hh transposed, so that the forward's
    ``h W_hh^T`` reads C-contiguous memory; OpenBLAS multiplies by a
    transposed operand more slowly. One copy per backward pass, against one
    product per step."""
    return np.ascontiguousarray(w_hh)


def _weight_gradient(d_a, h_prev):
    """``d_W_hh = sum_rows d_a^T h_prev``: one product over all rows, ``h_prev``
    from `_previous_states` (a sequence's first row multiplies the zero
    initial state and adds nothing). Gathering ``h_prev`` (H wide) instead
    of the rows of ``d_a`` that have a previous state (G * H wide) copies a
    G-th of the memory.

    Computed as ``(h_prev^T d_a)^T``: a (G * H, H) view of an (H, G * H)
    C-contiguous product, the layout in which the network stores W_hh, so
    that adding it into the gradient reads both arrays in order rather than
    adding a transposed copy."""
    return (h_prev.T @ d_a).T


def _step_buffer(batch, width, dtype, keep, empty, name):
    """A cell's per-row array: every packed row to keep for the backward
    pass (from ``empty``), or, for inference, the rows of one step (as many
    as the widest step), reused from step to step: less memory to touch."""
    if keep:
        return empty(name, (batch.n_rows, width), dtype)
    n = int(batch.batch_sizes[0]) if batch.n_steps else 0
    return np.empty((n, width), dtype=dtype)


def _dh_init(d_hn, shape, dtype):
    return np.zeros(shape, dtype=dtype) if d_hn is None else np.array(d_hn, dtype=dtype)


def _state_parts(state, n_states, fill=False):
    """``state`` (a tuple of ``n_states`` arrays, or None) as a list of
    ``n_states`` entries; with ``fill``, an entry that is None next to a
    given one is zero (an LSTM given h0 alone starts from c0 = 0)."""
    if state is None:
        return [None] * n_states
    state = list(state)
    if len(state) != n_states:
        raise ValueError(
            f"A state of this cell is a tuple of {n_states} array(s), got {len(state)}."
        )
    given = [s for s in state if s is not None]
    if fill and given:
        state = [np.zeros_like(given[0]) if s is None else s for s in state]
    return state


def _initial_gradient(state0, d_state_n, batch):
    """Zero gradients of the initial state (None when it started at zero);
    an empty sequence's final state is its initial state, so the gradient
    of its final state passes straight through."""
    if state0 is None:
        return None
    d_state0 = [np.zeros_like(s) for s in state0]
    empty = batch.lengths == 0
    if empty.any():
        for d0, d_n in zip(d_state0, _state_parts(d_state_n, len(state0))):
            if d_n is not None:
                d0[empty] = d_n[empty]
    return d_state0


class _Cache:
    """What a forward pass keeps for its backward pass."""

    def __init__(self, batch, reverse, **arrays):
        self.batch = batch
        self.reverse = reverse
        self.__dict__.update(arrays)


class ElmanCell:
    """Elman recurrent cell (``cell='rnn'``).

    Equations, per step t::

        a_t = gx_t + h_{t-1} W_hh^T + b_hh        gx_t = x_t W_ih^T + b_ih
        h_t = f(a_t)                              f = tanh or relu

    with ``h_{-1} = h0`` (zero unless given). State: ``(h,)``.

    Parameters
    ----------
    nonlinearity : {'tanh', 'relu'}
    """

    n_gates = 1
    n_states = 1

    def __init__(self, nonlinearity="tanh"):
        self.nonlinearity = nonlinearity

    def forward(self, gx, batch, w_hh, b_hh, reverse=False, keep=True, state0=None,
                empty=fresh):
        """Run the cell over a packed batch.

        Parameters
        ----------
        gx : ndarray of shape (n_rows, H)
            Input projection of every step, ``b_ih`` included. Overwritten:
            it becomes ``out``.
        batch : PackedBatch
        w_hh : ndarray of shape (H, H)
        b_hh : ndarray of shape (H,)
        reverse : bool
        keep : bool
            Return what `backward` needs (False for inference).
        state0 : tuple (h0,) of ndarray (B, H), or None
            Initial state of each sequence, in the batch's row order; None
            is zero.
        empty : callable ``empty(name, shape, dtype)``
            Allocates the per-row arrays kept for `backward`
            (`skrnn._scratch.Scratch`); by default fresh ones.

        Returns
        -------
        out : ndarray of shape (n_rows, H)
            h_t of every step.
        state_n : tuple (h_n,) of ndarray (B, H)
            Each sequence's state after its last step read (the first step
            when ``reverse``); its initial state for an empty sequence.
        cache : object or None
        """
        (h0,) = _state_parts(state0, 1, fill=True)
        f = ACTIVATIONS[self.nonlinearity]
        s, sizes = batch.step_starts, batch.batch_sizes
        gx += b_hh
        h = gx  # a_t, then h_t, in place, (n_rows, H)
        for t in _steps(batch, reverse):
            a_t = h[s[t] : s[t + 1]]
            k, p = _previous(batch, reverse, t)
            if k:
                _accumulate_product(a_t[:k], h[p : p + k], w_hh)
            if h0 is not None and k < sizes[t]:  # rows starting here
                _accumulate_product(a_t[k:], h0[k : sizes[t]], w_hh)
            f(a_t)
        cache = _Cache(batch, reverse, h=h, h0=h0) if keep else None
        return h, (_final_states(batch, reverse, h, h0),), cache

    def backward(self, d_out, d_state_n, cache, w_hh, empty=fresh):
        """Gradients of the loss, given those of the forward's outputs.

        Parameters
        ----------
        d_out : ndarray of shape (n_rows, H) or None
            Gradient with respect to ``out`` (None when only h_n is used).
        d_state_n : tuple (d_hn,) of ndarray (B, H) or None, or None
            Gradient with respect to the final state.
        cache : object from `forward`
        w_hh : ndarray of shape (H, H)
        empty : callable ``empty(name, shape, dtype)``
            Allocates the per-row arrays (see `forward`); the returned
            ``d_gx`` is one of them.

        Returns
        -------
        d_gx : ndarray of shape (n_rows, H)
        d_w_hh : ndarray of shape (H, H)
        d_b_hh : ndarray of shape (H,)
        d_state0 : tuple (d_h0,) of ndarray (B, H), or None
            Gradient with respect to the initial state; None when the
            forward pass started from zero.
        """
        batch, h, reverse, h0 = cache.batch, cache.h, cache.reverse, cache.h0
        s, sizes = batch.step_starts, batch.batch_sizes
        (d_hn,) = _state_parts(d_state_n, 1)
        f_prime = DERIVATIVES[self.nonlinearity](
            h, empty("f_prime", h.shape, h.dtype)
        )  # f'(a_t), all rows
        d_a = empty("d_a", h.shape, h.dtype)
        w_hh = _row_major(w_hh)
        dh = _dh_init(d_hn, (batch.batch, h.shape[1]), h.dtype)
        d_state0 = _initial_gradient(None if h0 is None else (h0,), d_state_n, batch)
        for t in reversed(list(_steps(batch, reverse))):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            if d_out is not None:
                dh[:b] += d_out[rows]
            d_a_t = np.multiply(dh[:b], f_prime[rows], out=d_a[rows])
            k, _ = _previous(batch, reverse, t)
            if k:
                np.matmul(d_a_t[:k], w_hh, out=dh[:k])
            if h0 is not None and k < b:  # rows that started here
                np.matmul(d_a_t[k:], w_hh, out=d_state0[0][k:b])
        h_prev = _previous_states(
            batch, reverse, h, h0, out=empty("previous", h.shape, h.dtype)
        )
        d_w_hh = _weight_gradient(d_a, h_prev)
        return d_a, d_w_hh, d_a.sum(axis=0), _tuple(d_state0)


class GRUCell:
    """Gated recurrent unit (``cell='gru'``), PyTorch's gate order r, z, n.

    Equations, per step t (``*`` is the element-wise product)::

        gx_t = x_t W_ih^T + b_ih          split into gx_r, gx_z, gx_n
        gh_t = h_{t-1} W_hh^T + b_hh      split into gh_r, gh_z, gh_n
        r_t = sigmoid(gx_r + gh_r)
        z_t = sigmoid(gx_z + gh_z)
        n_t = tanh(gx_n + r_t * gh_n)
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    with ``h_{-1} = h0`` (zero unless given). State: ``(h,)``.
    """

    n_gates = 3
    n_states = 1

    def forward(self, gx, batch, w_hh, b_hh, reverse=False, keep=True, state0=None,
                empty=fresh):
        """Run the cell over a packed batch; see `ElmanCell.forward`.

        ``gx`` has shape (n_rows, 3H), ``w_hh`` (3H, H), ``b_hh`` (3H,).
        ``gx``'s n columns are overwritten with n.
        """
        (h0,) = _state_parts(state0, 1, fill=True)
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        w_hh_t = w_hh.T  # (H, 3H), C-contiguous as the network stores W_hh
        # gh_t, (n_rows, 3H); r_t and z_t side by side, (n_rows, 2H), so that
        # one activation per step runs over whole contiguous rows (a pass
        # over a strided column block costs up to 4x more per element at
        # small H). Inference keeps one step of each (`_step_buffer`).
        gh = _step_buffer(batch, 3 * H, gx.dtype, keep, empty, "gh")
        rz = _step_buffer(batch, 2 * H, gx.dtype, keep, empty, "rz")
        n = gx[:, 2 * H :]  # gx_n, then n_t in place, (n_rows, H)
        h = empty("h", (batch.n_rows, H), gx.dtype)  # h_t
        for t in _steps(batch, reverse):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            here = rows if keep else slice(0, b)
            gh_t, rz_t, n_t, h_t = gh[here], rz[here], n[rows], h[rows]
            k, p = _previous(batch, reverse, t)
            if k:
                np.matmul(h[p : p + k], w_hh_t, out=gh_t[:k])
                gh_t[:k] += b_hh
            if k < b:  # rows starting here: h_{t-1} = h0
                if h0 is None:
                    gh_t[k:] = b_hh
                else:
                    np.matmul(h0[k:b], w_hh_t, out=gh_t[k:])
                    gh_t[k:] += b_hh
            np.add(gx[rows, : 2 * H], gh_t[:, : 2 * H], out=rz_t)
            _sigmoid(rz_t)
            r, z = rz_t[:, :H], rz_t[:, H:]
            # n = tanh(gx_n + r * gh_n), h_t = n + z * (h_{t-1} - n)
            np.multiply(r, gh_t[:, 2 * H :], out=h_t)
            n_t += h_t
            _tanh(n_t)
            if k:
                np.subtract(h[p : p + k], n_t[:k], out=h_t[:k])
            if k < b:
                if h0 is None:
                    np.negative(n_t[k:], out=h_t[k:])
                else:
                    np.subtract(h0[k:b], n_t[k:], out=h_t[k:])
            h_t *= z
            h_t += n_t
        cache = (
            _Cache(batch, reverse, h=h, rz=rz, n=n, gh=gh, h0=h0) if keep else None
        )
        return h, (_final_states(batch, reverse, h, h0),), cache

    def backward(self, d_out, d_state_n, cache, w_hh, empty=fresh):
        """Gradients of the loss; see `ElmanCell.backward`.

        With ``d_an`` the gradient of n's pre-activation ``gx_n + r * gh_n``,
        every gradient of step t is ``dh_t`` times a factor known from the
        forward pass: ``d_an = dh_t (1 - z) (1 - n^2)``,
        ``d_r = d_an gh_n r (1 - r)``, ``d_z = dh_t (h_{t-1} - n) z (1 - z)``,
        ``d_gh_n = d_an r``; and ``dh_{t-1} = dh_t z + d_gh W_hh``.
        """
        batch, h, rz, n, gh = cache.batch, cache.h, cache.rz, cache.n, cache.gh
        reverse, h0 = cache.reverse, cache.h0
        (d_hn,) = _state_parts(d_state_n, 1)
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        r, z = rz[:, :H], rz[:, H:]
        dtype = h.dtype
        # Factors of dh_t, all rows at once: [d_r, d_z, d_gh_n] / dh_t and
        # d_an / dh_t, in place (``tmp`` holds 1 - z, r (1 - r), z (1 - z)).
        tmp = empty("tmp", h.shape, dtype)
        d_an_factor = _tanh_derivative(n, empty("d_an_factor", h.shape, dtype))
        d_an_factor *= np.subtract(1, z, out=tmp)  # (1 - z) (1 - n^2)
        factors = empty("factors", gh.shape, dtype)
        d_r, d_z, d_n = factors[:, :H], factors[:, H : 2 * H], factors[:, 2 * H :]
        np.multiply(d_an_factor, gh[:, 2 * H :], out=d_r)
        d_r *= _times_one_minus(r, tmp)
        h_prev = _previous_states(
            batch, reverse, h, h0, out=empty("previous", h.shape, dtype)
        )
        np.subtract(h_prev, n, out=d_z)
        d_z *= _times_one_minus(z, tmp)
        np.multiply(d_an_factor, r, out=d_n)
        factors = factors.reshape(-1, 3, H)
        d_gh = empty("d_gh", gh.shape, dtype)  # gradient of gh_t, (n_rows, 3H)
        d_gh3 = d_gh.reshape(-1, 3, H)
        d_gx = empty("d_gx", gh.shape, dtype)
        w_hh = _row_major(w_hh)
        dh = _dh_init(d_hn, (batch.batch, H), h.dtype)
        d_state0 = _initial_gradient(None if h0 is None else (h0,), d_state_n, batch)
        for t in reversed(list(_steps(batch, reverse))):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            if d_out is not None:
                dh[:b] += d_out[rows]
            dh_t = dh[:b]
            d_gh_t = d_gh[rows]
            np.multiply(dh_t[:, np.newaxis, :], factors[rows], out=d_gh3[rows])
            np.multiply(dh_t, d_an_factor[rows], out=d_gx[rows, 2 * H :])
            k, _ = _previous(batch, reverse, t)
            if h0 is not None and k < b:  # rows that started here
                d_h0 = d_state0[0][k:b]
                np.multiply(dh_t[k:], z[rows][k:], out=d_h0)
                _accumulate_product(d_h0, d_gh_t[k:], w_hh, transpose=True)
            if k:
                dh_t *= z[rows]
                _accumulate_product(dh[:k], d_gh_t[:k], w_hh, transpose=True)
        d_gx[:, : 2 * H] = d_gh[:, : 2 * H]
        d_w_hh = _weight_gradient(d_gh, h_prev)
        return d_gx, d_w_hh, d_gh.sum(axis=0), _tuple(d_state0)


class LSTMCell:
    """Long short-term memory cell (``cell='lstm'``), PyTorch's gate order i, f, g, o.

    Equations, per step t (``*`` is the element-wise product)::

        a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh    split into a_i, a_f, a_g, a_o
        i_t = sigmoid(a_i)    f_t = sigmoid(a_f)    g_t = tanh(a_g)    o_t = sigmoid(a_o)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    with ``h_{-1} = h0`` and ``c_{-1} = c0`` (zero unless given). State:
    ``(h, c)``.
    """

    n_gates = 4
    n_states = 2

    def forward(self, gx, batch, w_hh, b_hh, reverse=False, keep=True, state0=None,
                empty=fresh):
        """Run the cell over a packed batch; see `ElmanCell.forward`.

        ``gx`` has shape (n_rows, 4H), ``w_hh`` (4H, H), ``b_hh`` (4H,).
        ``gx`` is overwritten with i, f, g, o. ``state0`` is ``(h0, c0)``
        and ``state_n`` is ``(h_n, c_n)``.
        """
        h0, c0 = _state_parts(state0, 2, fill=True)
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        # all four gates through one tanh per step (see `_gate_scale_shift`)
        scale, shift = _gate_scale_shift(4, 2, H, gx.dtype)
        gx += b_hh
        gx *= scale
        w_hh = w_hh * scale[:, np.newaxis]
        ifgo = gx  # a_t, then i_t, f_t, g_t, o_t in place, (n_rows, 4H)
        c = empty("c", (batch.n_rows, H), gx.dtype)  # c_t
        tanh_c = empty("tanh_c", c.shape, c.dtype)  # tanh(c_t)
        h = empty("h", c.shape, c.dtype)  # h_t
        for t in _steps(batch, reverse):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            a, c_t, h_t = ifgo[rows], c[rows], h[rows]
            k, p = _previous(batch, reverse, t)
            if k:
                _accumulate_product(a[:k], h[p : p + k], w_hh)
            if h0 is not None and k < b:  # rows starting here
                _accumulate_product(a[k:], h0[k:b], w_hh)
            _gate_activations(a, scale, shift)
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            np.multiply(i, g, out=c_t)
            if k:
                np.multiply(f[:k], c[p : p + k], out=h_t[:k])  # h_t as scratch
                c_t[:k] += h_t[:k]
            if c0 is not None and k < b:
                np.multiply(f[k:], c0[k:b], out=h_t[k:])
                c_t[k:] += h_t[k:]
            np.tanh(c_t, out=tanh_c[rows])
            np.multiply(o, tanh_c[rows], out=h_t)
        cache = (
            _Cache(batch, reverse, h=h, c=c, tanh_c=tanh_c, ifgo=ifgo, h0=h0, c0=c0)
            if keep
            else None
        )
        state_n = (
            _final_states(batch, reverse, h, h0),
            _final_states(batch, reverse, c, c0),
        )
        return h, state_n, cache

    def backward(self, d_out, d_state_n, cache, w_hh, empty=fresh):
        """Gradients of the loss; see `ElmanCell.backward`.

        ``d_state_n`` is ``(d_hn, d_cn)`` (either may be None) and
        ``d_state0`` is ``(d_h0, d_c0)``.

        Per step, ``dc_t += dh_t o (1 - tanh(c_t)^2)``,
        ``d_a_o = dh_t tanh(c_t) o (1 - o)``, and
        ``[d_a_i, d_a_f, d_a_g] = dc_t [g i (1 - i), c_{t-1} f (1 - f),
        i (1 - g^2)]``; then ``dc_{t-1} = dc_t f`` and
        ``dh_{t-1} = d_a W_hh``. The factors are computed for all rows first.
        """
        batch, h, c, tanh_c, ifgo = cache.batch, cache.h, cache.c, cache.tanh_c, cache.ifgo
        reverse, h0, c0 = cache.reverse, cache.h0, cache.c0
        d_hn, d_cn = _state_parts(d_state_n, 2)
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        i, f, g, o = (ifgo[:, k * H : (k + 1) * H] for k in range(4))
        dtype = h.dtype
        # the factors, all rows at once, in place (``tmp`` is scratch)
        tmp = empty("tmp", h.shape, dtype)
        dc_factor = _tanh_derivative(tanh_c, empty("dc_factor", h.shape, dtype))
        dc_factor *= o  # o (1 - tanh(c)^2)
        do_factor = np.multiply(tanh_c, o, out=empty("do_factor", h.shape, dtype))
        do_factor *= np.subtract(1, o, out=tmp)  # tanh(c) o (1 - o)
        factors = empty("factors", (batch.n_rows, 3 * H), dtype)
        d_i, d_f, d_g = factors[:, :H], factors[:, H : 2 * H], factors[:, 2 * H :]
        np.multiply(g, _times_one_minus(i, tmp), out=d_i)
        previous = empty("previous", h.shape, dtype)  # c_{t-1}, later h_{t-1}
        c_prev = _previous_states(batch, reverse, c, c0, out=previous)
        np.multiply(c_prev, _times_one_minus(f, tmp), out=d_f)
        np.multiply(i, _tanh_derivative(g, tmp), out=d_g)
        factors = factors.reshape(-1, 3, H)
        d_a = empty("d_a", ifgo.shape, dtype)
        d_a4 = d_a.reshape(-1, 4, H)
        w_hh = _row_major(w_hh)
        dh = _dh_init(d_hn, (batch.batch, H), h.dtype)
        dc = _dh_init(d_cn, (batch.batch, H), h.dtype)
        scratch = np.empty((batch.batch, H), dtype=h.dtype)
        d_state0 = _initial_gradient(None if h0 is None else (h0, c0), d_state_n, batch)
        for t in reversed(list(_steps(batch, reverse))):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            if d_out is not None:
                dh[:b] += d_out[rows]
            dh_t, dc_t, d_a_t = dh[:b], dc[:b], d_a[rows]
            np.multiply(dh_t, dc_factor[rows], out=scratch[:b])
            dc_t += scratch[:b]
            np.multiply(dh_t, do_factor[rows], out=d_a_t[:, 3 * H :])
            np.multiply(dc_t[:, np.newaxis, :], factors[rows], out=d_a4[rows, :3])
            k, _ = _previous(batch, reverse, t)
            if h0 is not None and k < b:  # rows that started here
                np.matmul(d_a_t[k:], w_hh, out=d_state0[0][k:b])
                np.multiply(dc_t[k:], f[rows][k:], out=d_state0[1][k:b])
            if k:
                dc_t *= f[rows]
                np.matmul(d_a_t[:k], w_hh, out=dh[:k])
        h_prev = _previous_states(batch, reverse, h, h0, out=previous)
        d_w_hh = _weight_gradient(d_a, h_prev)
        return d_a, d_w_hh, d_a.sum(axis=0), _tuple(d_state0)


def _tuple(state):
    return None if state is None else tuple(state)


CELLS = {"rnn": ElmanCell, "gru": GRUCell, "lstm": LSTMCell}
