"""Preprocessing of numeric sequences: `SequenceScaler` and `SequenceWindows`.

Both take every numeric form of X that `RNNClassifier` takes (a 2-D array of
univariate sequences, a NaN-padded 3-D array, a list of per-sequence arrays)
and give the result back in the form they were given, so that they slot into
a Pipeline in front of the classifier. The conversion and its errors are the
data model's (`_sequences.py`); this module only decides what to do with the
steps and how to hand them back.
"""

import math

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
)

from ._one_hot_sequences import _ranges
from ._validation import Count, check_sequences, set_table_attributes

# What the preprocessing steps say of text: it needs no scaling or windowing.
TEXT_ADVICE = (
    "Text needs no scaling or windowing: OneHotSequenceTransformer turns "
    "sentences into one-hot token sequences for the classifier, as in "
    "make_pipeline(OneHotSequenceTransformer(), RNNClassifier())."
)


def _check_sequences(estimator, X, *, reset, check_names=True):
    """Numeric sequences X validated (`skrnn._validation.check_sequences`):
    ``(sequences, form, array)``, checked against ``n_step_features_in_``
    unless ``reset``."""
    return check_sequences(
        X, estimator, reset=reset, kind="numeric",
        size_attribute="n_step_features_in_", check_names=check_names,
    )


def _set_table_attributes(estimator, X, form):
    set_table_attributes(estimator, X, form.two_d)


def _fitted_on_table(estimator):
    """Whether output columns exist: not fitted yet, or fitted on a 2-D X.

    `SequenceScaler.get_feature_names_out` (and with it scikit-learn's
    ``set_output`` wrapping) exists only then; fitted on sequences of other
    forms the output is no table, so ``set_output(transform='pandas')``
    passes it through unchanged instead of failing to make a DataFrame.
    """
    if hasattr(estimator, "n_step_features_in_") and not hasattr(
        estimator, "n_features_in_"
    ):
        raise AttributeError(
            f"get_feature_names_out is only available when {type(estimator).__name__} "
            "is fitted on a 2-D array, whose columns are its output columns; "
            "3-D arrays and lists of sequences have no columns."
        )
    return True


# --------------------------------------------------------------------------
# SequenceScaler
# --------------------------------------------------------------------------


class SequenceScaler(TransformerMixin, BaseEstimator):
    """Standardise each step feature over all real steps of all sequences.

    Learns, for each feature of a step (the last axis), the mean and the
    standard deviation over every real step of every sequence (padding
    excluded), and transforms each step to ``z = (x - mean_) / scale_``.
    Sequences of any length are scaled by the same statistics, and the
    result comes back in the form X was given: a 2-D array stays 2-D, a
    NaN-padded 3-D array stays 3-D with the same padding, and a list of
    arrays stays a list of arrays of the same shapes.

    Accepted X (as for `RNNClassifier`):

    - a 2-D array (n_samples, n_steps): one univariate sequence per row, so
      the steps have ONE feature, the number at each step. This is where
      SequenceScaler differs from `sklearn.preprocessing.StandardScaler`:
      StandardScaler gives every column (here: every time step) its own mean
      and scale, which removes any trend or level shared by the steps and
      differs between tables of other widths; SequenceScaler learns one mean
      and one scale from all the numbers and applies them to every step. As
      for every scikit-learn table, ``n_features_in_`` (the number of steps)
      is set in `fit` and another width is an error in `transform`;
    - a 3-D array (n_samples, n_steps, n_features): trailing steps that are
      entirely NaN are padding, are left out of the statistics and stay NaN;
    - a list (or 1-D object array) of 1-D (univariate) or 2-D
      (n_steps_i, n_features) arrays of differing lengths.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract ``mean_``.

    with_std : bool, default=True
        Divide by ``scale_``.

    Attributes
    ----------
    mean_ : ndarray of shape (`n_step_features_in_`,)
        Mean of each step feature over the real steps seen in fit (always
        computed; subtracted only with ``with_mean=True``).

    var_ : ndarray of shape (`n_step_features_in_`,)
        Variance (ddof=0) of each step feature over the same steps (always
        computed).

    scale_ : ndarray of shape (`n_step_features_in_`,) or None
        ``sqrt(var_)``, the divisor of `transform`, with 1 for a feature of
        zero variance; None when ``with_std=False``.

    n_step_features_in_ : int
        Features per step: 1 for a 2-D X or 1-D sequences, ``n_features``
        for a 3-D X or 2-D sequences (`RNNClassifier` calls this number
        ``input_size_``). Every X given later must have steps of this width.

    n_steps_seen_ : int
        Real (non-padding) steps the statistics were computed from;
        `partial_fit` adds to it.

    n_features_in_ : int
        Width of a 2-D X (its number of steps); only set when fitted on a
        2-D array, as scikit-learn requires of tables.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a 2-D DataFrame given to fit.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : Scales each column of a table.
    SequenceWindows : Turns runs of steps into wider steps.
    RNNClassifier : Reads the scaled sequences.

    Notes
    -----
    A feature of zero variance (the same value at every step) gets
    ``scale_ = 1``, as in StandardScaler, so it is centred but not divided
    by zero; a variance within floating-point error of zero for the number
    of steps seen counts as zero, as in StandardScaler. Statistics are
    accumulated in float64; the output is float32 for float32 input and
    float64 otherwise. `partial_fit` combines batches with Chan, Golub and
    LeVeque's pairwise update, so fitting in parts gives the statistics of
    fitting at once (up to rounding). The statistics are computed on the
    values divided by a power of two near their largest magnitude, so
    values near the float64 limit (1e300) do not overflow the sums; a
    variance that float64 cannot hold (a standard deviation above about
    1.3e154) is a ValueError that says to divide X by a constant first,
    rather than an infinite ``var_`` taken for zero variance.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceScaler
    >>> X = [np.array([1.0, 2.0, 3.0]), np.array([5.0])]  # two sequences
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([2.75]), array([1.479...]))
    >>> [x.round(2) for x in scaler.transform(X)]
    [array([-1.18, -0.51,  0.17]), array([1.52])]

    A 2-D array holds univariate sequences: one mean for all its numbers,
    where StandardScaler has one per column (per step).

    >>> X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> SequenceScaler().fit(X).mean_
    array([3.5])
    >>> from sklearn.preprocessing import StandardScaler
    >>> StandardScaler().fit(X).mean_
    array([2.5, 3.5, 4.5])
    """

    _text_advice = TEXT_ADVICE

    _parameter_constraints: dict = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the mean and scale of each step feature.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Sequences; trailing all-NaN steps of arrays are padding.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        sequences, form, _ = _check_sequences(self, X, reset=True)
        self._update(X, sequences, form, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the mean and scale with the steps of more sequences.

        The first call fits; later calls combine the new steps' statistics
        with those of the steps seen before.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Sequences, with steps of ``n_step_features_in_`` features after
            the first call.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
            The updated scaler.
        """
        first_call = not hasattr(self, "n_steps_seen_")
        sequences, form, _ = _check_sequences(self, X, reset=first_call)
        self._update(X, sequences, form, reset=first_call)
        return self

    def _update(self, X, sequences, form, reset):
        """Combine the statistics of ``sequences`` with those seen so far
        (none with ``reset``); set every fitted attribute at the end."""
        values = sequences.values.astype(np.float64, copy=False)
        n_new = values.shape[0]
        n_old = 0 if reset else self.n_steps_seen_
        if n_old + n_new == 0:
            raise ValueError(
                f"X holds no steps: every sequence is empty. {type(self).__name__} "
                "needs at least one step to learn the mean and variance of "
                "each step feature."
            )
        mean_old = None if reset else self.mean_
        var_old = None if reset else self.var_
        # Values near the float64 limit would overflow the sums (of the
        # values, of their squares). Everything is computed on the values
        # divided by a power of two c of the size of the largest magnitude
        # involved, per feature: the division is exact, so for ordinary
        # values the results are bit for bit those of unscaled arithmetic,
        # and no sum can overflow. Only the variance is scaled back by c**2,
        # which is where a result may not be representable.
        bound = np.abs(values).max(axis=0) if n_new else np.zeros(values.shape[1])
        if n_old:
            bound = np.maximum(bound, np.maximum(np.abs(mean_old), np.sqrt(var_old)))
        # A power of two in (bound / 2, bound] (0.5 for a bound of 0): the
        # scaled magnitudes are below 2 and c itself is finite.
        c = np.ldexp(1.0, np.frexp(bound)[1] - 1)
        if n_new == 0:
            mean_c, var_c = mean_old / c, var_old / c / c
        else:
            values_c = values / c
            mean_new = values_c.mean(axis=0)
            m2_new = ((values_c - mean_new) ** 2).sum(axis=0)
            if n_old == 0:
                mean_c, m2 = mean_new, m2_new
            else:
                # Chan, Golub and LeVeque's pairwise update of mean and
                # sum of squared deviations.
                n = n_old + n_new
                mean_old_c, var_old_c = mean_old / c, var_old / c / c
                delta = mean_new - mean_old_c
                mean_c = mean_old_c + delta * (n_new / n)
                m2 = var_old_c * n_old + m2_new + delta**2 * (n_old * n_new / n)
            var_c = m2 / (n_old + n_new)
        n_seen = n_old + n_new
        # A constant feature's variance may come out as a tiny positive
        # number; below this bound on the rounding error it counts as zero
        # (scikit-learn's _is_constant_feature). On the scaled statistics,
        # where the square cannot overflow.
        eps = np.finfo(np.float64).eps
        constant = var_c <= n_seen * eps * var_c + (n_seen * mean_c * eps) ** 2
        with np.errstate(over="ignore"):
            mean = mean_c * c
            var = var_c * c * c
        # The rounding noise of a constant feature near the float64 limit,
        # scaled back, may not be representable: it is zero.
        var[constant & np.isinf(var)] = 0.0
        too_large = ~(np.isfinite(var) & np.isfinite(mean))
        if too_large.any():
            largest = bound[too_large].max()
            raise ValueError(
                "The values of step feature(s) "
                f"{np.flatnonzero(too_large).tolist()} are too large to scale "
                f"(largest magnitude {largest:.3g}): their variance exceeds the "
                "largest float64 number, about 1.8e308, so SequenceScaler "
                "cannot represent it (var_). Divide X by a constant first, "
                f"for example by 1e{int(np.log10(largest))}, to bring the "
                "values to an ordinary size."
            )
        if self.with_std:
            scale = np.sqrt(var_c) * c
            scale[constant] = 1.0
        else:
            scale = None
        if reset:
            _set_table_attributes(self, X, form)
            self.n_step_features_in_ = sequences.input_size
        self.mean_ = mean
        self.var_ = var
        self.scale_ = scale
        self.n_steps_seen_ = n_seen

    def _scale_values(self, X, inverse, check_names=True):
        """``(x - mean) / scale`` (or its inverse) of every step of X, in
        X's form; padding stays NaN."""
        check_is_fitted(self)
        sequences, form, array = _check_sequences(
            self, X, reset=False, check_names=check_names
        )
        dtype = sequences.dtype
        mean = self.mean_.astype(dtype) if self.with_mean else None
        scale = self.scale_.astype(dtype) if self.with_std else None

        def apply(a):
            if inverse:
                a = a * scale if scale is not None else a.copy()
                return a + mean if mean is not None else a
            a = a - mean if mean is not None else a.copy()
            return a / scale if scale is not None else a

        if form.kind == "table":
            # (n, T) numbers of one feature; NaN padding stays NaN.
            return apply(array[:, :, np.newaxis])[:, :, 0]
        if form.kind == "padded":
            return apply(array)
        values = apply(sequences.values)
        items = []
        for i, (start, stop) in enumerate(
            zip(sequences.offsets[:-1], sequences.offsets[1:])
        ):
            item = values[start:stop]
            missing = form.rows[i] - (stop - start)
            if missing:  # the item ended in all-NaN rows: give them back
                padding = np.full((missing, item.shape[1]), np.nan, dtype)
                item = np.concatenate([item, padding])
            if form.ndims[i] == 1:
                item = item[:, 0]
            items.append(np.ascontiguousarray(item))
        return form.container(items)

    def transform(self, X):
        """Standardise every real step of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Sequences with steps of ``n_step_features_in_`` features (a 2-D
            X of the width seen in fit, if fitted on one).

        Returns
        -------
        X_new : ndarray or list of ndarray
            In the form of X: a 2-D or 3-D array of the same shape with the
            same NaN padding, or a list (a 1-D object array for one) of
            arrays of the items' shapes. float32 for float32 input, float64
            otherwise.
        """
        return self._scale_values(X, inverse=False)

    def inverse_transform(self, X):
        """Undo `transform`: ``x * scale_ + mean_`` for every real step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Scaled sequences.

        Returns
        -------
        X_original : ndarray or list of ndarray
            In the form of X, as for `transform`.
        """
        return self._scale_values(X, inverse=True, check_names=False)

    # The output of a 2-D X is a table with the input's columns, so names
    # carry over one to one (and set_output can make a DataFrame of it). 3-D
    # arrays and lists have no columns: fitted on them, the method is absent
    # (`_fitted_on_table`) rather than inventing names.
    @available_if(_fitted_on_table)
    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the input columns' (2-D X only).

        Available when fitted on a 2-D array, whose output has the same
        columns (steps) as its input.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; if None, ``feature_names_in_`` or
            ``['x0', 'x1', ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input column names.
        """
        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# --------------------------------------------------------------------------
# SequenceWindows
# --------------------------------------------------------------------------


class SequenceWindows(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):
    """Turn each run of ``size`` consecutive steps into one wider step.

    Window ``j`` of a sequence covers steps ``j * stride`` to
    ``j * stride + size - 1`` and becomes one step of ``size * n_features``
    values, step-major: ``[x_t features..., x_{t+1} features..., ...]``. A
    500-step series with ``size=10`` becomes 50 steps of 10 values: a
    recurrent network then runs 50 steps instead of 500, each seeing ten
    numbers at once, which is faster and carries its memory across a tenth
    as many steps. Without ``size`` (the default), the size is learned in
    `fit` from the median training length so that such a sequence makes
    about ``n_windows`` (12) windows; ``size``, when given, overrides
    ``n_windows``.

    Only complete windows are made. The last ``(length - size) % stride``
    steps of a sequence that do not fill a window are dropped (when
    ``stride`` divides ``length - size``, none are), and a sequence shorter
    than ``size`` becomes an empty sequence, which `RNNClassifier` predicts
    from its initial state. No values are invented: padding a partial
    window with zeros or repeated steps would feed the network steps that
    never happened, at the end of the sequence where ``pooling='last'``
    looks. To keep every step, choose a ``size`` that divides the lengths,
    or pad the sequences yourself first. A ``size`` longer than every
    sequence is an error, in `fit` and in `transform`: nothing would be
    left.

    Accepted X (as for `RNNClassifier`) and the output for each:

    - a 2-D array (n_samples, n_steps) of univariate sequences (the width is
      ``n_features_in_``, checked in `transform`) -> a 3-D array
      (n_samples, n_windows, size): windowing makes the sequences
      multivariate, one step of ``size`` numbers per window;
    - a 3-D array (n_samples, n_steps, n_features), trailing all-NaN steps
      being padding -> a 3-D array (n_samples, n_windows,
      size * n_features), NaN-padded after each sequence's last window;
    - a list (or 1-D object array) of 1-D or 2-D arrays -> a list (or 1-D
      object array) of 2-D arrays (n_windows_i, size * n_features);
      trailing all-NaN steps are padding and are not windowed.

    For arrays ``n_windows = (n_steps - size) // stride + 1`` comes from the
    array's width, so every batch of the same width gives the same shape.

    Parameters
    ----------
    size : int or None, default=None
        Steps per window. When given, it overrides ``n_windows``; when None,
        the size is learned from ``n_windows``.

    stride : int or None, default=None
        Steps from the start of one window to the start of the next; None
        means the window size (windows side by side). Smaller makes
        overlapping windows; larger skips steps between windows.

    n_windows : int or None, default=12
        Used when ``size`` is None: the window size is learned in `fit` as
        ``ceil(median training length / n_windows)`` (at least 1), so that a
        sequence of the median length becomes about ``n_windows`` steps,
        whatever the length of the series. The default 12 is what the
        documented time-series configuration uses, chosen on the
        development sets. Ignored when ``size`` is given; None is only
        allowed then.

    Attributes
    ----------
    size_ : int
        The window size: ``size``, or the one learned from ``n_windows``.

    n_step_features_in_ : int
        Features per input step (1 for a 2-D X or 1-D sequences); each
        output step has ``size * n_step_features_in_`` values.

    n_features_in_ : int
        Width of a 2-D X (its number of steps); only set when fitted on a
        2-D array, as scikit-learn requires of tables.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a 2-D DataFrame given to fit.

    See Also
    --------
    SequenceScaler : Standardises the step features.
    numpy.lib.stride_tricks.sliding_window_view : Windows of one array.

    Notes
    -----
    There is no ``get_feature_names_out``: the output is a 3-D array or a
    list of sequences, never a table with columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import SequenceWindows
    >>> X = np.arange(7.0).reshape(1, 7)   # one univariate sequence, 7 steps
    >>> SequenceWindows(3).fit_transform(X)   # step 6 fills no window
    array([[[0., 1., 2.],
            [3., 4., 5.]]])
    >>> SequenceWindows(3, stride=2).fit_transform(X)
    array([[[0., 1., 2.],
            [2., 3., 4.],
            [4., 5., 6.]]])

    Ragged multivariate sequences; the second is shorter than a window:

    >>> X = [np.array([[0, 10], [1, 11], [2, 12], [3, 13]]), np.array([[5, 15]])]
    >>> windows = SequenceWindows(2).fit_transform(X)
    >>> windows[0]
    array([[ 0., 10.,  1., 11.],
           [ 2., 12.,  3., 13.]])
    >>> windows[1].shape
    (0, 4)

    Without ``size``, the size follows the length of the training series so
    that it makes about ``n_windows`` windows (12 by default):

    >>> long = np.arange(120.0).reshape(1, 120)
    >>> windows = SequenceWindows().fit(long)
    >>> windows.size_, windows.transform(long).shape
    (10, (1, 12, 10))
    >>> SequenceWindows(n_windows=4).fit(long).size_
    30
    """

    _text_advice = TEXT_ADVICE

    _parameter_constraints: dict = {
        "size": [Count(1), None],
        "stride": [Count(1), None],
        "n_windows": [Count(1), None],
    }

    def __init__(self, size=None, *, stride=None, n_windows=12):
        self.size = size
        self.stride = stride
        self.n_windows = n_windows

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that X holds sequences a window fits in; record its widths.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Sequences; trailing all-NaN steps of arrays are padding.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceWindows
            The fitted transformer.
        """
        if self.size is None and self.n_windows is None:
            raise ValueError(
                "SequenceWindows needs the window size, but got size=None and "
                "n_windows=None. Give size (steps per window), or n_windows "
                "(windows per sequence of the median training length, "
                "default 12) to learn the size in fit; size, when given, "
                "overrides n_windows."
            )
        sequences, form, _ = _check_sequences(self, X, reset=True)
        if self.size is not None:
            size = self.size
        else:
            median = float(np.median(sequences.lengths)) if len(sequences) else 0.0
            size = max(1, math.ceil(median / self.n_windows))
        self._check_size(sequences, form, size)
        _set_table_attributes(self, X, form)
        self.n_step_features_in_ = sequences.input_size
        self.size_ = size
        return self

    def transform(self, X):
        """Turn every run of ``size`` steps of X into one step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), or list of arrays
            Sequences with steps of ``n_step_features_in_`` features (a 2-D
            X of the width seen in fit, if fitted on one).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_windows, size * n_features) \
or list of ndarray of shape (n_windows_i, size * n_features)
            A 3-D array, NaN-padded, for 2-D and 3-D X; a list (a 1-D object
            array for one) of 2-D arrays for ragged X. float32 for float32
            input, float64 otherwise.
        """
        check_is_fitted(self)
        sequences, form, _ = _check_sequences(self, X, reset=False)
        size = self.size_
        self._check_size(sequences, form, size)
        stride = size if self.stride is None else self.stride
        lengths = sequences.lengths
        n_windows = np.where(lengths >= size, (lengths - size) // stride + 1, 0)
        # Window w of sequence i starts at flat row offsets[i] + w * stride.
        rank = _ranges(np.zeros(len(lengths), dtype=np.intp), n_windows)
        owner = np.repeat(np.arange(len(lengths)), n_windows)
        starts = sequences.offsets[:-1][owner] + rank * stride
        width = size * sequences.input_size
        windows = sequences.values[starts[:, np.newaxis] + np.arange(size)]
        windows = windows.reshape(len(starts), width)  # step-major
        if form.kind == "ragged":
            ends = np.cumsum(n_windows)
            return form.container(
                [windows[end - n : end] for n, end in zip(n_windows, ends)]
            )
        T = form.shape[1]
        out = np.full(
            (len(lengths), (T - size) // stride + 1, width), np.nan, sequences.dtype
        )
        out[owner, rank] = windows
        return out

    def _check_size(self, sequences, form, size):
        longest = int(sequences.lengths.max()) if len(sequences) else 0
        if longest >= size:
            return
        message = (
            f"size={size} is longer than every sequence (longest: "
            f"{longest} step(s)), so no sequence holds a complete window. "
            "Choose a smaller size."
        )
        if form.kind == "table":
            message += (
                " In a 2-D X each row is one univariate sequence and each "
                f"column a step, so X with {form.shape[1]} feature(s) holds "
                "sequences of at most that many steps; give multivariate "
                "sequences as a 3-D array (n_samples, n_steps, n_features)."
            )
        raise ValueError(message)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
