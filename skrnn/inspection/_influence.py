"""How much each token of a sequence sways the prediction.

For a classifier, the predicted class probabilities; for a regressor, the
predicted values.
"""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import StrOptions, validate_params

from .. import _inference
from .._base import BaseRNN, fitted_network
from .._sequences import Sequences, _ranges


def _split_pipeline(estimator):
    """The fitted recurrent estimator and the steps that feed it (or None)."""
    if isinstance(estimator, Pipeline):
        final = estimator[-1]
        head = estimator[:-1] if len(estimator) > 1 else None
    else:
        final, head = estimator, None
    # A recurrent estimator that predicts per sequence: not, say, a model of
    # the next token at every step.
    if not isinstance(final, BaseRNN) or not (
        is_classifier(final) or is_regressor(final)
    ):
        raise TypeError(
            "token_influence needs a fitted RNNClassifier or RNNRegressor, or a "
            f"Pipeline ending in one, got {type(final).__name__}."
        )
    return final, head


def sequences_of(estimator, X):
    """X as the recurrent estimator reads it.

    Returns ``(final, (network, params, sequences), X_read)``: the fitted
    recurrent estimator, what it computes with (`fitted_network`), and X as
    it reaches that estimator (after the Pipeline's earlier steps).
    """
    final, head = _split_pipeline(estimator)
    X_read = head.transform(X) if head is not None else X
    return final, fitted_network(final, X_read), X_read


@validate_params(
    {
        "estimator": [BaseRNN, Pipeline],
        "X": "no_validation",
        "method": [StrOptions({"occlusion", "gradient"})],
    },
    prefer_skip_nested_validation=True,
)
def token_influence(estimator, X, method="occlusion"):
    """How much each step (token) of each sequence moves the prediction.

    For a classifier, the predicted class probabilities; for a regressor,
    the predicted values.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor or Pipeline
        Fitted; a Pipeline must end in one of them (its earlier steps, such
        as `OneHotSequenceTransformer` or `SequenceScaler`, turn X into the
        sequences it reads).
    X : sentences, sequences, or OneHotSequences
        Whatever ``estimator`` predicts from.
    method : {'occlusion', 'gradient'}, default='occlusion'
        ``'occlusion'``: the prediction for the whole sequence minus the
        prediction for the sequence with the step removed (all removals are
        predicted in a few batches, no refitting). ``'gradient'``: gradient x
        input, the exact derivative of each output with respect to the
        step's input, dotted with the input (for a one-hot step, the
        derivative with respect to its token's entry), from the same
        backward pass as training.

    Returns
    -------
    influence : list of ndarray of shape (length_i, n_outputs)
        One array per sequence. For a classifier, one column per class in
        the order of ``classes_``, and positive values mean the step raises
        that class's probability. For a regressor, one column per output
        (``n_outputs_``, so 1 for a 1-D ``y``), in the units of the
        predicted value, and positive values mean the step raises the
        prediction. (For a regressor inside a
        `~sklearn.compose.TransformedTargetRegressor`, pass its fitted
        ``regressor_`` and the sequences it reads; the influence is then in
        the units of the transformed target.)

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import OneHotSequenceTransformer, RNNClassifier
    >>> from skrnn.datasets import make_questions
    >>> from skrnn.inspection import token_influence
    >>> X, y = make_questions(300, random_state=0)
    >>> model = make_pipeline(OneHotSequenceTransformer(),
    ...                       RNNClassifier(learning_rate=0.01, random_state=0))
    >>> model = model.fit(X, y)
    >>> influence = token_influence(model, ["are you good", "you are good"])
    >>> [a.shape for a in influence]
    [(3, 2), (3, 2)]
    """
    _, (network, params, sequences), _ = sequences_of(estimator, X)
    if method == "occlusion":
        flat = _occlusion(network, params, sequences)
    else:
        flat = _inference.gradient_times_input(network, params, sequences)
    return np.split(flat, sequences.offsets[1:-1])


def _occlusion(network, params, sequences):
    full = _inference.predict(network, params, sequences)
    lengths = sequences.lengths
    starts = sequences.offsets[:-1]
    # Variant (i, t): sequence i without its step t; L_i variants of length L_i - 1.
    owner = np.repeat(np.arange(len(sequences)), lengths)
    length = lengths[owner]
    removed = np.arange(len(owner)) - np.repeat(starts, lengths)
    kept_lengths = length - 1
    # Steps kept by each variant: 0 .. L-1 except the removed one.
    step = _ranges(np.zeros_like(kept_lengths), kept_lengths)
    variant = np.repeat(np.arange(len(owner)), kept_lengths)
    step = step + (step >= removed[variant])
    values = sequences.values[starts[owner[variant]] + step]
    offsets = np.zeros(len(owner) + 1, dtype=np.intp)
    np.cumsum(kept_lengths, out=offsets[1:])
    variants = Sequences(
        values, offsets, sequences.input_size, sequences.one_hot, sequences.dtype
    )
    without = _inference.predict(network, params, variants)
    return full[owner] - without


__all__ = ["token_influence"]
