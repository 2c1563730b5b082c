"""Language-model pretraining of a classifier's recurrent layers and embedding.

The glue of ``RNNClassifier(pretraining=...)``: which samples are labelled
(y == -1 marks the unlabelled ones), which language models to train or
take, and which of their weights initialise which of the classifier's.
No arithmetic: the language models train themselves (`RNNLanguageModel`).
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, column_or_1d

from ._language_model import RNNLanguageModel
from ._one_hot_sequences import OneHotSequences

# the parameters a language model given as ``pretraining`` must share with
# the classifier (they make the layers it hands over)
ARCHITECTURE = ("cell", "hidden_size", "num_layers", "embedding_size", "nonlinearity")

# the parameters an int ``pretraining`` hands to its language models
SHARED_WITH_LANGUAGE_MODEL = ARCHITECTURE + (
    "dropout", "input_dropout", "solver", "learning_rate", "momentum",
    "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "alpha",
    "max_grad_norm", "batch_size", "shuffle", "verbose",
)


def partial_fit_available(estimator):
    """Refuse ``partial_fit`` while ``pretraining`` is set (`available_if`)."""
    if estimator.pretraining is not None:
        raise AttributeError(
            "partial_fit is not available with pretraining="
            f"{estimator.pretraining!r}: pretraining trains a language model on "
            "the whole training data before the classifier's first epoch, "
            "which a chunk at a time cannot do. fit with pretraining, then "
            "set_params(pretraining=None) to go on with partial_fit."
        )
    return True


def labelled_samples(estimator, sequences, y, sample_weight, continuing):
    """``(mask, y)``: y as an array and which of its samples are labelled
    (y != -1), after every check of the pretraining options, before any work.
    """
    name = type(estimator).__name__
    if not sequences.one_hot:
        raise ValueError(
            f"pretraining={estimator.pretraining!r} needs token sequences (the "
            "OneHotSequences of OneHotSequenceTransformer): it trains a "
            "language model, which predicts the next token, and X holds "
            "numeric sequences. Set pretraining=None."
        )
    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    y = column_or_1d(y, warn=True)
    if y.dtype.kind in "iuf":
        unlabelled = y == -1
    elif y.dtype.kind == "O":
        unlabelled = np.array(
            [isinstance(v, (Integral, Real)) and not isinstance(v, bool)
             and v == -1 for v in y],
            dtype=bool,
        )
    else:
        unlabelled = np.zeros(len(y), dtype=bool)
    labelled = ~unlabelled
    if not labelled.any():
        raise ValueError(
            f"Every sample is unlabelled (y == -1). {name} needs labelled "
            "samples of at least 2 classes; with pretraining, y == -1 marks "
            "the samples that only the language model reads."
        )
    if not (sample_weight[labelled] > 0).any():
        raise ValueError(
            f"Every labelled sample (y != -1) has sample_weight 0; {name} needs "
            "labelled samples of at least 2 classes with positive sample_weight."
        )
    if not continuing:
        _check_model(estimator, sequences.input_size)
    return labelled, y


def _check_model(estimator, input_size):
    """A language model given as ``pretraining`` must fit the classifier."""
    lm = estimator.pretraining
    if not isinstance(lm, RNNLanguageModel):
        return
    for name in ARCHITECTURE:
        if name == "nonlinearity" and estimator.cell != "rnn":
            continue
        if getattr(lm, name) != getattr(estimator, name):
            raise ValueError(
                f"The language model given as pretraining has {name}="
                f"{getattr(lm, name)!r}, but the classifier has {name}="
                f"{getattr(estimator, name)!r}: its layers can only initialise "
                f"a classifier of the same {', '.join(ARCHITECTURE[:-1])} "
                "(and nonlinearity for cell='rnn')."
            )
    if hasattr(lm, "weights_") and lm.input_size_ != input_size:
        raise ValueError(
            f"The fitted language model given as pretraining was fitted on "
            f"{lm.input_size_} token slots (input_size_), but X has "
            f"{input_size}: both must come from the same "
            "OneHotSequenceTransformer. Fit the transformer on the "
            "labelled and unlabelled sentences together, or give an "
            "unfitted RNNLanguageModel to train on X."
        )


def _language_models(estimator, rng):
    """The unfitted language model(s) an int or an unfitted ``pretraining``
    trains, forward first (one per direction)."""
    if isinstance(estimator.pretraining, RNNLanguageModel):
        lm = clone(estimator.pretraining)
    else:
        # one seed for both directions: the two models start from the
        # same draw (the same embedding, which they then share)
        lm = RNNLanguageModel(
            **{name: getattr(estimator, name) for name in SHARED_WITH_LANGUAGE_MODEL},
            max_iter=estimator.pretraining,
            random_state=int(rng.randint(2**31 - 1)),
        )
        if estimator.solver == "lbfgs":  # not a language model's solver
            lm.set_params(solver="adam", learning_rate=0.001)
    return [lm, clone(lm)] if estimator.bidirectional else [lm]


def pretrain(estimator, layout, params, data, rng):
    """``params`` with the recurrent layers and embedding of the language
    model(s) (`pretrained_weights`), and the fitted attribute
    ``pretraining_loss_``. ``data.pretraining`` holds every sequence and its
    sample weight (None: no pretraining)."""
    if data.pretraining is None:
        return params, {"pretraining_loss_": None}
    if hasattr(estimator.pretraining, "weights_"):  # fitted: used as it is
        models = [estimator.pretraining]
    else:
        sequences, sample_weight = data.pretraining
        X = OneHotSequences(
            sequences.values, sequences.offsets, sequences.input_size,
            dtype=sequences.dtype,
        )
        models = _language_models(estimator, rng)
        with warnings.catch_warnings():
            if not isinstance(estimator.pretraining, RNNLanguageModel):
                # an int is a number of epochs, not a convergence criterion
                warnings.simplefilter("ignore", ConvergenceWarning)
            for i, lm in enumerate(models):
                lm.fit(X if i == 0 else X.reversed(), sample_weight=sample_weight)
    weights = pretrained_weights(
        models[0].weights_,
        models[1].weights_ if len(models) > 1 else None,
        num_layers=estimator.num_layers,
        bidirectional=estimator.bidirectional,
    )
    views = layout.views(params)
    for name, value in weights.items():
        views[name][...] = value
    return params, {"pretraining_loss_": [float(lm.loss_) for lm in models]}


def pretrained_weights(forward, backward=None, *, num_layers, bidirectional):
    """The classifier's parameters that language models initialise.

    Parameters
    ----------
    forward : dict of str -> ndarray
        ``weights_`` of a language model read forwards.
    backward : dict of str -> ndarray or None
        ``weights_`` of a language model read on reversed sequences, for the
        ``_reverse`` direction of a bidirectional classifier; None leaves
        that direction as it was initialized.
    num_layers : int
        The classifier's (and the language models') layers.
    bidirectional : bool
        Whether the classifier is bidirectional.

    Returns
    -------
    weights : dict of str -> ndarray
        Names of the classifier's ``weights_`` to the arrays they start from.
        Unidirectional: every recurrent layer and the embedding, under the
        same names. Bidirectional: layer 0 only (``weight_ih_l0`` ... from
        ``forward``, ``weight_ih_l0_reverse`` ... from ``backward``), since
        deeper layers of a bidirectional stack read both directions (2H
        inputs) where a language model's read H; and the embedding, which
        both directions share: the mean of the two models' embeddings when
        both are given (they start from the same draw, so each direction's
        layer reads close to what it was trained on), else the forward one.
        The output layer (``weight_out``, ``bias_out``) is never taken.
    """
    layers = 1 if bidirectional else num_layers
    weights = {}
    for k in range(layers):
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            weights[f"{kind}_l{k}"] = forward[f"{kind}_l{k}"]
            if bidirectional and backward is not None:
                weights[f"{kind}_l{k}_reverse"] = backward[f"{kind}_l{k}"]
    if "weight_embedding" in forward:
        embedding = forward["weight_embedding"]
        if bidirectional and backward is not None:
            embedding = (embedding + backward["weight_embedding"]) / 2
        weights["weight_embedding"] = embedding
    return weights
