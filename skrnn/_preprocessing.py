"""Preprocessing of numeric sequences: `SequenceScaler` and `SequenceWindows`.

Both take every numeric form of X that `RNNClassifier` takes (a 2-D array of
univariate sequences, a NaN-padded 3-D array, a list of per-sequence arrays)
and give the result back in the form they were given, so that they slot into
a Pipeline in front of the classifier. The conversion and its errors are the
data model's (`_sequences.py`); this module only decides what to do with the
steps and how to hand them back.
"""

import math
from numbers import Integral

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_n_features,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._one_hot_sequences import OneHotSequences, _ranges
from ._sequences import from_padded, from_ragged, is_ragged, is_text
from ._validation import check_sequence_array

# The data model's TEXT_ERROR, with advice that fits a preprocessing step:
# TEXT_ERROR tells to put OneHotSequenceTransformer in front of the estimator
# it names, which for these transformers would end in the OneHotSequences
# error below.
TEXT_ERROR = (
    "{name} takes sequences of numbers, but got text ({what}). Text needs no "
    "scaling or windowing: OneHotSequenceTransformer turns sentences into "
    "one-hot token sequences for the classifier, as in "
    "make_pipeline(OneHotSequenceTransformer(), RNNClassifier())."
)

# --------------------------------------------------------------------------
# Input: every numeric X form into `Sequences`, remembering the form
# --------------------------------------------------------------------------


class _Form:
    """How X was given, so that a result can be handed back the same way.

    ``kind`` is ``'table'`` (2-D array: one univariate sequence per row),
    ``'padded'`` (3-D array, trailing all-NaN steps are padding) or
    ``'ragged'`` (list, tuple or 1-D object array of per-sequence arrays).
    For arrays, ``shape`` is the validated array's; for ragged input,
    ``ndims`` and ``rows`` are each item's number of dimensions and of rows
    (trailing NaN rows included) and ``object_array`` whether the items came
    in a 1-D object array.
    """

    def __init__(self, kind, shape=None, ndims=None, rows=None, object_array=False):
        self.kind = kind
        self.shape = shape
        self.ndims = ndims
        self.rows = rows
        self.object_array = object_array

    def container(self, items):
        """``items`` (a list of arrays) in the container X came in."""
        if not self.object_array:
            return items
        out = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):  # item by item: no broadcasting
            out[i] = item
        return out


def _check_sequences(estimator, X, *, reset, check_names=True):
    """Validate numeric sequences X; return ``(sequences, form, array)``.

    ``array`` is the validated float array for 2-D and 3-D input (None for
    ragged input). With ``reset=False`` a 2-D X is checked against
    ``n_features_in_`` (and, with ``check_names``, ``feature_names_in_``)
    with scikit-learn's messages, and every X against
    ``n_step_features_in_``. With ``reset=True`` nothing is set here: the
    caller sets the fitted attributes once all the work succeeded
    (`_set_table_attributes`).
    """
    name = type(estimator).__name__
    if isinstance(X, OneHotSequences):
        raise TypeError(
            f"{name} is for numeric sequences (2-D or 3-D arrays, lists of "
            "arrays), not OneHotSequences: one-hot token vectors need no "
            "scaling or windowing. Give OneHotSequenceTransformer's output "
            "straight to the classifier: make_pipeline("
            "OneHotSequenceTransformer(), RNNClassifier())."
        )
    if isinstance(X, (list, tuple)) and not len(X):
        raise ValueError(
            "X is empty: found 0 sequences, while a minimum of 1 is required."
        )
    if is_text(X):
        what = "a string" if isinstance(X, (str, bytes)) else "strings"
        raise TypeError(TEXT_ERROR.format(name=name, what=what))
    if sparse.issparse(X):
        check_array(X, accept_sparse=False, estimator=estimator)  # its error
    if is_ragged(X):
        for i, x in enumerate(X):  # before from_ragged, for this advice
            if isinstance(x, (str, bytes)) or is_text(x):
                what = f"sequence {i} holds strings"
                raise TypeError(TEXT_ERROR.format(name=name, what=what))
        object_array = isinstance(X, np.ndarray)
        sequences = from_ragged(X, name=name)
        form = _Form(
            "ragged",
            ndims=[np.ndim(x) for x in X],
            rows=[len(x) for x in X],
            object_array=object_array,
        )
        array = None
    else:
        array = check_sequence_array(X, name, estimator, text_error=TEXT_ERROR)
        if array.ndim == 2 and not reset:
            if check_names:
                validate_data(estimator, X, reset=False, skip_check_array=True)
            else:
                _check_n_features(estimator, array, reset=False)
        sequences = from_padded(array)
        form = _Form("table" if array.ndim == 2 else "padded", shape=array.shape)
    if not reset and sequences.input_size != estimator.n_step_features_in_:
        raise ValueError(
            f"X has steps of {sequences.input_size} feature(s), but {name} "
            f"was fitted on steps of {estimator.n_step_features_in_} "
            "feature(s) (n_step_features_in_)."
        )
    return sequences, form, array


def _set_table_attributes(estimator, X, form):
    """``n_features_in_`` (and ``feature_names_in_``) for 2-D X, as
    scikit-learn sets them; for other forms, remove them: a sequence
    transformer takes any number of steps."""
    if form.kind == "table":
        validate_data(estimator, X, reset=True, skip_check_array=True)
    else:
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attribute):
                delattr(estimator, attribute)


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
    mean_ : ndarray of shape (n_step_features_in_,)
        Mean of each step feature over the real steps seen in fit (always
        computed; subtracted only with ``with_mean=True``).

    var_ : ndarray of shape (n_step_features_in_,)
        Variance (ddof=0) of each step feature over the same steps (always
        computed).

    scale_ : ndarray of shape (n_step_features_in_,) or None
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
    fitting at once (up to rounding).

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
        if n_new == 0:
            mean, var = self.mean_, self.var_
        else:
            mean_new = values.mean(axis=0)
            m2_new = ((values - mean_new) ** 2).sum(axis=0)
            if n_old == 0:
                mean, m2 = mean_new, m2_new
            else:
                # Chan, Golub and LeVeque's pairwise update of mean and
                # sum of squared deviations.
                n = n_old + n_new
                delta = mean_new - self.mean_
                mean = self.mean_ + delta * (n_new / n)
                m2 = self.var_ * n_old + m2_new + delta**2 * (n_old * n_new / n)
            var = m2 / (n_old + n_new)
        n_seen = n_old + n_new
        if self.with_std:
            # A constant feature's variance may come out as a tiny positive
            # number; below this bound on the rounding error it counts as
            # zero (scikit-learn's _is_constant_feature).
            eps = np.finfo(np.float64).eps
            constant = var <= n_seen * eps * var + (n_seen * mean * eps) ** 2
            scale = np.sqrt(var)
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
    as many steps.

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
        Steps per window. Give it, or ``n_windows``.

    stride : int or None, default=None
        Steps from the start of one window to the start of the next; None
        means the window size (windows side by side). Smaller makes
        overlapping windows; larger skips steps between windows.

    n_windows : int or None, default=None
        Instead of ``size``: the window size is learned in `fit` as
        ``ceil(median training length / n_windows)``, so that a sequence of
        the median length becomes about ``n_windows`` steps, whatever the
        length of the series. The documented time-series configuration uses
        ``n_windows=12``.

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

    With ``n_windows``, the size follows the length of the training series:

    >>> long = np.arange(120.0).reshape(1, 120)
    >>> windows = SequenceWindows(n_windows=12).fit(long)
    >>> windows.size_, windows.transform(long).shape
    (10, (1, 12, 10))
    """

    _parameter_constraints: dict = {
        "size": [Interval(Integral, 1, None, closed="left"), None],
        "stride": [Interval(Integral, 1, None, closed="left"), None],
        "n_windows": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, size=None, *, stride=None, n_windows=None):
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
        if (self.size is None) == (self.n_windows is None):
            raise ValueError(
                "SequenceWindows needs the window size: give size (steps per "
                "window) or n_windows (windows per sequence of the median "
                f"training length), not both; got size={self.size!r}, "
                f"n_windows={self.n_windows!r}."
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
