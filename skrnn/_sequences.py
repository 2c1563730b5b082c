"""The sequence data model: every accepted X becomes one ragged `Sequences`.

A `Sequences` holds n sequences flat, as scikit-learn's sparse text matrices
do: the steps of all sequences one after another plus ``offsets`` (sequence
``i`` is ``values[offsets[i]:offsets[i + 1]]``). Dense steps are rows of a 2-D
float array; one-hot steps are token ids. `pack` turns a minibatch of them
into the time-major, length-sorted layout the recurrent cells run on.

This module is free of scikit-learn: the estimator validates feature names
and widths, this module only converts and checks values.
"""

import numpy as np
import scipy.sparse

from ._one_hot_sequences import _ranges


class Sequences:
    """Ragged sequences stored flat.

    Parameters
    ----------
    values : ndarray of shape (n_steps_total, input_size) or (n_steps_total,)
        The steps of all sequences, sequence after sequence: float rows for
        dense input, integer token ids for one-hot input.
    offsets : ndarray of shape (n_sequences + 1,)
        Sequence ``i`` is ``values[offsets[i]:offsets[i + 1]]``.
    input_size : int
        Numbers per step (the one-hot width for token ids).
    one_hot : bool
        Whether ``values`` are token ids.
    dtype : dtype
        Floating dtype of the steps (for one-hot input, of the one-hot values).
    """

    def __init__(self, values, offsets, input_size, one_hot, dtype):
        self.values = values
        self.offsets = offsets
        self.input_size = input_size
        self.one_hot = one_hot
        self.dtype = np.dtype(dtype)

    def __len__(self):
        return len(self.offsets) - 1

    @property
    def lengths(self):
        return np.diff(self.offsets)

    def take(self, indices):
        """The sequences at ``indices``, in that order, as a new `Sequences`."""
        indices = np.asarray(indices, dtype=np.intp)
        starts = self.offsets[:-1][indices]
        lengths = self.lengths[indices]
        offsets = np.zeros(len(indices) + 1, dtype=np.intp)
        np.cumsum(lengths, out=offsets[1:])
        steps = _ranges(starts, lengths)
        return Sequences(
            self.values[steps], offsets, self.input_size, self.one_hot, self.dtype
        )

    def keys(self):
        """A 64-bit hash of each sequence's content (values and their order).

        Equal sequences get equal keys; dropout masks are drawn from them so
        that a sequence's noise does not depend on its minibatch.
        """
        values = self.values
        if self.one_hot:
            bits = values.astype(np.uint64)
        else:
            bits = values.astype(np.float64).view(np.uint64)
        # one column per number of a step (ids: one); an X of empty
        # sequences only has no rows to infer it from
        bits = bits.reshape(len(values), values.shape[1] if values.ndim == 2 else 1)
        lengths = self.lengths
        step = np.arange(len(bits), dtype=np.uint64) - np.repeat(
            self.offsets[:-1], lengths
        ).astype(np.uint64)
        width = np.uint64(bits.shape[1])
        place = step[:, None] * width + np.arange(bits.shape[1], dtype=np.uint64)
        mixed = splitmix64(bits ^ splitmix64(place + np.uint64(0x632BE59BD9B4E019)))
        per_step = np.bitwise_xor.reduce(mixed, axis=1) if bits.shape[1] > 1 else mixed[:, 0]
        sums = np.zeros(len(self), dtype=np.uint64)
        nonempty = lengths > 0
        if per_step.size:
            sums[nonempty] = np.add.reduceat(per_step, self.offsets[:-1][nonempty])
        return splitmix64(sums ^ splitmix64(lengths.astype(np.uint64)))

    def astype(self, dtype):
        """The same sequences with float steps of ``dtype`` (ids untouched)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        values = self.values if self.one_hot else self.values.astype(dtype)
        return Sequences(values, self.offsets, self.input_size, self.one_hot, dtype)


def splitmix64(x, out=None):
    """The SplitMix64 finalizer, element-wise on a uint64 array (wrapping).

    Into ``out`` (a uint64 array of x's shape, which may be ``x`` itself) if
    given: then one temporary array is made instead of a dozen.
    """
    x = np.asarray(x, dtype=np.uint64)
    if out is None:
        out = np.empty(x.shape, dtype=np.uint64)
    shifted = np.empty(x.shape, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping is the point
        np.add(x, np.uint64(0x9E3779B97F4A7C15), out=out)
        for shift, multiplier in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            np.right_shift(out, np.uint64(shift), out=shifted)
            out ^= shifted
            out *= np.uint64(multiplier)
        np.right_shift(out, np.uint64(31), out=shifted)
        out ^= shifted
    return out[()] if out.ndim == 0 else out


# --------------------------------------------------------------------------
# Conversion of every accepted X
# --------------------------------------------------------------------------


def is_text(X):
    """Whether X looks like text: a string or a collection of strings."""
    if isinstance(X, (str, bytes)):
        return True
    if isinstance(X, np.ndarray):
        if X.dtype.kind in "USO" and X.size:
            if X.dtype.kind in "US":
                return True
            first = X.flat[0]
            return isinstance(first, (str, bytes))
        return False
    if isinstance(X, (list, tuple)) and len(X):
        first = X[0]
        if isinstance(first, (str, bytes)):
            return True
        if isinstance(first, (list, tuple)) and len(first):
            return isinstance(first[0], (str, bytes))
    return False


def is_ragged(X):
    """Whether X is a collection of per-sequence arrays (not one array)."""
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1 and X.size > 0 and all(
            isinstance(x, (np.ndarray, list, tuple)) for x in X
        )
    if isinstance(X, (list, tuple)) and len(X):
        if any(isinstance(x, np.ndarray) for x in X):
            return True
        # A list of lists of unequal lengths cannot be one array.
        if all(isinstance(x, (list, tuple)) for x in X):
            return len({_nested_shape(x) for x in X}) > 1
    return False


def _nested_shape(x):
    shape = []
    while isinstance(x, (list, tuple)):
        shape.append(len(x))
        if not len(x):
            break
        x = x[0]
    return tuple(shape)


def from_one_hot(X):
    """`Sequences` viewing the ids of a `OneHotSequences` (no copy)."""
    return Sequences(
        np.asarray(X.ids, dtype=np.intp),
        np.asarray(X.offsets, dtype=np.intp),
        int(X.n_token_slots),
        True,
        X.dtype if np.dtype(X.dtype) == np.float32 else np.float64,
    )


def from_padded(X):
    """`Sequences` from a float array (n, T) or (n, T, F).

    Trailing steps that are entirely NaN are padding; NaN elsewhere and
    infinity anywhere are errors.
    """
    if X.ndim == 2:
        X = X[:, :, np.newaxis]
    n, T, F = X.shape
    lengths = np.full(n, T, dtype=np.intp)
    finite = np.isfinite(X)
    if not finite.all():
        lengths = _lengths_without_padding(X, finite)
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    if (lengths == T).all():
        values = X.reshape(n * T, F)
    else:
        values = X[np.arange(T) < lengths[:, np.newaxis]]
    return Sequences(np.ascontiguousarray(values), offsets, F, False, X.dtype)


def _lengths_without_padding(X, finite, first_index=0):
    """Lengths of the rows of X (n, T, F) once trailing all-NaN steps are cut.

    Errors name row i of X as sequence ``first_index + i``.
    """
    infinite = np.isinf(X)
    if infinite.any():
        i, t, _ = np.argwhere(infinite)[0]
        raise ValueError(
            f"Input X contains infinity (inf) in sequence {first_index + i} at "
            f"step {t}. "
            "Sequences must hold finite numbers; replace or drop those values."
        )
    nan_step = np.isnan(X)
    all_nan_step = nan_step.all(axis=2)
    any_nan_step = nan_step.any(axis=2)
    n, T, _ = X.shape
    # Trailing padding: the run of all-NaN steps at the end of each row.
    padding = np.cumprod(all_nan_step[:, ::-1], axis=1).sum(axis=1)
    lengths = (T - padding).astype(np.intp)
    inside = any_nan_step & (np.arange(T) < lengths[:, np.newaxis])
    if inside.any():
        i, t = np.argwhere(inside)[0]
        raise ValueError(
            f"Input X contains NaN inside sequence {first_index + i} at step "
            f"{t}. Only steps "
            "that are entirely NaN at the end of a sequence are read as "
            "padding; impute or drop missing values inside a sequence."
        )
    return lengths


def from_ragged(X, name="The estimator"):
    """`Sequences` from a collection of 1-D (univariate) or 2-D arrays.

    Trailing all-NaN steps are cut as in `from_padded`, so a padded row given
    alone means what it means inside an array. Text is refused before this
    (`skrnn._validation.check_sequences`); ``name`` is the estimator named
    in errors.
    """
    arrays = []
    for i, x in enumerate(X):
        if isinstance(x, (str, bytes)) or is_text(x):
            raise TypeError(f"Sequence {i} of X holds strings; {name} reads numbers.")
        try:
            a = np.asarray(x)
        except ValueError as exc:
            raise ValueError(
                f"Sequence {i} of X is not a rectangular array of numbers: {exc}"
            ) from None
        if a.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: sequence {i} is complex.")
        if a.dtype.kind not in "biuf":
            try:
                a = a.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"Sequence {i} of X does not hold numbers: {exc}"
                ) from None
        if a.ndim == 1:
            a = a[:, np.newaxis]
        elif a.ndim != 2:
            raise ValueError(
                f"Sequence {i} of X has {a.ndim} dimensions; each sequence must "
                "be 1-D (one number per step) or 2-D (n_steps, n_features)."
            )
        arrays.append(a)
    widths = {a.shape[1] for a in arrays if a.shape[0]}
    if len(widths) > 1:
        found = sorted(widths)
        raise ValueError(
            f"The sequences in X have steps of different widths {found}; every "
            "step of every sequence must hold the same number of features."
        )
    width = widths.pop() if widths else max((a.shape[1] for a in arrays), default=1)
    if width == 0:
        raise ValueError(
            "The sequences in X have steps of 0 feature(s); each step needs at "
            "least 1 number."
        )
    if not arrays:
        raise ValueError("X holds 0 sequences; at least 1 is required.")
    float32 = all(a.dtype == np.float32 for a in arrays)
    dtype = np.float32 if float32 else np.float64
    values = np.zeros((0, width), dtype=dtype)
    lengths = np.zeros(len(arrays), dtype=np.intp)
    parts = []
    for i, a in enumerate(arrays):
        if not a.shape[0]:
            continue
        a = a.astype(dtype, copy=False)
        finite = np.isfinite(a)
        if not finite.all():
            (length,) = _lengths_without_padding(
                a[np.newaxis], finite[np.newaxis], first_index=i
            )
            a = a[:length]
        lengths[i] = a.shape[0]
        parts.append(a)
    if parts:
        values = np.concatenate(parts, axis=0)
    offsets = np.zeros(len(arrays) + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    return Sequences(values, offsets, width, False, dtype)


# --------------------------------------------------------------------------
# Packing into time-major, length-sorted minibatches
# --------------------------------------------------------------------------


class PackedBatch:
    """A minibatch sorted by decreasing length and laid out time-major.

    Row ``j`` of the batch is sequence ``order[j]`` of the `Sequences` it was
    packed from; ``lengths`` is non-increasing. Step ``t`` works on the first
    ``batch_sizes[t]`` rows, stored at packed rows
    ``step_starts[t]:step_starts[t + 1]`` (the layout of torch's
    ``PackedSequence``), so no arithmetic is spent on padding.

    Attributes
    ----------
    inputs : ndarray of shape (n_rows, input_size) or (n_rows,)
        The steps in packed order: float rows, or token ids for one-hot input.
    one_hot : bool
    input_size : int
    order : ndarray of shape (batch,)
    lengths : ndarray of shape (batch,)
    batch_sizes : ndarray of shape (n_steps,)
    step_starts : ndarray of shape (n_steps + 1,)
    row_of : ndarray of shape (n_rows,)
        The batch row (0 .. batch - 1) of every packed row.
    """

    def __init__(self, inputs, one_hot, input_size, order, lengths, batch_sizes):
        self.inputs = inputs
        self.one_hot = one_hot
        self.input_size = input_size
        self.order = order
        self.lengths = lengths
        self.batch_sizes = batch_sizes
        self.step_starts = np.zeros(len(batch_sizes) + 1, dtype=np.intp)
        np.cumsum(batch_sizes, out=self.step_starts[1:])
        self.row_of = _ranges(np.zeros_like(batch_sizes), batch_sizes)
        self._memo = {}  # index arrays computed once per batch, shared by the cells

    @property
    def batch(self):
        return len(self.order)

    @property
    def n_rows(self):
        return int(self.step_starts[-1])

    @property
    def n_steps(self):
        return len(self.batch_sizes)

    def previous_rows(self, reverse):
        """Packed row of each row's previous step, ``n_rows`` for the initial state.

        Going forward the state before step t of row j is its output at step
        t - 1; going backward (``reverse``), at step t + 1.
        """
        key = ("previous", bool(reverse))
        if key not in self._memo:
            self._memo[key] = self._previous_rows(reverse)
        return self._memo[key]

    def _previous_rows(self, reverse):
        n_rows = self.n_rows
        previous = np.full(n_rows, n_rows, dtype=np.intp)
        step = np.repeat(np.arange(self.n_steps), self.batch_sizes)
        j = self.row_of
        if not reverse:
            has = step > 0
            previous[has] = self.step_starts[step[has] - 1] + j[has]
        else:
            nxt = np.minimum(step + 1, self.n_steps - 1)
            has = (step + 1 < self.n_steps) & (j < self.batch_sizes[nxt])
            previous[has] = self.step_starts[step[has] + 1] + j[has]
        return previous

    def token_groups(self, dtype):
        """(tokens, S) for one-hot input: the distinct token ids of the batch
        (sorted) and the sparse (n_tokens, n_rows) CSR matrix of ones with
        ``S[u, r] = 1`` where packed row r holds token ``tokens[u]``; so
        ``S @ rows`` sums ``rows`` per token: the scatter-add of the
        embedding's gradient, as one sparse product."""
        key = ("tokens", np.dtype(dtype))
        if key not in self._memo:
            order = np.argsort(self.inputs, kind="stable")
            sorted_ids = self.inputs[order]
            first = np.r_[True, sorted_ids[1:] != sorted_ids[:-1]][: len(sorted_ids)]
            starts = np.flatnonzero(first)
            indptr = np.r_[starts, len(order)].astype(np.intp)
            S = scipy.sparse.csr_matrix(
                (np.ones(len(order), dtype=dtype), order, indptr),
                shape=(len(starts), self.n_rows),
            )
            self._memo[key] = sorted_ids[starts], S
        return self._memo[key]

    def token_index(self):
        """(tokens, index) for one-hot input: the distinct token ids of the
        batch (sorted, as in `token_groups`) and, for each packed row, the
        position of its token in ``tokens``."""
        if "token_index" not in self._memo:
            tokens, index = np.unique(self.inputs, return_inverse=True)
            self._memo["token_index"] = tokens, index.ravel()
        return self._memo["token_index"]

    def last_rows(self):
        """Packed row of each sequence's last step (-1 for empty sequences)."""
        last = np.full(self.batch, -1, dtype=np.intp)
        nonempty = self.lengths > 0
        t = self.lengths[nonempty] - 1
        last[nonempty] = self.step_starts[t] + np.flatnonzero(nonempty)
        return last


def pack(sequences, indices):
    """Pack ``sequences[indices]`` into a `PackedBatch`.

    The sort by length is stable, so equal lengths keep the order of
    ``indices``.
    """
    indices = np.asarray(indices, dtype=np.intp)
    lengths = sequences.lengths[indices]
    sort = np.argsort(-lengths, kind="stable")
    order = indices[sort]
    lengths = lengths[sort]
    n_steps = int(lengths[0]) if len(lengths) else 0
    # batch_sizes[t]: how many sequences are longer than t.
    counts = np.bincount(lengths, minlength=n_steps + 1)
    batch_sizes = (len(lengths) - np.cumsum(counts)[:n_steps]).astype(np.intp)
    starts = sequences.offsets[:-1][order]
    step = np.repeat(np.arange(n_steps), batch_sizes)
    row = _ranges(np.zeros_like(batch_sizes), batch_sizes)
    source = starts[row] + step
    inputs = sequences.values[source]
    return PackedBatch(
        inputs, sequences.one_hot, sequences.input_size, order, lengths, batch_sizes
    )


def length_buckets(order, lengths, batch_size, n_batches, rng=None):
    """``order`` regrouped so that minibatches hold sequences of similar length.

    ``order`` is cut into chunks of ``n_batches * batch_size`` sequences; each
    chunk is sorted by length (stably) and cut into minibatches of
    ``batch_size``; with ``rng`` the full minibatches of a chunk are then
    visited in random order (a short last one stays last, so that cutting
    the result every ``batch_size`` gives these minibatches back).

    Parameters
    ----------
    order : ndarray of int
        Sequence indices in training order.
    lengths : ndarray of int
        Length of every sequence (indexed by the values of ``order``).
    batch_size, n_batches : int
    rng : numpy.random.RandomState or None

    Returns
    -------
    ndarray of int
        A permutation of ``order``.
    """
    order = np.asarray(order, dtype=np.intp)
    chunk = batch_size * n_batches
    parts = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        n_full = len(part) // batch_size
        if rng is not None and n_full > 1:
            full = part[: n_full * batch_size].reshape(n_full, batch_size)
            part = np.concatenate(
                [full[rng.permutation(n_full)].ravel(), part[n_full * batch_size :]]
            )
        parts.append(part)
    return np.concatenate(parts) if parts else order
