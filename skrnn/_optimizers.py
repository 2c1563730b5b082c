"""Stochastic optimizers over one flat parameter vector.

One small class per optimizer, as in scikit-learn's
``neural_network/_stochastic_optimizers.py``, with the same update rules, but
each update is a few vectorized operations on the whole flat vector (every
weight and bias of the network is a view into it), done in place.

For one-hot input the first layer's ``W_ih`` (or the embedding) is a
(n_token_slots, width) block of the flat vector whose gradient is zero but in
the rows of the tokens of the minibatch. A `RowSparseGradient` carries those
rows alone, and an optimizer's ``sparse_updates`` says what it does with them:

- ``'exact'``: a zero gradient leaves the parameter and the optimizer's state
  exactly as they are (plain SGD without momentum, Adagrad), so updating the
  rows of the minibatch alone is exactly the dense update;
- ``'lazy'``: rows outside the minibatch are left alone, although the dense
  update would move them (Adam's moments decay every step): lazy Adam, as
  TensorFlow's LazyAdam and PyTorch's SparseAdam;
- None: the optimizer needs the dense gradient (momentum, Adam).

A block of the flat vector can learn at its own rate
(`BaseOptimizer.set_block_factor`): its entries are updated with the
learning rate times a factor, on the dense and the row-sparse paths alike
(for Adam, whose step is proportional to the learning rate, the step of
those entries is multiplied by the factor; for SGD with momentum, their
velocity is in those units too).
"""

import numpy as np


class RowSparseGradient:
    """A flat gradient some of whose 2-D blocks are nonzero in a few rows only.

    The dense part lives in the flat gradient vector, as usual, except in the
    named blocks: there the gradient is ``values[name]`` in rows
    ``rows[name]`` (distinct) and zero elsewhere, and the flat vector's
    entries are not read.

    Parameters
    ----------
    size : int
        Length of the flat vector.
    blocks : dict of name -> (slice, n_columns)
        Where each sparse block sits in the flat vector, as a C-ordered
        (n_block_rows, n_columns) array.
    """

    def __init__(self, size, blocks):
        self.blocks = dict(blocks)
        self.rows = {}
        self.values = {}
        self.dense = []  # slices of the flat vector outside the blocks
        start = 0
        for where, _ in sorted(self.blocks.values(), key=lambda b: b[0].start):
            if where.start > start:
                self.dense.append(slice(start, where.start))
            start = where.stop
        if start < size:
            self.dense.append(slice(start, size))

    def set(self, name, rows, values):
        """The gradient of block ``name``: ``values`` in ``rows``, zero elsewhere."""
        self.rows[name] = rows
        self.values[name] = values

    def block(self, flat, name):
        """The 2-D view of block ``name`` of ``flat``."""
        where, n_columns = self.blocks[name]
        return flat[where].reshape(-1, n_columns)

    def squared_norm(self, grads):
        total = sum(float(np.dot(grads[d], grads[d])) for d in self.dense)
        return total + sum(float(np.vdot(v, v)) for v in self.values.values())

    def all_finite(self, grads):
        return all(_finite(grads[d]) for d in self.dense) and all(
            _finite(v) for v in self.values.values()
        )

    def scale(self, grads, factor):
        for d in self.dense:
            grads[d] *= factor
        for v in self.values.values():
            v *= factor

    def add_penalty(self, flat, factor):
        """Add the L2 penalty's gradient ``factor * w`` of the blocks' rows
        in the minibatch (the rows only); return their penalty
        ``factor / 2 * ||w_rows||^2``."""
        penalty = 0.0
        for name, rows in self.rows.items():
            w = self.block(flat, name)[rows]
            penalty += float(np.vdot(w, w))
            self.values[name] += factor * w
        return 0.5 * factor * penalty

    def toarray(self, grads):
        """The dense flat gradient (for tests)."""
        full = grads.copy()
        for name in self.blocks:
            block = self.block(full, name)
            block[...] = 0
            block[self.rows[name]] = self.values[name]
        return full


def _finite(array):
    """Whether every entry of ``array`` is finite: one dot product (NaN or
    infinite if an entry is), and the exact test only when that overflows."""
    flat = array.ravel()
    return bool(np.isfinite(np.dot(flat, flat)) or np.isfinite(flat).all())


def all_finite(grads, sparse=None):
    """Whether every entry of the gradient is finite."""
    if sparse is None:
        return _finite(grads)
    return sparse.all_finite(grads)


class BaseOptimizer:
    """Base class: holds the step size and counts the updates.

    A subclass names its state arrays (``state``, each the size of the flat
    parameter vector, created at the first update) and its scratch arrays
    (``work``: the same, but reused memory rather than state, and not saved),
    and implements ``_update(params, grads, *state, *work, learning_rate)``,
    in place on equal-shaped arrays, so that the same rule runs on the whole
    vector, on parts of it, or on rows of it, each part with its learning
    rate (``learning_rate`` times the part's factor, see
    `set_block_factor`).

    Parameters
    ----------
    learning_rate : float
    """

    state = ()
    work = ()
    sparse_updates = None
    # a dense update of at least this many entries runs in two halves, in
    # parallel when `update_params` is given a threaded map
    PARALLEL_SIZE = 2**16
    # (start, stop, factor) of each block with a learning rate of its own,
    # by start: see `set_block_factor` (a class default: none, and none in
    # optimizers saved before there were factors)
    block_factors = ()

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.t = 0

    def set_block_factor(self, where, factor):
        """Update the entries ``where`` of the flat vector with the learning
        rate times ``factor`` (for every update from now on; ``factor=1``
        returns them to the common rate). ``factor=0`` freezes them: neither
        they nor their state (momentum, moments) change, as if they were
        not there.

        ``where`` is a slice of the flat vector with a start and a stop
        (step 1), such as ``ParameterLayout.slices[name]``; it must not
        overlap another block with a factor (setting one block's factor
        again replaces it). A block of a `RowSparseGradient` must lie inside
        one block with a factor or outside all of them.
        """
        start, stop = where.start, where.stop
        if start is None or stop is None or where.step not in (None, 1):
            raise ValueError(f"where must be a slice with a start and a stop, got {where}.")
        start, stop, factor = int(start), int(stop), float(factor)
        if not 0 <= start < stop:
            raise ValueError(f"where must be a nonempty slice, got {where}.")
        if not (np.isfinite(factor) and factor >= 0):
            raise ValueError(f"factor must be a finite number >= 0, got {factor}.")
        kept = []
        for block in self.block_factors:
            if block[:2] == (start, stop):
                continue
            if block[0] < stop and start < block[1]:
                raise ValueError(
                    f"slice({start}, {stop}) overlaps the block "
                    f"slice({block[0]}, {block[1]}), which has a factor already."
                )
            kept.append(block)
        if factor != 1:
            kept.append((start, stop, factor))
        self.block_factors = tuple(sorted(kept))

    def _segments(self, start, stop):
        """``[start, stop)`` of the flat vector cut where the factors change:
        a list of (slice, learning rate); one piece, at ``learning_rate``,
        without factors."""
        learning_rate = self.learning_rate
        pieces = []
        position = start
        for first, last, factor in self.block_factors:
            first, last = max(first, start), min(last, stop)
            if first >= last:
                continue
            if first > position:
                pieces.append((slice(position, first), learning_rate))
            pieces.append((slice(first, last), learning_rate * factor))
            position = last
        if position < stop or not pieces:
            pieces.append((slice(position, stop), learning_rate))
        return pieces

    def _block_rate(self, where):
        """The learning rate of a row-sparse block at ``where`` (a slice)."""
        for first, last, factor in self.block_factors:
            if first <= where.start and where.stop <= last:
                return self.learning_rate * factor
            if first < where.stop and where.start < last:
                raise ValueError(
                    f"The row-sparse block slice({where.start}, {where.stop}) "
                    f"lies partly in the block slice({first}, {last}) with a "
                    "factor: a factor must cover a sparse block or miss it."
                )
        return self.learning_rate

    def update_params(self, params, grads, sparse=None, map_parts=map):
        """Update ``params`` in place with ``grads`` (flat arrays of one shape).

        ``sparse`` (a `RowSparseGradient`, for optimizers with
        ``sparse_updates``) replaces the gradient's entries in its blocks:
        there only the rows it holds are updated, state included.
        ``map_parts``: how the halves of a large dense update are run (the
        builtin `map`, or a threaded one: the element-wise passes of a
        vector of millions run at memory speed, which two cores double).
        Each part is cut where the learning rate's factors change
        (`set_block_factor`).
        """
        self.t += 1
        for name in self.state:
            if getattr(self, name) is None:
                setattr(self, name, np.zeros_like(params))
        state = [getattr(self, name) for name in self.state]
        if sparse is None:
            work = [self._work_array(name, params) for name in self.work]
            parts = [(0, len(params))]
            if len(params) >= self.PARALLEL_SIZE:
                half = len(params) // 2
                parts = [(0, half), (half, len(params))]

            def update(part):
                for where, learning_rate in self._segments(*part):
                    if not learning_rate:  # a frozen block (factor 0)
                        continue
                    arrays = (a[where] for a in state + work)
                    self._update(
                        params[where], grads[where], *arrays,
                        learning_rate=learning_rate,
                    )

            list(map_parts(update, parts))
            return
        if self.sparse_updates is None:
            raise ValueError(f"{type(self).__name__} needs a dense gradient.")
        # the scratch arrays: as large as the largest part, not the vector
        for part in sparse.dense:
            for where, learning_rate in self._segments(part.start, part.stop):
                if not learning_rate:
                    continue
                work = [self._work_array(name, params[where]) for name in self.work]
                arrays = [a[where] for a in state] + work
                self._update(
                    params[where], grads[where], *arrays, learning_rate=learning_rate
                )
        for name, rows in sparse.rows.items():
            learning_rate = self._block_rate(sparse.blocks[name][0])
            if not learning_rate:
                continue
            blocks = [sparse.block(a, name) for a in [params, *state]]
            selected = [block[rows] for block in blocks]  # copies
            work = [self._work_array(w, selected[0]) for w in self.work]
            self._update(
                selected[0], sparse.values[name], *selected[1:], *work,
                learning_rate=learning_rate,
            )
            for block, values in zip(blocks, selected):
                block[rows] = values

    def _work_array(self, name, like):
        """Scratch array ``name`` shaped and typed as ``like``: a view of a
        buffer reused from update to update, grown when needed."""
        buffers = self.__dict__.setdefault("_work_buffers", {})
        buffer = buffers.get(name)
        if buffer is None or buffer.size < like.size or buffer.dtype != like.dtype:
            buffer = buffers[name] = np.empty(like.size, dtype=like.dtype)
        return buffer[: like.size].reshape(like.shape)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_work_buffers", None)  # scratch memory, not state
        return state

    def _update(self, params, grads, *state, learning_rate):
        raise NotImplementedError


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    ``velocity = momentum * velocity - learning_rate * grad``, then
    ``params += velocity`` (or, with Nesterov,
    ``params += momentum * velocity - learning_rate * grad``).
    """

    def __init__(self, learning_rate, momentum=0.9, nesterov=True):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = None

    @property
    def state(self):
        return ("velocity",) if self.momentum else ()

    @property
    def sparse_updates(self):
        return None if self.momentum else "exact"

    def _update(self, params, grads, velocity=None, *, learning_rate):
        if not self.momentum:
            params -= learning_rate * grads
            return
        velocity *= self.momentum
        velocity -= learning_rate * grads
        if self.nesterov:
            params += self.momentum * velocity - learning_rate * grads
        else:
            params += velocity


class AdagradOptimizer(BaseOptimizer):
    """Adagrad: ``params -= learning_rate * grad / (sqrt(sum of grad**2) + epsilon)``."""

    state = ("sum_sq",)
    sparse_updates = "exact"

    def __init__(self, learning_rate, epsilon=1e-8):
        super().__init__(learning_rate)
        self.epsilon = epsilon
        self.sum_sq = None

    def _update(self, params, grads, sum_sq, *, learning_rate):
        sum_sq += grads**2
        params -= learning_rate * grads / (np.sqrt(sum_sq) + self.epsilon)


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma & Ba, 2014), with scikit-learn's bias-corrected step size.

    ``m = beta_1 m + (1 - beta_1) grad``, ``v = beta_2 v + (1 - beta_2) grad**2``,
    ``params -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.

    With ``lazy``, given a `RowSparseGradient`, the rows outside the
    minibatch keep their parameters and moments (lazy Adam, as TensorFlow's
    LazyAdam and PyTorch's SparseAdam); ``t`` still counts every step.
    """

    state = ("m", "v")
    work = ("scratch",)

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 lazy=False):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.lazy = lazy
        self.m = None
        self.v = None

    @property
    def sparse_updates(self):
        return "lazy" if self.lazy else None

    def _update(self, params, grads, m, v, scratch, *, learning_rate):
        # in place, through one reused scratch array: the epoch's largest
        # arrays would otherwise be fresh temporaries, whose page faults cost
        # more than the arithmetic
        m *= self.beta_1
        np.multiply(grads, 1 - self.beta_1, out=scratch)
        m += scratch
        v *= self.beta_2
        np.multiply(grads, grads, out=scratch)
        scratch *= 1 - self.beta_2
        v += scratch
        step = (
            learning_rate
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= step
        params -= scratch


def clip_grad_norm(grads, max_norm, sparse=None):
    """Scale ``grads`` in place so that its global L2 norm is at most ``max_norm``.

    ``sparse``: a `RowSparseGradient` completing ``grads``. Returns the norm
    before clipping (None when ``max_norm`` is None: then nothing is computed).
    """
    if max_norm is None:
        return None
    if sparse is None:
        norm = float(np.sqrt(np.dot(grads, grads)))
    else:
        norm = float(np.sqrt(sparse.squared_norm(grads)))
    if norm > max_norm:
        if sparse is None:
            grads *= max_norm / norm
        else:
            sparse.scale(grads, grads.dtype.type(max_norm / norm))
    return norm
