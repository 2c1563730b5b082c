import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    LeaveOneGroupOut,
    LeaveOneOut,
    LeavePGroupsOut,
    LeavePOut,
    PredefinedSplit,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    StratifiedShuffleSplit,
    TimeSeriesSplit,
    cross_val_predict,
    train_test_split,
)
from sklearn.utils import _safe_indexing

from skrnn._one_hot_sequences import OneHotSequences

# Sequences of lengths 3, 0, 1, 5, 2 over 6 token slots.
SEQUENCES = [[2, 0, 1], [], [5], [1, 1, 3, 4, 0], [0, 5]]


def make_sequences(sequences=SEQUENCES, n_token_slots=6, dtype=np.float64):
    ids = np.array([i for s in sequences for i in s], dtype=np.intp)
    offsets = np.cumsum([0] + [len(s) for s in sequences])
    return OneHotSequences(ids, offsets, n_token_slots, dtype=dtype)


def padded(sequences, n_token_slots=6):
    """The dense array built the slow, obvious way."""
    longest = max((len(s) for s in sequences), default=0)
    dense = np.zeros((len(sequences), longest, n_token_slots))
    for i, sequence in enumerate(sequences):
        for t, token in enumerate(sequence):
            dense[i, t, token] = 1
    return dense


def assert_holds(X, sequences, n_token_slots=6):
    assert isinstance(X, OneHotSequences)
    assert len(X) == len(sequences)
    assert_array_equal(X.lengths, [len(s) for s in sequences])
    assert_array_equal(X.toarray(), padded(sequences, n_token_slots))


def test_attributes():
    X = make_sequences()
    assert X.ids.dtype == np.intp and X.offsets.dtype == np.intp
    assert_array_equal(X.offsets, [0, 3, 3, 4, 9, 11])
    assert_array_equal(X.lengths, [3, 0, 1, 5, 2])
    assert X.shape == (5, 5, 6)
    assert len(X) == 5
    assert X.ndim == 3
    assert X.size == 5 * 5 * 6
    assert X.n_token_slots == 6 and isinstance(X.n_token_slots, int)
    assert X.dtype == np.float64
    assert isinstance(X.shape[0], int) and isinstance(X.shape[1], int)


def test_empty_shapes():
    assert OneHotSequences([], [0], 4).shape == (0, 0, 4)
    X = OneHotSequences([], [0, 0, 0], 4)
    assert X.shape == (2, 0, 4)
    assert X.toarray().shape == (2, 0, 4)
    assert X[1].shape == (0, 4)


def test_lists_are_accepted_and_stored_as_read_only_intp():
    ids = np.array([1, 0], dtype=np.int32)
    X = OneHotSequences(ids, [0, 2], 2)
    assert X.ids.dtype == np.intp
    with pytest.raises(ValueError, match="read-only"):
        X.ids[0] = 1
    with pytest.raises(ValueError, match="read-only"):
        X.offsets[0] = 1
    # The caller's own array is not frozen.
    ids64 = np.array([1, 0], dtype=np.intp)
    OneHotSequences(ids64, [0, 2], 2)
    ids64[0] = 0
    with pytest.raises(TypeError):
        X[0] = np.zeros((2, 2))


@pytest.mark.parametrize(
    "ids, offsets, n_token_slots, match",
    [
        ([0, 1], [1, 2], 3, "offsets must start with 0"),
        ([0, 1], [], 3, "offsets must start with 0"),
        ([0, 1], [0, 2, 1, 2], 3, r"non-decreasing, but offsets\[1\] = 2 >"),
        ([0, 1], [0, 1], 3, r"offsets\[-1\] must equal the number of ids \(2\)"),
        ([0, 3], [0, 2], 3, r"\[0, 3\), but ids\[1\] = 3"),
        ([-1, 0], [0, 2], 3, r"ids\[0\] = -1"),
        ([0.0, 1.0], [0, 2], 3, "ids must hold integers, got dtype float64"),
        ([[0, 1]], [0, 2], 3, "ids must be 1-D"),
        ([0, 1], [0.0, 2.0], 3, "offsets must hold integers"),
        ([0], [0, 1], -1, "n_token_slots must be >= 0"),
    ],
)
def test_invalid_arguments(ids, offsets, n_token_slots, match):
    with pytest.raises(ValueError, match=match):
        OneHotSequences(ids, offsets, n_token_slots)


def test_invalid_n_token_slots_and_dtype():
    with pytest.raises(TypeError, match="n_token_slots must be an int"):
        OneHotSequences([0], [0, 1], 2.0)
    with pytest.raises(ValueError, match="float dtype"):
        OneHotSequences([0], [0, 1], 2, dtype=np.int64)


def test_int_index_gives_the_dense_sequence():
    X = make_sequences()
    dense = padded(SEQUENCES)
    for i, sequence in enumerate(SEQUENCES):
        assert_array_equal(X[i], dense[i, : len(sequence)])
        assert X[i].dtype == np.float64
    assert_array_equal(X[-2], dense[3])
    assert_array_equal(X[np.int64(4)], dense[4, :2])
    for i in (5, -6):
        with pytest.raises(IndexError, match="out of bounds for 5 sequences"):
            X[i]


@pytest.mark.parametrize(
    "key",
    [
        slice(1, 4),
        slice(None),
        slice(3, 1),
        slice(-2, None),
        slice(None, None, 2),
        slice(None, None, -1),
        slice(4, 0, -2),
    ],
)
def test_slice(key):
    X = make_sequences()
    assert_holds(X[key], SEQUENCES[key])


@pytest.mark.parametrize(
    "key",
    [
        [3, 0, 3],
        np.array([4, 2], dtype=np.int32),
        np.array([-1, 0], dtype=np.int64),
        np.array([1, 4], dtype=np.uint8),
        [],
        np.array([], dtype=np.intp),
    ],
)
def test_integer_array_index(key):
    X = make_sequences()
    expected = [SEQUENCES[i] for i in np.asarray(key, dtype=np.intp)]
    assert_holds(X[key], expected)


def test_boolean_mask():
    X = make_sequences()
    mask = np.array([True, False, False, True, True])
    assert_holds(X[mask], [SEQUENCES[0], SEQUENCES[3], SEQUENCES[4]])
    assert_holds(X[[False] * 5], [])
    with pytest.raises(IndexError, match="boolean index has shape"):
        X[mask[:3]]


def test_tuple_index_as_in_safe_indexing():
    X = make_sequences()
    assert_holds(X[[1, 3], ...], [SEQUENCES[1], SEQUENCES[3]])
    assert_holds(X[1:3, :, :], SEQUENCES[1:3])
    assert_array_equal(X[0, ...], X[0])
    with pytest.raises(IndexError, match="only supports indexing along the first"):
        X[0, 1]
    with pytest.raises(IndexError, match="only supports indexing along the first"):
        X[:, :, 2]


@pytest.mark.parametrize("key", [[0.0, 1.0], np.zeros((2, 2), dtype=int), "a", None])
def test_invalid_index(key):
    with pytest.raises(IndexError):
        make_sequences()[key]


def test_index_out_of_range_in_array():
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        make_sequences()[[0, 7]]


def test_slice_shares_ids_and_take_copies():
    X = make_sequences()
    assert np.shares_memory(X[2:4].ids, X.ids)
    assert not np.shares_memory(X[[2, 3]].ids, X.ids)


def test_iteration():
    X = make_sequences()
    for row, sequence in zip(X, SEQUENCES, strict=True):
        assert row.shape == (len(sequence), 6)
        assert_array_equal(row.argmax(axis=1), sequence)


def test_dense_copies():
    X = make_sequences(dtype=np.float32)
    dense = X.toarray()
    assert dense.dtype == np.float32
    assert_array_equal(dense, padded(SEQUENCES))
    assert_array_equal(np.asarray(X), dense)
    assert np.asarray(X, dtype=np.int8).dtype == np.int8
    assert np.array(X, copy=True).dtype == np.float32
    with pytest.raises(ValueError, match="always a new copy"):
        np.array(X, copy=False)


def test_repr():
    assert repr(make_sequences()) == (
        "<OneHotSequences: 5 sequences, 11 tokens, longest 5, 6 token slots, "
        "dtype float64>"
    )
    assert repr(make_sequences(dtype=np.float32)).endswith("dtype float32>")


def test_pickle_round_trip():
    X = make_sequences(dtype=np.float32)
    Y = pickle.loads(pickle.dumps(X))
    assert isinstance(Y, OneHotSequences)
    assert_array_equal(Y.ids, X.ids)
    assert_array_equal(Y.offsets, X.offsets)
    assert Y.n_token_slots == 6 and Y.dtype == np.float32
    assert not Y.ids.flags.writeable


def test_pickle_size_is_linear_in_tokens_not_in_slots():
    rng = np.random.RandomState(0)
    lengths = rng.randint(0, 20, size=1000)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    n_tokens = int(offsets[-1])
    narrow = OneHotSequences(rng.randint(0, 10, n_tokens), offsets, 10)
    wide = OneHotSequences(rng.randint(0, 10, n_tokens), offsets, 10**7)
    narrow_size = len(pickle.dumps(narrow))
    wide_size = len(pickle.dumps(wide))
    # ids and offsets at 8 bytes each, plus a small constant.
    assert narrow_size <= 8 * (n_tokens + len(offsets)) + 500
    assert abs(wide_size - narrow_size) < 50
    # A slice pickles its own tokens only, not the ids it is a view of.
    assert len(pickle.dumps(wide[:2])) < 1000


def test_safe_indexing_and_train_test_split():
    X = make_sequences()
    assert_holds(_safe_indexing(X, [4, 0]), [SEQUENCES[4], SEQUENCES[0]])
    assert_holds(_safe_indexing(X, np.array([4, 0])), [SEQUENCES[4], SEQUENCES[0]])
    mask = np.array([0, 1, 1, 0, 1], dtype=bool)
    assert_holds(_safe_indexing(X, mask), [SEQUENCES[i] for i in (1, 2, 4)])
    assert_holds(_safe_indexing(X, slice(1, 3)), SEQUENCES[1:3])

    y = np.arange(5)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=2, random_state=0
    )
    assert_holds(X_train, [SEQUENCES[i] for i in y_train])
    assert_holds(X_test, [SEQUENCES[i] for i in y_test])


def make_many(n_samples=24, seed=0):
    rng = np.random.RandomState(seed)
    sequences = [
        list(rng.randint(0, 6, size=rng.randint(0, 7))) for _ in range(n_samples)
    ]
    return sequences, make_sequences(sequences)


SPLITTERS = [
    KFold(3),
    KFold(4, shuffle=True, random_state=0),
    StratifiedKFold(3),
    GroupKFold(3),
    StratifiedGroupKFold(3),
    ShuffleSplit(3, random_state=0),
    StratifiedShuffleSplit(3, test_size=0.25, random_state=0),
    GroupShuffleSplit(3, random_state=0),
    LeaveOneOut(),
    LeavePOut(2),
    LeaveOneGroupOut(),
    LeavePGroupsOut(2),
    PredefinedSplit(np.arange(24) % 3),
    RepeatedKFold(n_splits=3, n_repeats=2, random_state=0),
    RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0),
    TimeSeriesSplit(3),
]


@pytest.mark.parametrize("splitter", SPLITTERS, ids=lambda s: type(s).__name__)
def test_every_cv_splitter(splitter):
    sequences, X = make_many()
    y = np.arange(24) % 2
    # Only the group splitters take groups (the others warn that they ignore them).
    groups = np.arange(24) // 4 if "Group" in type(splitter).__name__ else None
    n_splits = 0
    for train, test in splitter.split(X, y, groups):
        for part in (train, test):
            assert_holds(
                _safe_indexing(X, part), [sequences[i] for i in part]
            )
        n_splits += 1
    assert n_splits == splitter.get_n_splits(X, y, groups)


class LengthRegressor(RegressorMixin, BaseEstimator):
    """Predicts the length of each sequence plus the mean training length."""

    def fit(self, X, y):
        self.mean_length_ = X.lengths.mean()
        return self

    def predict(self, X):
        assert isinstance(X, OneHotSequences)
        return X.lengths + self.mean_length_


def test_cross_val_predict():
    sequences, X = make_many()
    y = np.zeros(24)
    predictions = cross_val_predict(LengthRegressor(), X, y, cv=KFold(4))
    lengths = np.array([len(s) for s in sequences])
    # Each prediction is made on the right sequence, with the mean length
    # of the other three folds.
    for train, test in KFold(4).split(X):
        assert_array_equal(predictions[test], lengths[test] + lengths[train].mean())
