"""The data of a run: generated or read from a file, its task and targets."""

from dataclasses import dataclass

import numpy as np

from ..datasets import _quote, make_marker_distances, make_questions
from .errors import CommandError

# A numeric label column is taken for a regression target when its values
# are not whole numbers, or when there are more than this many of them;
# otherwise (say, star ratings 1 to 5) for class codes.
MAX_CLASS_CODES = 20


@dataclass(frozen=True)
class Data:
    """Samples and their labels as read (strings), and where they come from.

    ``kind`` is ``'sentences'`` (X a list of str) or ``'sequences'`` (X a
    list of ``(steps, channels)`` arrays); ``source`` names them in output.
    """

    kind: str
    X: list
    labels: np.ndarray
    source: str


def generated(task, n_samples, random_state):
    """The demo's data without --data: questions and statements, or with
    --task regression, red/blue distances. ``(data, task, reason)``."""
    if n_samples < 2:
        raise CommandError(f"--n-samples must be at least 2, got {n_samples}.")
    if task == "regression":
        X, y = make_marker_distances(n_samples, random_state=random_state)
        source = f"generated red/blue distances (n_samples={n_samples})"
        return Data("sentences", X, y, source), "regression", "as --task regression asks"
    X, labels = make_questions(n_samples, random_state=random_state)
    source = f"make_questions(n_samples={n_samples})"
    return Data("sentences", X, labels, source), "classification", None


def numeric_labels(labels):
    """The labels as float64, or None when one of them is not a number."""
    try:
        values = np.asarray(labels, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


def choose_task(requested, labels, source):
    """``(task, reason)``: the task to run and, for regression, why (the
    first line of output)."""
    if requested == "classification":
        return "classification", None
    values = numeric_labels(labels)
    if requested == "regression":
        if values is None:
            raise CommandError(
                f"--task regression needs numeric labels, but the label column "
                f"of {source} holds text (e.g. {_quote(labels[0])}); leave out "
                "--task regression to classify."
            )
        return "regression", "as --task regression asks"
    if values is None:
        return "classification", None
    distinct = len(np.unique(values))
    whole = bool(np.all(values == np.round(values)))
    if whole and distinct <= MAX_CLASS_CODES:
        return "classification", None
    what = "not all whole" if not whole else f"more than {MAX_CLASS_CODES}"
    return "regression", (
        f"detected, the label column is numeric with {distinct} distinct "
        f"values, {what} (--task classification classifies instead)"
    )


def targets(task, data, *, at_least_two_classes=True):
    """The targets of ``data`` for ``task``: float64 for regression, the
    labels for classification (at least two classes, unless told not)."""
    if task == "regression":
        y = numeric_labels(data.labels)
        if y is None:
            bad = next(label for label in data.labels if numeric_labels([label]) is None)
            raise CommandError(
                f"the labels of {data.source} must be numbers for a regression, "
                f"but one is {_quote(bad)}; write a number in every label field."
            )
        return y
    y = np.asarray(data.labels)
    classes = np.unique(y)
    if at_least_two_classes and len(classes) < 2:
        raise CommandError(
            f"every label of {data.source} is {str(classes[0])!r}: classification "
            "needs at least 2 classes."
        )
    return y


def describe(data, y, task):
    """One line on the data: how many samples of what, and their classes or
    the range of their targets."""
    if data.kind == "sequences":
        lengths = [len(x) for x in data.X]
        channels = data.X[0].shape[1]
        what = (f"{len(data.X)} numeric sequences from {data.source} ({channels} "
                f"channel{'s' if channels > 1 else ''}, {min(lengths)} to "
                f"{max(lengths)} steps)")
    else:
        what = f"{len(data.X)} sentences from {data.source}"
    if task == "regression":
        return f"{what}, targets from {y.min():g} to {y.max():g}"
    classes = len(np.unique(y))
    return f"{what}, {classes} class{'es' if classes != 1 else ''}"


def check_same_kind(test, data):
    """A --test file must hold what --data holds, with as many channels."""
    if test.kind != data.kind:
        raise CommandError(
            f"--test {test.source} holds {describe_kind(test.kind)}, but --data "
            f"{data.source} holds {describe_kind(data.kind)}: the test file must "
            "be of the same kind as the data file."
        )
    if data.kind == "sequences":
        ours, theirs = data.X[0].shape[1], test.X[0].shape[1]
        if ours != theirs:
            raise CommandError(
                f"--test {test.source} has {theirs} channel(s) per sequence, but "
                f"--data {data.source} has {ours}: the test sequences must have "
                "the channels of the training ones."
            )


def describe_kind(kind):
    return {"sentences": "sentences", "sequences": "numeric sequences"}[kind]
