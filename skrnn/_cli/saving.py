"""Saving a fitted model with skops, and loading one trusting only skrnn's types."""

import os

from .errors import CommandError
from .files import check_file
from .models import recurrent_estimators

# The types of skrnn that a model saved by --save may hold, which `predict`
# trusts when loading it with skops (docs/user_guide/saving.rst lists the
# first three; the others are the regressor, the optimizers of the other
# solvers and the preprocessing steps of the time-series configurations).
# Any other type that skops does not trust by itself is refused.
TRUSTED_TYPES = [
    "skrnn._classifier.RNNClassifier",
    "skrnn._optimizers.AdamOptimizer",
    "skrnn._transformer.OneHotSequenceTransformer",
    "skrnn._regressor.RNNRegressor",
    "skrnn._optimizers.SGDOptimizer",
    "skrnn._optimizers.AdagradOptimizer",
    "skrnn._preprocessing.SequenceScaler",
    "skrnn._preprocessing.SequenceWindows",
    "skrnn._presets._SeriesPreparation",
    "skrnn._averaging.WeightAverage",
]


def skops_io():
    """``skops.io``, or a `CommandError` saying how to install it."""
    try:
        import skops.io
    except ImportError:
        raise CommandError(
            "saving and loading models needs skops: pip install skops (or "
            "pip install -e \".[persist]\")."
        ) from None
    return skops.io


def check_writable(path):
    """Before any work: skops is installed and ``path`` can be written."""
    skops_io()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"cannot save to {path}: no folder {folder}.")
    if os.path.isdir(path):
        raise CommandError(f"cannot save to {path}: it is a folder.")


def save_model(model, path):
    skops_io().dump(model, path)


def load_model(path):
    """The model saved at ``path``, loaded by skops trusting skrnn's types."""
    sio = skops_io()
    check_file(path, "model file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # noqa: BLE001 - any unreadable file
        raise CommandError(
            f"{path} is not a model saved by python -m skrnn --save (skops cannot "
            f"read it: {type(error).__name__}: {error})."
        ) from None
    foreign = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if foreign:
        raise CommandError(
            f"{path} holds types that skrnn does not trust: {foreign}; it was "
            "not saved by python -m skrnn --save. If you trust it, load it "
            "yourself with skops.io.load(path, trusted=[...])."
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as error:  # noqa: BLE001
        raise CommandError(
            f"{path} could not be loaded by skops ({type(error).__name__}: "
            f"{error})."
        ) from None
    if not recurrent_estimators(model):
        raise CommandError(
            f"{path} holds a {type(model).__name__}, not a skrnn model saved by "
            "python -m skrnn --save."
        )
    return model
