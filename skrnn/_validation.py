"""The one input path: every X, of every estimator, transformer and `skrnn.onnx`.

scikit-learn glue, no arithmetic. `check_sequences` turns each accepted X
into the data model's `Sequences` (`_sequences.py`), detects text and odd
containers with one message template each, and sets or checks the number
of numbers per step against the fit. The helpers around it hold the
checks that every estimator shares: the empty input, ``n_features_in_``
for 2-D input, sample weights, the ``layer`` argument of
``hidden_states``.

What each caller accepts is one of three kinds:

- ``'numeric'``: numbers only (2-D and 3-D arrays, ragged lists), as the
  preprocessing transformers take;
- ``'any'``: numbers or the `OneHotSequences` of `OneHotSequenceTransformer`
  (the classifier and the regressor);
- ``'tokens'``: token sequences only, `OneHotSequences` or a 2-D array of
  integer token ids (the language model).
"""

import collections.abc
import numbers
from numbers import Integral

import numpy as np
import scipy.sparse
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_n_features, check_array, validate_data

from ._one_hot_sequences import OneHotSequences
from ._sequences import Sequences, from_one_hot, from_padded, from_ragged, is_ragged, is_text

ACCEPTED_NUMERIC = (
    "a 2-D array (n_samples, n_steps) of univariate sequences, a 3-D array "
    "(n_samples, n_steps, n_features) with trailing all-NaN steps as padding, "
    "or a list of 1-D or 2-D arrays of differing lengths"
)
ACCEPTED_TOKENS = (
    "the OneHotSequences of OneHotSequenceTransformer, or a 2-D array "
    "(n_samples, n_steps) of integer token ids (for ragged token ids, build "
    "OneHotSequences(ids, offsets, n_token_slots))"
)
ACCEPTED = {
    "numeric": ACCEPTED_NUMERIC,
    "any": f"{ACCEPTED_NUMERIC}, or the OneHotSequences of OneHotSequenceTransformer",
    "tokens": ACCEPTED_TOKENS,
}
WHAT_IT_TAKES = {
    "numeric": "sequences of numbers",
    "any": "sequences of numbers",  # tokens come from the transformer the advice names
    "tokens": "token sequences",
}

# The one message for text: ``advice`` is the estimator's (its
# ``_text_advice``), which says what to put in front of it.
TEXT_ERROR = "{name} takes {takes}, but got text ({what}). {advice}"
TEXT_ADVICE = (
    "Put OneHotSequenceTransformer in front of it to turn sentences into "
    "one-hot token sequences: make_pipeline(OneHotSequenceTransformer(), {name}())."
)

EMPTY_ERROR = "X is empty: found 0 sequences, while a minimum of 1 is required."


class Count(Interval):
    """`Interval` of ints that refuses bools, which Python counts as ints
    (``hidden_size=True`` is a mistake, not 1)."""

    def __init__(self, left, right=None, *, closed="left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val):
        return not isinstance(val, bool) and super().is_satisfied_by(val)


def check_not_empty(n_sequences):
    """Refuse an X of no sequence, with the one message for it."""
    if n_sequences == 0:
        raise ValueError(EMPTY_ERROR)


def text_error(estimator, what, kind):
    """The `TypeError` for text given to ``estimator``."""
    name = type(estimator).__name__
    advice = getattr(estimator, "_text_advice", TEXT_ADVICE).format(name=name)
    return TypeError(
        TEXT_ERROR.format(name=name, takes=WHAT_IT_TAKES[kind], what=what, advice=advice)
    )


class Form:
    """How X was given, so that a transformer can hand a result back the same way.

    ``kind`` is ``'table'`` (2-D array: one univariate sequence per row),
    ``'padded'`` (3-D array, trailing all-NaN steps are padding), ``'ragged'``
    (list, tuple or 1-D object array of per-sequence arrays) or ``'tokens'``
    (`OneHotSequences`, or a 2-D array of token ids). For arrays, ``shape`` is
    the validated array's; for ragged input, ``ndims`` and ``rows`` are each
    item's number of dimensions and of rows (trailing NaN rows included) and
    ``object_array`` whether the items came in a 1-D object array.
    """

    def __init__(self, kind, shape=None, ndims=None, rows=None, object_array=False):
        self.kind = kind
        self.shape = shape
        self.ndims = ndims
        self.rows = rows
        self.object_array = object_array

    @property
    def two_d(self):
        """Whether X was a 2-D array (which sets ``n_features_in_`` in fit)."""
        return self.shape is not None and len(self.shape) == 2

    def container(self, items):
        """``items`` (a list of arrays) in the container X came in."""
        if not self.object_array:
            return items
        out = np.empty(len(items), dtype=object)
        for i, item in enumerate(items):  # item by item: no broadcasting
            out[i] = item
        return out


def check_sequences(
    X, estimator, *, reset, kind="any", size_attribute="input_size_",
    check_names=True,
):
    """Validate X into `Sequences`; with ``reset=False``, against the fit.

    Parameters
    ----------
    X : object
        What the user gave.
    estimator : estimator
        Named in errors; read for ``n_features_in_``, ``feature_names_in_``
        and ``size_attribute`` when ``reset`` is False.
    reset : bool
        True in a fit that starts anew: nothing is checked against (or set
        on) the estimator. The caller sets the fitted attributes once its
        work succeeded (`set_table_attributes`).
    kind : {'numeric', 'any', 'tokens'}
        What the caller accepts (module docstring).
    size_attribute : str
        The fitted attribute holding the numbers per step (the token slots
        for token input), checked when ``reset`` is False.
    check_names : bool
        With ``reset=False``, check a 2-D X's feature names too (scikit-learn's
        ``validate_data``), else only its width.

    Returns
    -------
    sequences : Sequences
    form : Form
    array : ndarray or None
        The validated float array of a 2-D or 3-D numeric X, else None.
    """
    name = type(estimator).__name__
    accepted = ACCEPTED[kind]
    array = None
    if isinstance(X, OneHotSequences):
        if kind == "numeric":
            raise TypeError(
                f"{name} is for numeric sequences ({accepted}), not "
                "OneHotSequences: one-hot token vectors need no scaling or "
                "windowing. Give OneHotSequenceTransformer's output straight "
                "to the classifier: make_pipeline(OneHotSequenceTransformer(), "
                "RNNClassifier())."
            )
        check_not_empty(len(X))
        if X.n_token_slots < 1:
            raise ValueError(
                "X has 0 token slots (n_token_slots=0): there is no token to "
                "read. Fit OneHotSequenceTransformer on text that holds tokens."
            )
        sequences, form = from_one_hot(X), Form("tokens")
    elif is_text(X):
        what = "a string" if isinstance(X, (str, bytes)) else "strings"
        raise text_error(estimator, what, kind)
    else:
        _check_container(X, name, accepted)
        if kind == "tokens":
            sequences, form = _token_array(X, estimator, reset)
        elif is_ragged(X):
            for i, x in enumerate(X):
                if isinstance(x, (str, bytes)) or is_text(x):
                    raise text_error(estimator, f"sequence {i} holds strings", kind)
            sequences = from_ragged(X, name=name)
            form = Form(
                "ragged",
                ndims=[np.ndim(x) for x in X],
                rows=[len(x) for x in X],
                object_array=isinstance(X, np.ndarray),
            )
        else:
            array = _numeric_array(X, estimator, kind)
            if array.ndim == 2 and not reset:
                _check_table(estimator, X, array, check_names)
            sequences = from_padded(array)
            form = Form("table" if array.ndim == 2 else "padded", shape=array.shape)
    if not reset:
        _check_input_size(estimator, sequences, size_attribute, kind)
    return sequences, form, array


def _check_container(X, name, accepted):
    """Refuse what holds no sequences in order: sparse matrices, mappings,
    sets, iterators; and an X of no sequence."""
    if scipy.sparse.issparse(X):
        raise TypeError(
            f"{name} does not take a sparse matrix. It takes {accepted}; for "
            "token sequences use OneHotSequenceTransformer."
        )
    if isinstance(X, (collections.abc.Mapping, collections.abc.Set)):
        raise TypeError(
            f"X is a {type(X).__name__}, which holds no sequences in order. "
            f"{name} takes {accepted}."
        )
    if isinstance(X, collections.abc.Iterator):
        raise TypeError(
            f"X is an iterator ({type(X).__name__}), which can be read only "
            f"once; pass list(X). {name} takes {accepted}."
        )
    if isinstance(X, (list, tuple)) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1
    ):
        check_not_empty(len(X))


def _numeric_array(X, estimator, kind):
    """X, neither ragged nor text, as a float array of 2 or 3 dimensions.

    NaN and infinity pass: the data model reads trailing all-NaN steps as
    padding and names any other NaN or infinity by sequence and step.
    """
    name = type(estimator).__name__
    try:
        array = check_array(
            X,
            dtype=(np.float64, np.float32),
            ensure_all_finite=False,
            allow_nd=True,
            input_name="X",
            estimator=estimator,
        )
    except ValueError as exc:
        if "could not convert string" in str(exc):
            raise text_error(estimator, "strings", kind) from None
        raise
    except TypeError as exc:
        raise TypeError(
            f"{name} could not read X as numbers ({exc}). It takes {ACCEPTED[kind]}."
        ) from None
    if array.ndim > 3:
        raise ValueError(
            f"X has {array.ndim} dimensions (shape={array.shape}); {name} takes "
            f"{ACCEPTED[kind]}."
        )
    if array.ndim == 3 and array.shape[2] == 0:
        raise ValueError(
            f"X has steps of 0 feature(s) (shape={array.shape}); each step "
            "needs at least 1 number."
        )
    return array


def _check_table(estimator, X, array, check_names):
    """A 2-D X against the fit: scikit-learn's own checks and messages."""
    if check_names:
        validate_data(estimator, X, reset=False, skip_check_array=True)
    else:
        _check_n_features(estimator, array, reset=False)


def _check_input_size(estimator, sequences, size_attribute, kind):
    name = type(estimator).__name__
    fitted = getattr(estimator, size_attribute)
    if sequences.input_size == fitted:
        return
    if sequences.one_hot:
        raise ValueError(
            f"X has {sequences.input_size} token slots, but {name} was fitted "
            f"on {fitted} ({size_attribute}): transform new text with the "
            "transformer the model was fitted with."
        )
    raise ValueError(
        f"X has steps of {sequences.input_size} number(s), but {name} was "
        f"fitted on steps of {fitted} number(s) ({size_attribute})."
    )


def _token_array(X, estimator, reset):
    """`Sequences` (and their `Form`) from a 2-D array of integer token ids."""
    name = type(estimator).__name__
    try:
        array = check_array(
            X, dtype=None, ensure_all_finite=False, allow_nd=True, input_name="X"
        )
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(
                f"{name} could not read X as a 2-D array ({exc}). It takes "
                f"{ACCEPTED_TOKENS}."
            ) from None
        raise
    except TypeError as exc:
        raise TypeError(
            f"{name} could not read X as token ids ({exc}). It takes {ACCEPTED_TOKENS}."
        ) from None
    if array.ndim != 2:
        raise ValueError(
            f"X has {array.ndim} dimensions (shape={array.shape}); {name} "
            f"takes {ACCEPTED_TOKENS}."
        )
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"X holds objects that are not token ids ({exc}); {name} "
                f"takes {ACCEPTED_TOKENS}."
            ) from None
    if array.dtype.kind == "f":
        # whole numbers in a float array (as pandas makes of integer
        # columns) are token ids; any other number is not
        if not np.isfinite(array).all():
            raise ValueError(
                "Input X contains NaN or infinity; token ids are integers "
                f"in [0, n_token_slots). {name} takes {ACCEPTED_TOKENS}."
            )
        fractional = array != np.round(array)
        if fractional.any():
            i, t = np.argwhere(fractional)[0]
            raise ValueError(
                f"X holds numbers that are not token ids (X[{i}, {t}] = "
                f"{array[i, t]!r}, dtype {array.dtype}): {name} predicts "
                f"the next token, so it reads token sequences. It takes "
                f"{ACCEPTED_TOKENS}. For sequences of numbers, use RNNClassifier "
                "or RNNRegressor."
            )
    if array.dtype.kind not in "biuf":
        raise TypeError(f"X has dtype {array.dtype}; {name} takes {ACCEPTED_TOKENS}.")
    if not reset:
        validate_data(estimator, X, reset=False, skip_check_array=True)
    if array.size and array.min() < 0:
        raise ValueError(
            f"Negative values in data passed to {name}: X holds the token "
            f"id {array.min()}, and token ids are in [0, n_token_slots)."
        )
    ids = array.astype(np.intp)
    if reset:
        input_size = int(ids.max()) + 1 if ids.size else 0
    else:
        input_size = estimator.input_size_
        if ids.size and ids.max() >= input_size:
            raise ValueError(
                f"X holds the token id {ids.max()}, but {name} was fitted on "
                f"ids 0 .. {input_size - 1} (input_size_ = {input_size})."
            )
    n, T = ids.shape
    offsets = np.arange(n + 1, dtype=np.intp) * T
    sequences = Sequences(ids.ravel(), offsets, input_size, True, np.float64)
    return sequences, Form("tokens", shape=array.shape)


def set_table_attributes(estimator, X, two_d):
    """``n_features_in_`` (and ``feature_names_in_``) for a 2-D X, as
    scikit-learn sets them; for other forms, remove them: a sequence model
    reads sequences of any length."""
    if two_d:
        validate_data(estimator, X, reset=True, skip_check_array=True)
    else:
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attribute):
                delattr(estimator, attribute)


def check_sample_weight(sample_weight, n_samples):
    """Sample weights as float64: one finite, non-negative number per
    sequence, not all zero (None: all ones)."""
    if sample_weight is None:
        return np.ones(n_samples)
    sample_weight = np.asarray(sample_weight)
    if sample_weight.ndim == 0:
        sample_weight = np.full(n_samples, float(sample_weight))
    if sample_weight.ndim != 1 or len(sample_weight) != n_samples:
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape}; expected "
            f"({n_samples},), one weight per sequence."
        )
    if sample_weight.dtype.kind not in "biuf":
        raise ValueError("sample_weight must hold numbers.")
    sample_weight = sample_weight.astype(np.float64)
    if not np.isfinite(sample_weight).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (sample_weight < 0).any():
        raise ValueError("Negative values in sample_weight are not allowed.")
    if not sample_weight.sum() > 0:
        raise ValueError(
            "Sample weights must contain at least one positive value; all are zero."
        )
    return sample_weight


def check_layer(layer, num_layers):
    """Refuse a ``layer`` argument that names no layer of the network."""
    if (
        not isinstance(layer, numbers.Integral)
        or isinstance(layer, bool)
        or not -num_layers <= layer < num_layers
    ):
        raise ValueError(
            f"layer={layer!r} is not a layer of a network with "
            f"num_layers={num_layers}; use an int in [{-num_layers}, {num_layers - 1}]."
        )
