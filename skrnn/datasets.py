"""Datasets: generated word-order tasks, and loaders for sentence and sequence files."""

import csv
import os

import numpy as np
from sklearn.utils import check_random_state

__all__ = [
    "load_sentences",
    "load_sequences",
    "make_marker_distances",
    "make_marker_order",
    "make_questions",
]

# An error about a line of a file quotes at most this many of its characters.
_QUOTE_LIMIT = 80


def _quote(text, limit=_QUOTE_LIMIT):
    """``repr(text)``, or for a long text the repr of its first ``limit``
    characters followed by an ellipsis and the full length, so that an error
    about a 3 KB line of numbers stays one readable line.

    >>> _quote("1,2,3")
    "'1,2,3'"
    >>> _quote("x" * 100, limit=5)
    "'xxxxx'... (100 characters)"
    """
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"

# Subjects by the auxiliaries they agree with ("the dogs are", "the dog is").
_SUBJECTS = {
    "first": ["I"],
    "singular": [
        "he",
        "she",
        "it",
        "the dog",
        "my friend",
        "my old friend",
        "the teacher",
        "your little sister",
        "the cat next door",
    ],
    "plural": [
        "you",
        "we",
        "they",
        "the dogs",
        "my friends",
        "the children",
        "your parents",
        "the new students",
        "our old neighbours",
    ],
}
_BE = {"first": ["am", "was"], "singular": ["is", "was"], "plural": ["are", "were"]}
_MODALS = ["can", "will", "could", "should", "would"]

# What follows the auxiliary: an adjective or phrase after a form of "be",
# a verb phrase after a modal.
_BE_COMPLEMENTS = [
    "good",
    "happy",
    "hungry",
    "here",
    "ready",
    "very tired",
    "at home",
    "still asleep",
    "in the garden",
    "afraid of the dark",
    "busy with work",
    "playing outside",
    "going to the park",
    "sure about the answer",
]
_MODAL_COMPLEMENTS = [
    "come",
    "swim",
    "help us",
    "be late",
    "win the game",
    "read this book",
    "stay for dinner",
    "play the piano",
    "finish the work",
    "walk to the station",
    "call the doctor",
    "bring the old map",
]
_ADVERBIALS = [
    "today",
    "now",
    "again",
    "tonight",
    "this morning",
    "after school",
    "every day",
    "in the evening",
    "at the weekend",
]

QUESTION, STATEMENT = "question", "statement"


def make_questions(n_samples=1000, *, random_state=None):
    """Generate sentences whose label depends only on word order.

    Each sample is a simple English clause, made of a subject ("you", "the
    dog", "my old friend", ...), an auxiliary ("are", "is", "can", "will",
    "was", ...), a complement ("good", "afraid of the dark", "win the
    game", ...) and sometimes an adverbial ("today", "in the evening").
    A statement keeps that order, "you are good today"; a question
    inverts subject and auxiliary, "are you good today". Every sentence is
    drawn the same way whatever its label, and there is no punctuation, so
    the words of a sentence say nothing about its label: any bag-of-words
    model is at chance. The first word decides it (an auxiliary starts a
    question, a subject a statement), so a model that reads the words in
    order can learn it. Sentences have 3 to 12 words, all lowercase but
    "I".

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sentences. The two classes get ``n_samples // 2`` and
        ``n_samples - n_samples // 2`` of them, in random order.
    random_state : int, RandomState instance or None, default=None
        Seed of the sentences and labels, for reproducible output.

    Returns
    -------
    sentences : list of str of length n_samples
        Words separated by single spaces.
    y : ndarray of str of shape (n_samples,)
        ``'question'`` or ``'statement'``.

    See Also
    --------
    load_sentences : Sentences and labels from a tab-separated file.

    Examples
    --------
    >>> from skrnn.datasets import make_questions
    >>> sentences, y = make_questions(4, random_state=0)
    >>> for sentence, label in zip(sentences, y):
    ...     print(f"{label:9}  {sentence}")
    statement  it will be late in the evening
    statement  the cat next door will read this book this morning
    question   is my old friend in the garden
    question   would he play the piano
    """
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    rng = check_random_state(random_state)

    is_question = np.zeros(n_samples, dtype=bool)
    is_question[: n_samples // 2] = True
    rng.shuffle(is_question)

    subjects = [
        (subject, agreement)
        for agreement, group in _SUBJECTS.items()
        for subject in group
    ]
    sentences = []
    for question in is_question:
        subject, agreement = subjects[rng.randint(len(subjects))]
        auxiliaries = _BE[agreement] + _MODALS
        auxiliary = auxiliaries[rng.randint(len(auxiliaries))]
        complements = _MODAL_COMPLEMENTS if auxiliary in _MODALS else _BE_COMPLEMENTS
        complement = complements[rng.randint(len(complements))]
        # Half the sentences end with an adverbial.
        adverbial = rng.randint(2 * len(_ADVERBIALS))
        words = [auxiliary, subject] if question else [subject, auxiliary]
        words.append(complement)
        if adverbial < len(_ADVERBIALS):
            words.append(_ADVERBIALS[adverbial])
        sentences.append(" ".join(words))
    y = np.where(is_question, QUESTION, STATEMENT)
    return sentences, y


_FILLER_WORDS = (
    "the a of and to in is was it for on with as by at from this that be or "
    "an are his her their which one all were we there been has have more "
    "when who will would no out so up said what about its into than them "
    "can only other new some could time these two may then do first any my "
    "now such like our over man me even most made after also did many before "
    "must through back years where much your way well down should because "
    "each just those people how too little state good very make world still "
    "own see men work long get here between both life being under never day "
    "same another know while last might us great old year off come since"
).split()


def make_marker_order(
    n_samples=1000, *, min_length=30, max_length=60, markers=("red", "blue"),
    random_state=None,
):
    """Generate long sentences labelled by which of two marker words comes first.

    Each sentence is ``min_length`` to ``max_length`` filler words drawn
    from common English words, with the two ``markers`` inserted once each
    at random places. The label is the marker that comes first. Both
    markers are in every sentence and the filler is drawn the same way
    whatever the label, so a bag-of-words model is at chance; a recurrent
    network must carry what it read across tens of words, a test of long
    memory that gated cells (GRU, LSTM) pass more easily than the Elman
    cell.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sentences; the classes get ``n_samples // 2`` and
        ``n_samples - n_samples // 2``, in random order.
    min_length, max_length : int, default=30, 60
        Range of the number of words per sentence, markers included.
    markers : pair of str, default=('red', 'blue')
        The two marker words (not among the filler words).
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible output.

    Returns
    -------
    sentences : list of str of length n_samples
        Words separated by single spaces.
    y : ndarray of str of shape (n_samples,)
        The marker that comes first in each sentence.

    See Also
    --------
    make_questions : Short sentences labelled by word order.
    make_marker_distances : The distance between the markers, a regression target.

    Examples
    --------
    >>> from skrnn.datasets import make_marker_order
    >>> sentences, y = make_marker_order(2, min_length=6, max_length=8,
    ...                                  random_state=0)
    >>> for sentence, label in zip(sentences, y):
    ...     print(f"{label:4}  {sentence}")
    blue  like world for blue who red man
    red   well through which did red blue being before
    """
    first_marker, second_marker = _check_markers(n_samples, min_length, max_length,
                                                 markers)
    rng = check_random_state(random_state)
    first_is_first = np.zeros(n_samples, dtype=bool)
    first_is_first[: n_samples // 2] = True
    rng.shuffle(first_is_first)
    sentences = []
    for label in first_is_first:
        length = rng.randint(min_length, max_length + 1)
        words = [_FILLER_WORDS[i] for i in rng.randint(len(_FILLER_WORDS), size=length)]
        i, j = np.sort(rng.choice(length, size=2, replace=False))
        words[i], words[j] = (
            (first_marker, second_marker) if label else (second_marker, first_marker)
        )
        sentences.append(" ".join(words))
    y = np.where(first_is_first, first_marker, second_marker)
    return sentences, y


def _check_markers(n_samples, min_length, max_length, markers):
    """The two markers, after checking the parameters of the marker
    generators."""
    for name, value in (("n_samples", n_samples), ("min_length", min_length),
                        ("max_length", max_length)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {value!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}.")
    if not 2 <= min_length <= max_length:
        raise ValueError(
            "Need 2 <= min_length <= max_length (room for both markers), got "
            f"min_length={min_length}, max_length={max_length}."
        )
    if (isinstance(markers, str) or len(markers) != 2 or markers[0] == markers[1]
            or set(markers) & set(_FILLER_WORDS)):
        raise ValueError(
            f"markers must be two different words that are not filler words, "
            f"got {markers!r}."
        )
    return markers


def make_marker_distances(
    n_samples=1000, *, min_length=8, max_length=18, markers=("red", "blue"),
    random_state=None,
):
    """Generate sentences whose target is the distance between two marker words.

    Each sentence is ``min_length`` to ``max_length`` filler words drawn
    from common English words (those of `make_marker_order`), with the two
    ``markers`` inserted once each at random places. The target is the
    position of the second marker minus that of the first, in words:
    positive when the first marker comes first, negative otherwise, never
    0. Both markers are in every sentence and the filler is drawn the same
    way whatever the target, so a bag-of-words regressor is near ``R² = 0``;
    a recurrent network that reads the words in order can count the steps
    between the markers. ``python -m skrnn --task regression`` runs on it.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sentences.
    min_length, max_length : int, default=8, 18
        Range of the number of words per sentence, markers included.
    markers : pair of str, default=('red', 'blue')
        The two marker words (not among the filler words).
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible output.

    Returns
    -------
    sentences : list of str of length n_samples
        Words separated by single spaces.
    y : ndarray of float64 of shape (n_samples,)
        Position of ``markers[1]`` minus position of ``markers[0]``: a
        whole number from ``-(max_length - 1)`` to ``max_length - 1``, not 0.

    See Also
    --------
    make_marker_order : The same sentences, labelled by which marker comes first.

    Examples
    --------
    >>> from skrnn.datasets import make_marker_distances
    >>> sentences, y = make_marker_distances(3, min_length=5, max_length=7,
    ...                                      random_state=0)
    >>> for sentence, target in zip(sentences, y):
    ...     print(f"{target:+3.0f}  {sentence}")
     -4  blue never like world red
     +2  well two red way blue through which
     -1  before back state we blue red
    """
    first_marker, second_marker = _check_markers(n_samples, min_length, max_length,
                                                 markers)
    rng = check_random_state(random_state)
    sentences, y = [], np.empty(n_samples)
    for k in range(n_samples):
        length = rng.randint(min_length, max_length + 1)
        words = [_FILLER_WORDS[i] for i in rng.randint(len(_FILLER_WORDS), size=length)]
        i, j = rng.choice(length, size=2, replace=False)
        words[i], words[j] = first_marker, second_marker
        sentences.append(" ".join(words))
        y[k] = j - i
    return sentences, y


def load_sentences(path, *, label_column="label", text_column="text"):
    """Load sentences and their labels from a tab-separated file.

    The file is UTF-8 text (a byte order mark is allowed) whose first row
    names the columns. Fields are separated by tabs and never quoted, so
    quote characters are part of the text. Columns other than
    ``label_column`` and ``text_column`` are ignored; blank lines are
    skipped.

    Parameters
    ----------
    path : str or path-like
        The file.
    label_column : str, default='label'
        Name of the column holding the labels.
    text_column : str, default='text'
        Name of the column holding the sentences.

    Returns
    -------
    texts : list of str
        The sentences, in file order.
    labels : ndarray of str of shape (n_samples,)
        Their labels, as written in the file.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not UTF-8, is empty, lacks one of the two columns,
        or has a row with another number of fields than the header or an
        empty label.

    See Also
    --------
    make_questions : Generated sentences labelled by word order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skrnn.datasets import load_sentences
    >>> folder = tempfile.mkdtemp()
    >>> path = pathlib.Path(folder) / "sentences.tsv"
    >>> _ = path.write_text("id\\tlabel\\ttext\\n"
    ...                     "1\\tquestion\\tare you good\\n"
    ...                     "2\\tstatement\\tyou are good\\n", encoding="utf-8")
    >>> texts, labels = load_sentences(path)
    >>> texts
    ['are you good', 'you are good']
    >>> labels
    array(['question', 'statement'], dtype='<U9')
    """
    path = os.fspath(path)
    texts = []
    labels = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if not header:
                raise ValueError(
                    f"{path} is empty; expected a header row naming the "
                    f"columns {label_column!r} and {text_column!r}, separated "
                    "by tabs."
                )
            for column in (label_column, text_column):
                if column not in header:
                    raise ValueError(
                        f"{path} has no column {column!r}; the columns found "
                        f"in its header are {header}. Pass label_column= and "
                        "text_column= to name the columns to read."
                    )
                if header.count(column) > 1:
                    raise ValueError(
                        f"{path} has {header.count(column)} columns named "
                        f"{column!r} in its header {header}; names must be "
                        "unique."
                    )
            label_index = header.index(label_column)
            text_index = header.index(text_column)
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise ValueError(
                        f"{path}, line {reader.line_num}: {len(row)} "
                        f"tab-separated fields, but the header has "
                        f"{len(header)} ({header}). Check for a missing or "
                        "extra tab in that line."
                    )
                if not row[label_index]:
                    raise ValueError(
                        f"{path}, line {reader.line_num}: the "
                        f"{label_column!r} field is empty."
                    )
                labels.append(row[label_index])
                texts.append(row[text_index])
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text ({error}); re-encode it as UTF-8."
        ) from error
    return texts, np.asarray(labels, dtype=str)


def load_sequences(path, *, labels="required"):
    """Load numeric sequences and their labels from a tab-separated file.

    One sequence per line, with no header: the label, then one field per
    channel, each the comma-separated values of that channel at every step,
    fields separated by tabs::

        label<TAB>x1,x2,...,xT<TAB>y1,y2,...,yT

    This is the format of the UCR/UEA time-series files in ``.tsv`` form
    (and of Monash regression files, whose label is a number). Every channel
    of a line has the same number of values; lines may differ in length, as
    may the files' series. ``NaN`` (or ``nan``) marks a missing value, as in
    any ``float``. The file is UTF-8 text; blank lines are skipped. Sequences
    to predict, whose labels are unknown, keep the format with an empty
    label field (``<TAB>x1,x2,...``): read them with ``labels="optional"``.

    Parameters
    ----------
    path : str or path-like
        The file.
    labels : {'required', 'optional'}, default='required'
        ``'required'``: an empty label field is an error (a file to train
        or score on). ``'optional'``: a label field may be empty (a file to
        predict); its label is ``''``.

    Returns
    -------
    X : list of ndarray of shape (n_steps_i, n_channels)
        The sequences in file order, float64, steps first: skrnn's ragged
        form, which `RNNClassifier`, `RNNRegressor` and `SequenceScaler`
        take as is.
    labels : ndarray of str of shape (n_samples,)
        The labels, as written in the file; ``labels.astype(float)`` gives
        the targets of a regression file.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not UTF-8, holds no sequence, or has a line with an
        empty label (unless ``labels='optional'``), no channel, a value that
        is not a number, or channels of different lengths. The message
        names the line and quotes at most 80 characters of it.

    See Also
    --------
    load_sentences : Sentences and labels from a tab-separated file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skrnn.datasets import load_sequences
    >>> folder = tempfile.mkdtemp()
    >>> path = pathlib.Path(folder) / "series.tsv"
    >>> _ = path.write_text("up\\t1,2,3\\t0,0,1\\n"
    ...                     "down\\t3,2\\t1,0\\n", encoding="utf-8")
    >>> X, labels = load_sequences(path)
    >>> X[0]
    array([[1., 0.],
           [2., 0.],
           [3., 1.]])
    >>> X[1].shape
    (2, 2)
    >>> labels
    array(['up', 'down'], dtype='<U4')

    Sequences to predict may leave their label field empty:

    >>> new = pathlib.Path(folder) / "new.tsv"
    >>> _ = new.write_text("\\t2,3,4\\t1,1,0\\n", encoding="utf-8")
    >>> X_new, unknown = load_sequences(new, labels="optional")
    >>> X_new[0].shape, unknown
    ((3, 2), array([''], dtype='<U1'))
    """
    if labels not in ("required", "optional"):
        raise ValueError(
            f"labels must be 'required' or 'optional', got {labels!r}."
        )
    path = os.fspath(path)
    X, found = [], []
    try:
        with open(path, encoding="utf-8-sig") as file:
            for number, line in enumerate(file, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                where = f"{path}, line {number}"
                X.append(_parse_sequence(line, where, labels == "required"))
                found.append(line.split("\t", 1)[0])
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text ({error}); re-encode it as UTF-8."
        ) from error
    if not X:
        raise ValueError(
            f"{path} holds no sequence; expected one per line: a label, a tab, "
            "then the comma-separated values of each channel."
        )
    return X, np.asarray(found, dtype=str)


def _parse_sequence(line, where, label_required):
    """The ``(steps, channels)`` array of one line of a sequence file; a
    ValueError naming ``where`` and quoting the offending part if the line
    is not in the format."""
    label, *channels = line.split("\t")
    if label_required and not label:
        raise ValueError(
            f"{where}: the label field is empty (the line starts with a tab); "
            "write the label before the first tab."
        )
    if not channels:
        raise ValueError(
            f"{where}: no tab in the line {_quote(line)}; expected a label, a "
            "tab, then the comma-separated values of each channel, channels "
            "separated by tabs."
        )
    values = []
    for k, channel in enumerate(channels, 1):
        try:
            values.append(np.array(channel.split(","), dtype=np.float64))
        except ValueError:
            bad = next((v for v in channel.split(",") if not _is_number(v)), channel)
            raise ValueError(
                f"{where}: channel {k} holds {_quote(bad)}, which is not a "
                "number; expected comma-separated numbers (NaN for a missing "
                "value)."
            ) from None
    lengths = [len(v) for v in values]
    if len(set(lengths)) != 1:
        raise ValueError(
            f"{where}: channels of different lengths {lengths}; every channel "
            "of a sequence needs a value at each step (write NaN for a "
            "missing one)."
        )
    return np.stack(values, axis=1)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
