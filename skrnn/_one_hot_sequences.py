"""`OneHotSequences`: ragged one-hot token sequences, stored as token ids.

The layout is the one scikit-learn's text vectorizers use for their sparse
matrices (``j_indices`` and ``indptr`` in ``CountVectorizer._count_vocab``):
the token ids of all sequences one after another, plus ``offsets`` saying
where each sequence starts. Memory is O(total tokens), whatever the width of
the one-hot vectors.
"""

import numbers

import numpy as np


class OneHotSequences:
    """Read-only 3-D one-hot array of token sequences, stored as token ids.

    Behaves as a zero-padded array of shape ``(n_samples, longest sequence,
    n_token_slots)`` whose step ``t`` of sequence ``i`` is the one-hot vector
    of token ``ids[offsets[i] + t]``, but stores only the ids. It is what
    `OneHotSequenceTransformer.transform` returns and what ``RNNClassifier``
    reads without ever making it dense.

    Indexing follows NumPy along the first axis: ``X[i]`` is the dense
    one-hot array of sequence ``i`` (shape ``(length_i, n_token_slots)``:
    its own length, without padding); a slice, an integer array or list, or
    a boolean mask selects sequences and returns a new `OneHotSequences`, so
    scikit-learn's cross-validation splitters, ``train_test_split`` and
    ``_safe_indexing`` work on it. ``np.asarray(X)`` and `toarray` give the
    zero-padded dense copy.

    Parameters
    ----------
    ids : array-like of int, shape (n_tokens,)
        Token slot of every token, sequence after sequence. Each is in
        ``[0, n_token_slots)``.
    offsets : array-like of int, shape (n_samples + 1,)
        Non-decreasing, ``offsets[0] == 0`` and ``offsets[-1] == n_tokens``;
        sequence ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.
    n_token_slots : int
        Width of the one-hot vectors (``shape[2]``).
    dtype : float dtype, default=np.float64
        Dtype of the one-hot values (`toarray`, ``X[i]``).

    Attributes
    ----------
    ids : ndarray of np.intp, shape (n_tokens,)
        Read-only view of the token slot indices.
    offsets : ndarray of np.intp, shape (n_samples + 1,)
        Read-only view of the sequence boundaries.
    n_token_slots : int
        Width of the one-hot vectors.
    dtype : numpy.dtype
        Dtype of the one-hot values.
    lengths : ndarray of np.intp, shape (n_samples,)
        Number of tokens of each sequence.
    shape : tuple of int
        ``(n_samples, longest sequence or 0, n_token_slots)``.
    ndim : int
        Always 3.

    See Also
    --------
    OneHotSequenceTransformer : Turns sentences into `OneHotSequences`.

    Examples
    --------
    >>> from skrnn import OneHotSequences
    >>> X = OneHotSequences(ids=[2, 0, 1, 1], offsets=[0, 3, 3, 4],
    ...                     n_token_slots=4)
    >>> X
    <OneHotSequences: 3 sequences, 4 tokens, longest 3, 4 token slots, dtype float64>
    >>> X.shape
    (3, 3, 4)
    >>> X.lengths
    array([3, 0, 1])
    >>> X[0]
    array([[0., 0., 1., 0.],
           [1., 0., 0., 0.],
           [0., 1., 0., 0.]])
    >>> X[[2, 0]]
    <OneHotSequences: 2 sequences, 4 tokens, longest 3, 4 token slots, dtype float64>
    >>> X.toarray()[2]
    array([[0., 1., 0., 0.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.]])
    """

    __slots__ = ("ids", "offsets", "n_token_slots", "dtype")

    def __init__(self, ids, offsets, n_token_slots, dtype=np.float64):
        if not isinstance(n_token_slots, numbers.Integral) or isinstance(
            n_token_slots, bool
        ):
            raise TypeError(
                f"n_token_slots must be an int, got {n_token_slots!r}."
            )
        if n_token_slots < 0:
            raise ValueError(f"n_token_slots must be >= 0, got {n_token_slots}.")
        try:
            dtype = np.dtype(dtype)
        except TypeError as error:
            raise TypeError(f"dtype must be a float dtype, got {dtype!r}.") from error
        if dtype.kind != "f":
            raise ValueError(
                f"dtype must be a float dtype such as np.float64 or np.float32, "
                f"got {dtype}."
            )
        ids = _as_index_array(ids, "ids")
        offsets = _as_index_array(offsets, "offsets")
        if len(offsets) == 0 or offsets[0] != 0:
            raise ValueError(
                "offsets must start with 0 and have one more entry than there "
                f"are sequences, got {offsets[:5].tolist()}"
                + ("..." if len(offsets) > 5 else "")
                + "."
            )
        steps = np.diff(offsets)
        if steps.size and steps.min() < 0:
            i = int(np.argmax(steps < 0))
            raise ValueError(
                "offsets must be non-decreasing, but offsets[{0}] = {1} > "
                "offsets[{2}] = {3}.".format(i, offsets[i], i + 1, offsets[i + 1])
            )
        if offsets[-1] != len(ids):
            raise ValueError(
                f"offsets[-1] must equal the number of ids ({len(ids)}), "
                f"got {offsets[-1]}."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= n_token_slots):
            bad = int(np.flatnonzero((ids < 0) | (ids >= n_token_slots))[0])
            raise ValueError(
                f"ids must be in [0, n_token_slots) = [0, {n_token_slots}), "
                f"but ids[{bad}] = {ids[bad]}."
            )
        self.ids = _read_only(ids)
        self.offsets = _read_only(offsets)
        self.n_token_slots = int(n_token_slots)
        self.dtype = dtype

    # -- array-like properties ---------------------------------------------

    @property
    def lengths(self):
        """Number of tokens of each sequence, ``np.diff(offsets)``."""
        return np.diff(self.offsets)

    @property
    def shape(self):
        """``(n_samples, longest sequence (0 if none), n_token_slots)``."""
        lengths = self.lengths
        longest = int(lengths.max()) if lengths.size else 0
        return (len(self), longest, self.n_token_slots)

    @property
    def ndim(self):
        """Number of dimensions: 3."""
        return 3

    @property
    def size(self):
        """Number of elements of the dense padded array."""
        n_samples, longest, n_token_slots = self.shape
        return n_samples * longest * n_token_slots

    def __len__(self):
        return len(self.offsets) - 1

    def __repr__(self):
        n_samples, longest, n_token_slots = self.shape
        return (
            f"<OneHotSequences: {n_samples} sequences, {len(self.ids)} tokens, "
            f"longest {longest}, {n_token_slots} token slots, dtype {self.dtype}>"
        )

    # -- pickling: only the ids, offsets and two scalars --------------------

    def __reduce__(self):
        return (
            type(self),
            (self.ids, self.offsets, self.n_token_slots, self.dtype.str),
        )

    # -- indexing ------------------------------------------------------------

    def __getitem__(self, key):
        if isinstance(key, tuple):
            # scikit-learn's _safe_indexing does ``X[key, ...]``; full slices
            # of the other two axes are accepted too.
            key, *rest = key or (slice(None),)
            if len(rest) > 2 or not all(map(_selects_everything, rest)):
                raise IndexError(
                    "OneHotSequences only supports indexing along the first "
                    "axis (sequences), such as X[i], X[2:5], X[[0, 3]], "
                    "X[mask] or X[key, ...]. Use X.toarray() for other indexing."
                )
        if isinstance(key, numbers.Integral) and not isinstance(key, bool):
            return self._sequence(int(key))
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step == 1:
                stop = max(start, stop)
                return self._contiguous(start, stop)
            return self.take(np.arange(start, stop, step))
        if key is Ellipsis:
            return self
        if isinstance(key, (str, bytes)) or key is None:
            raise IndexError(
                f"OneHotSequences cannot be indexed by {key!r}: use an int, a "
                "slice, an integer array or a boolean mask."
            )
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != (len(self),):
                raise IndexError(
                    f"boolean index has shape {key.shape}, but there are "
                    f"{len(self)} sequences."
                )
            return self.take(np.flatnonzero(key))
        if key.size == 0:
            return self.take(np.zeros(0, dtype=np.intp))
        if key.dtype.kind not in "iu" or key.ndim != 1:
            raise IndexError(
                "OneHotSequences can be indexed by an int, a slice, a 1-D "
                f"integer array or a boolean mask; got an array of dtype "
                f"{key.dtype} and shape {key.shape}."
            )
        return self.take(key)

    def __iter__(self):
        for i in range(len(self)):
            yield self._sequence(i)

    def take(self, indices):
        """The sequences at ``indices``, in that order.

        Parameters
        ----------
        indices : array-like of int, shape (n_selected,)
            Sequence indices; negative ones count from the end.

        Returns
        -------
        OneHotSequences
            A new container holding copies of the selected sequences' ids.

        Examples
        --------
        >>> from skrnn import OneHotSequences
        >>> X = OneHotSequences([0, 1, 2], offsets=[0, 1, 3], n_token_slots=3)
        >>> X.take([1, 1, 0]).ids
        array([1, 2, 1, 2, 0])
        """
        n_samples = len(self)
        indices = np.asarray(indices)
        if indices.size == 0:
            indices = np.zeros(0, dtype=np.intp)
        indices = indices.astype(np.intp, casting="same_kind")
        if indices.size and (indices.min() < -n_samples or indices.max() >= n_samples):
            bad = indices[(indices < -n_samples) | (indices >= n_samples)][0]
            raise IndexError(
                f"index {bad} is out of bounds for {n_samples} sequences."
            )
        indices = np.where(indices < 0, indices + n_samples, indices)
        starts = self.offsets[:-1][indices]
        lengths = self.lengths[indices]
        offsets = np.zeros(len(indices) + 1, dtype=np.intp)
        np.cumsum(lengths, out=offsets[1:])
        positions = _ranges(starts, lengths)
        return OneHotSequences(
            self.ids[positions], offsets, self.n_token_slots, self.dtype
        )

    def reversed(self):
        """The same sequences, each with its tokens in reverse order.

        What the backward direction of a bidirectional layer reads; a
        language model fitted on them predicts each token from the tokens
        after it.

        Returns
        -------
        OneHotSequences
            A new container of the same lengths, token slots and dtype.

        Examples
        --------
        >>> from skrnn import OneHotSequences
        >>> X = OneHotSequences([0, 1, 2, 3, 4], offsets=[0, 2, 5], n_token_slots=5)
        >>> X.reversed().ids
        array([1, 0, 4, 3, 2])
        """
        lengths = self.lengths
        sequence = np.repeat(np.arange(len(lengths)), lengths)
        index = np.arange(len(self.ids))
        source = self.offsets[sequence] + self.offsets[sequence + 1] - 1 - index
        return OneHotSequences(
            self.ids[source], self.offsets, self.n_token_slots, self.dtype
        )

    def _contiguous(self, start, stop):
        """Sequences ``start:stop``, sharing this container's ids."""
        first, last = self.offsets[start], self.offsets[stop]
        return OneHotSequences(
            self.ids[first:last],
            self.offsets[start : stop + 1] - first,
            self.n_token_slots,
            self.dtype,
        )

    def _sequence(self, i):
        """Dense one-hot array (length_i, n_token_slots) of sequence ``i``."""
        n_samples = len(self)
        if not -n_samples <= i < n_samples:
            raise IndexError(
                f"index {i} is out of bounds for {n_samples} sequences."
            )
        i %= n_samples
        ids = self.ids[self.offsets[i] : self.offsets[i + 1]]
        dense = np.zeros((len(ids), self.n_token_slots), dtype=self.dtype)
        dense[np.arange(len(ids)), ids] = 1
        return dense

    # -- dense copies ---------------------------------------------------------

    def toarray(self):
        """Zero-padded dense copy.

        Returns
        -------
        ndarray of shape (n_samples, longest sequence, n_token_slots)
            One-hot vectors of the tokens; the steps after the end of a
            sequence are all zero.

        Examples
        --------
        >>> from skrnn import OneHotSequences
        >>> X = OneHotSequences([1, 0, 1], offsets=[0, 1, 3], n_token_slots=2)
        >>> X.toarray()
        array([[[0., 1.],
                [0., 0.]],
        <BLANKLINE>
               [[1., 0.],
                [0., 1.]]])
        """
        dense = np.zeros(self.shape, dtype=self.dtype)
        lengths = self.lengths
        rows = np.repeat(np.arange(len(self)), lengths)
        steps = np.arange(len(self.ids)) - np.repeat(self.offsets[:-1], lengths)
        dense[rows, steps, self.ids] = 1
        return dense

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError(
                "OneHotSequences stores token ids, so a dense array is always "
                "a new copy; np.asarray(X, copy=False) cannot be honoured."
            )
        dense = self.toarray()
        if dtype is not None:
            dense = dense.astype(dtype, copy=False)
        return dense


def _as_index_array(values, name):
    """``values`` as a 1-D np.intp array, refusing non-integer values."""
    array = np.asarray(values)
    if array.size == 0:
        array = array.reshape(-1).astype(np.intp)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {array.shape}.")
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integers, got dtype {array.dtype}.")
    return array.astype(np.intp, copy=False)


def _read_only(array):
    """A read-only view (the caller's own array keeps its flags)."""
    view = array.view()
    view.flags.writeable = False
    return view


def _selects_everything(key):
    """Whether an index of the trailing axes keeps all of it (``...``, ``:``)."""
    return key is Ellipsis or (isinstance(key, slice) and key == slice(None))


def _ranges(starts, lengths):
    """Concatenation of ``arange(s, s + n)`` for each start s and length n."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    ends = np.cumsum(lengths)
    # For each output position: its run's start plus its rank inside the run.
    run = np.repeat(np.arange(len(lengths)), lengths)
    rank = np.arange(total) - (ends - lengths)[run]
    return starts[run] + rank
