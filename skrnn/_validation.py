"""Input checks shared by every estimator that reads numeric sequences.

scikit-learn glue: `check_sequence_array` runs scikit-learn's `check_array`
with the messages skrnn's users need (text, too many dimensions). The
conversion into `Sequences` and its own checks are the data model's
(`_sequences.py`).
"""

import numpy as np
from sklearn.utils.validation import check_array

from ._sequences import TEXT_ERROR

ACCEPTED_X = (
    "a 2-D array (n_samples, n_steps) of univariate sequences, a 3-D array "
    "(n_samples, n_steps, n_features) with trailing all-NaN steps as padding, "
    "or a list of 1-D or 2-D arrays of differing lengths"
)


def check_sequence_array(X, name, estimator=None, text_error=TEXT_ERROR):
    """X, neither ragged nor text, as a float array of 2 or 3 dimensions.

    NaN and infinity pass: the data model reads trailing all-NaN steps as
    padding and names any other NaN or infinity by sequence and step.

    Parameters
    ----------
    X : array-like
    name : str
        The estimator (or function) named in errors.
    estimator : estimator or None
        Named in scikit-learn's own messages.
    text_error : str
        The message for text, with ``{name}`` and ``{what}`` fields.

    Returns
    -------
    ndarray of float64 or float32, 2-D or 3-D
    """
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
            raise TypeError(text_error.format(name=name, what="strings")) from None
        raise
    if array.ndim > 3:
        raise ValueError(
            f"X has {array.ndim} dimensions (shape={array.shape}); {name} takes "
            f"{ACCEPTED_X}."
        )
    if array.ndim == 3 and array.shape[2] == 0:
        raise ValueError(
            f"X has steps of 0 feature(s) (shape={array.shape}); each step "
            "needs at least 1 number."
        )
    return array
