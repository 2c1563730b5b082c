"""Recurrent cells: one direction of one layer, forward and exact backward.

Every cell runs over a `PackedBatch` (see `_sequences.py`): step ``t`` works on
the first ``batch_sizes[t]`` rows, stored at packed rows
``step_starts[t]:step_starts[t + 1]``. The input projection of all steps,
``gx = x W_ih^T + b_ih`` of shape (n_rows, n_gates * H), is computed by the
network before the time loop (one product, or one gather for one-hot input),
so the loop holds only what truly recurs: ``h W_hh^T``. The backward loop walks
the steps in the opposite order, reading what the forward loop wrote, and the
weight gradient ``d_W_hh`` is one product after it.

Conventions are PyTorch's: weights in its layout (n_gates * H, H), its gate
orders, and both biases. The initial state is zero. Going in ``reverse``,
each sequence is read from its last step to its first.

Shapes: ``n_rows`` packed rows (all steps of all sequences), ``B`` sequences,
``H`` hidden units, ``G`` gates.
"""

import numpy as np
from scipy.special import expit


def _tanh(z):
    return np.tanh(z, out=z)


def _relu(z):
    return np.maximum(z, 0, out=z)


def _sigmoid(z):
    return expit(z, out=z)


ACTIVATIONS = {"tanh": _tanh, "relu": _relu}


def _tanh_derivative(h, delta):
    """delta *= tanh'(a), written with the output h = tanh(a)."""
    delta *= 1 - h**2


def _relu_derivative(h, delta):
    """delta *= relu'(a), written with the output h = relu(a)."""
    delta[h <= 0] = 0


DERIVATIVES = {"tanh": _tanh_derivative, "relu": _relu_derivative}


def _steps(batch, reverse):
    """The time steps in the order a cell reads them."""
    steps = range(batch.n_steps)
    return reversed(steps) if reverse else steps


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

    Parameters
    ----------
    nonlinearity : {'tanh', 'relu'}
    """

    n_gates = 1

    def __init__(self, nonlinearity="tanh"):
        self.nonlinearity = nonlinearity

    def forward(self, gx, batch, w_hh, b_hh, reverse=False):
        """Run the cell over a packed batch.

        Parameters
        ----------
        gx : ndarray of shape (n_rows, H)
            Input projection of every step, ``b_ih`` included.
        batch : PackedBatch
        w_hh : ndarray of shape (H, H)
        b_hh : ndarray of shape (H,)
        reverse : bool

        Returns
        -------
        out : ndarray of shape (n_rows, H)
            h_t of every step.
        h_n : ndarray of shape (B, H)
            Each sequence's state after its last step read (the first step
            when ``reverse``); zero for empty sequences.
        cache : object
        """
        f = ACTIVATIONS[self.nonlinearity]
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        # h_ext: h_t of every packed row, then one zero row, the initial state.
        h_ext = np.zeros((batch.n_rows + 1, H), dtype=gx.dtype)
        h = np.zeros((batch.batch, H), dtype=gx.dtype)  # current state per row
        for t in _steps(batch, reverse):
            b = sizes[t]
            a = h_ext[s[t] : s[t + 1]]
            np.matmul(h[:b], w_hh.T, out=a)
            a += gx[s[t] : s[t + 1]]
            a += b_hh
            f(a)
            h[:b] = a
        cache = _Cache(batch, reverse, h_ext=h_ext)
        return h_ext[:-1], h, cache

    def backward(self, d_out, d_hn, cache, w_hh):
        """Gradients of the loss, given those of the forward's outputs.

        Parameters
        ----------
        d_out : ndarray of shape (n_rows, H) or None
            Gradient with respect to ``out`` (None when only h_n is used).
        d_hn : ndarray of shape (B, H) or None
        cache : object from `forward`
        w_hh : ndarray of shape (H, H)

        Returns
        -------
        d_gx : ndarray of shape (n_rows, H)
        d_w_hh : ndarray of shape (H, H)
        d_b_hh : ndarray of shape (H,)
        """
        f_derivative = DERIVATIVES[self.nonlinearity]
        batch, h_ext = cache.batch, cache.h_ext
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        d_a = np.empty((batch.n_rows, H), dtype=h_ext.dtype)
        dh = _zeros_or_copy(d_hn, (batch.batch, H), h_ext.dtype)
        for t in reversed(list(_steps(batch, cache.reverse))):
            b = sizes[t]
            if d_out is not None:
                dh[:b] += d_out[s[t] : s[t + 1]]
            da = d_a[s[t] : s[t + 1]]
            da[...] = dh[:b]
            f_derivative(h_ext[s[t] : s[t + 1]], da)
            np.matmul(da, w_hh, out=dh[:b])
        h_prev = h_ext[batch.previous_rows(cache.reverse)]
        d_w_hh = d_a.T @ h_prev
        d_b_hh = d_a.sum(axis=0)
        return d_a, d_w_hh, d_b_hh


class GRUCell:
    """Gated recurrent unit (``cell='gru'``), PyTorch's gate order r, z, n.

    Equations, per step t (``*`` is the element-wise product)::

        gx_t = x_t W_ih^T + b_ih          split into gx_r, gx_z, gx_n
        gh_t = h_{t-1} W_hh^T + b_hh      split into gh_r, gh_z, gh_n
        r_t = sigmoid(gx_r + gh_r)
        z_t = sigmoid(gx_z + gh_z)
        n_t = tanh(gx_n + r_t * gh_n)
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    """

    n_gates = 3

    def forward(self, gx, batch, w_hh, b_hh, reverse=False):
        """Run the cell over a packed batch; see `ElmanCell.forward`.

        ``gx`` has shape (n_rows, 3H), ``w_hh`` (3H, H), ``b_hh`` (3H,).
        """
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        h_ext = np.zeros((batch.n_rows + 1, H), dtype=gx.dtype)
        rzn = np.empty((batch.n_rows, 3 * H), dtype=gx.dtype)  # r, z, n per row
        gh_n = np.empty((batch.n_rows, H), dtype=gx.dtype)
        gh = np.empty((batch.batch, 3 * H), dtype=gx.dtype)
        h = np.zeros((batch.batch, H), dtype=gx.dtype)
        for t in _steps(batch, reverse):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            np.matmul(h[:b], w_hh.T, out=gh[:b])
            gh[:b] += b_hh
            g = rzn[rows]
            r, z, n = g[:, :H], g[:, H : 2 * H], g[:, 2 * H :]
            np.add(gx[rows, : 2 * H], gh[:b, : 2 * H], out=g[:, : 2 * H])
            _sigmoid(g[:, : 2 * H])
            gh_n[rows] = gh[:b, 2 * H :]
            np.multiply(r, gh_n[rows], out=n)
            n += gx[rows, 2 * H :]
            _tanh(n)
            h_t = h_ext[rows]
            np.subtract(h[:b], n, out=h_t)  # h_t = n + z * (h_{t-1} - n)
            h_t *= z
            h_t += n
            h[:b] = h_t
        cache = _Cache(batch, reverse, h_ext=h_ext, rzn=rzn, gh_n=gh_n)
        return h_ext[:-1], h, cache

    def backward(self, d_out, d_hn, cache, w_hh):
        """Gradients of the loss; see `ElmanCell.backward`."""
        batch, h_ext, rzn, gh_n = cache.batch, cache.h_ext, cache.rzn, cache.gh_n
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        h_prev = h_ext[batch.previous_rows(cache.reverse)]
        d_gx = np.empty((batch.n_rows, 3 * H), dtype=h_ext.dtype)
        d_gh = np.empty((batch.n_rows, 3 * H), dtype=h_ext.dtype)
        dh = _zeros_or_copy(d_hn, (batch.batch, H), h_ext.dtype)
        for t in reversed(list(_steps(batch, cache.reverse))):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            if d_out is not None:
                dh[:b] += d_out[rows]
            g = rzn[rows]
            r, z, n = g[:, :H], g[:, H : 2 * H], g[:, 2 * H :]
            dh_t = dh[:b]
            d_r, d_z, d_n = (d_gx[rows, i * H : (i + 1) * H] for i in range(3))
            # n: through tanh
            np.multiply(dh_t, 1 - z, out=d_n)
            d_n *= 1 - n**2
            # z: h_t = n + z * (h_{t-1} - n)
            np.subtract(h_prev[rows], n, out=d_z)
            d_z *= dh_t
            d_z *= z * (1 - z)
            # r: n = tanh(gx_n + r * gh_n)
            np.multiply(d_n, gh_n[rows], out=d_r)
            d_r *= r * (1 - r)
            d_gh[rows, : 2 * H] = d_gx[rows, : 2 * H]
            np.multiply(d_n, r, out=d_gh[rows, 2 * H :])
            dh_t *= z
            dh_t += d_gh[rows] @ w_hh
        d_w_hh = d_gh.T @ h_prev
        d_b_hh = d_gh.sum(axis=0)
        return d_gx, d_w_hh, d_b_hh


class LSTMCell:
    """Long short-term memory cell (``cell='lstm'``), PyTorch's gate order i, f, g, o.

    Equations, per step t (``*`` is the element-wise product)::

        a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh    split into a_i, a_f, a_g, a_o
        i_t = sigmoid(a_i)    f_t = sigmoid(a_f)    g_t = tanh(a_g)    o_t = sigmoid(a_o)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)
    """

    n_gates = 4

    def forward(self, gx, batch, w_hh, b_hh, reverse=False):
        """Run the cell over a packed batch; see `ElmanCell.forward`.

        ``gx`` has shape (n_rows, 4H), ``w_hh`` (4H, H), ``b_hh`` (4H,).
        """
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        h_ext = np.zeros((batch.n_rows + 1, H), dtype=gx.dtype)
        c_ext = np.zeros((batch.n_rows + 1, H), dtype=gx.dtype)
        ifgo = np.empty((batch.n_rows, 4 * H), dtype=gx.dtype)  # activated gates
        h = np.zeros((batch.batch, H), dtype=gx.dtype)
        c = np.zeros((batch.batch, H), dtype=gx.dtype)
        for t in _steps(batch, reverse):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            a = ifgo[rows]
            np.matmul(h[:b], w_hh.T, out=a)
            a += gx[rows]
            a += b_hh
            _sigmoid(a[:, : 2 * H])
            _tanh(a[:, 2 * H : 3 * H])
            _sigmoid(a[:, 3 * H :])
            i, f, g, o = (a[:, k * H : (k + 1) * H] for k in range(4))
            c_t = c_ext[rows]
            np.multiply(f, c[:b], out=c_t)
            c_t += i * g
            c[:b] = c_t
            h_t = h_ext[rows]
            np.tanh(c_t, out=h_t)
            h_t *= o
            h[:b] = h_t
        cache = _Cache(batch, reverse, h_ext=h_ext, c_ext=c_ext, ifgo=ifgo)
        return h_ext[:-1], h, cache

    def backward(self, d_out, d_hn, cache, w_hh):
        """Gradients of the loss; see `ElmanCell.backward`."""
        batch, h_ext, c_ext, ifgo = cache.batch, cache.h_ext, cache.c_ext, cache.ifgo
        H = w_hh.shape[1]
        s, sizes = batch.step_starts, batch.batch_sizes
        previous = batch.previous_rows(cache.reverse)
        h_prev, c_prev = h_ext[previous], c_ext[previous]
        d_a = np.empty((batch.n_rows, 4 * H), dtype=h_ext.dtype)
        dh = _zeros_or_copy(d_hn, (batch.batch, H), h_ext.dtype)
        dc = np.zeros((batch.batch, H), dtype=h_ext.dtype)
        for t in reversed(list(_steps(batch, cache.reverse))):
            b, rows = sizes[t], slice(s[t], s[t + 1])
            if d_out is not None:
                dh[:b] += d_out[rows]
            i, f, g, o = (ifgo[rows, k * H : (k + 1) * H] for k in range(4))
            d_i, d_f, d_g, d_o = (d_a[rows, k * H : (k + 1) * H] for k in range(4))
            tanh_c = np.tanh(c_ext[rows])
            # h_t = o * tanh(c_t)
            np.multiply(dh[:b], tanh_c, out=d_o)
            d_o *= o * (1 - o)
            dc_t = dc[:b]
            dc_t += dh[:b] * o * (1 - tanh_c**2)
            # c_t = f * c_{t-1} + i * g
            np.multiply(dc_t, g, out=d_i)
            d_i *= i * (1 - i)
            np.multiply(dc_t, c_prev[rows], out=d_f)
            d_f *= f * (1 - f)
            np.multiply(dc_t, i, out=d_g)
            d_g *= 1 - g**2
            dc_t *= f
            np.matmul(d_a[rows], w_hh, out=dh[:b])
        d_w_hh = d_a.T @ h_prev
        d_b_hh = d_a.sum(axis=0)
        return d_a, d_w_hh, d_b_hh


CELLS = {"rnn": ElmanCell, "gru": GRUCell, "lstm": LSTMCell}


def _zeros_or_copy(a, shape, dtype):
    return np.zeros(shape, dtype=dtype) if a is None else np.array(a, dtype=dtype)
