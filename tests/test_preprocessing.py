"""SequenceScaler and SequenceWindows: every X form in, the same form out."""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks
from sklearn.utils.estimator_checks import check_estimator

from skrnn import (
    OneHotSequenceTransformer,
    RNNClassifier,
    SequenceScaler,
    SequenceWindows,
)

# ---------------------------------------------------------------------------
# Data: the same sequences in every form
# ---------------------------------------------------------------------------


def ragged(n=9, n_features=3, seed=0, min_length=0, max_length=12, dtype=np.float64):
    """Sequences of lengths min_length..max_length with distinct feature
    means and scales (so that a wrong axis or a missed step shows)."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_length, max_length + 1, size=n)
    lengths[0] = max_length
    loc = np.arange(n_features) * 3.0 - 2.0
    scale = np.arange(1, n_features + 1, dtype=float)
    return [
        (loc + scale * rng.normal(size=(length, n_features))).astype(dtype)
        for length in lengths
    ]


def padded(X, T=None):
    """A NaN-padded 3-D array of the sequences X."""
    T = max(len(x) for x in X) if T is None else T
    out = np.full((len(X), T, X[0].shape[1]), np.nan, dtype=X[0].dtype)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


def real_steps(X):
    """The steps of all sequences, one row each."""
    arrays = [np.asarray(x) for x in X]
    return np.concatenate([a[:, np.newaxis] if a.ndim == 1 else a for a in arrays])


def check_results(results):
    failed = {
        r["check_name"]: r["exception"] for r in results if r["status"] == "failed"
    }
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert failed == {}
    assert skipped <= {"check_array_api_input"}
    assert len(results) > 40


# ---------------------------------------------------------------------------
# scikit-learn's checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [
        SequenceScaler(),
        SequenceScaler(with_mean=False),
        SequenceScaler(with_std=False),
        # The checks fit tables of 2 columns (2-step sequences): a larger
        # window than that holds no complete window and is an error.
        SequenceWindows(1),
        SequenceWindows(2),
        SequenceWindows(2, stride=1),
        SequenceWindows(n_windows=1),
        # The defaults (issue 28): n_windows=12 learns the size in fit.
        SequenceWindows(),
    ],
    ids=repr,
)
def test_check_estimator(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_results(check_estimator(estimator, on_fail=None))


# Checks scikit-learn runs on its own estimators but not in check_estimator.
MORE_CHECKS = [
    "check_param_validation",
    "check_dataframe_column_names_consistency",
    "check_estimators_partial_fit_n_features",
]
OUTPUT_CHECKS = [
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_get_feature_names_out_error",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
]


@pytest.mark.parametrize("check", MORE_CHECKS + OUTPUT_CHECKS)
def test_more_sklearn_checks_scaler(check):
    with warnings.catch_warnings():
        # fitting on a DataFrame and transforming an array warns, by design
        warnings.simplefilter("ignore", UserWarning)
        getattr(estimator_checks, check)("SequenceScaler", SequenceScaler())


@pytest.mark.parametrize("check", MORE_CHECKS)
@pytest.mark.parametrize("windows", [SequenceWindows(2), SequenceWindows()], ids=repr)
def test_more_sklearn_checks_windows(check, windows):
    getattr(estimator_checks, check)("SequenceWindows", windows)


def test_windows_have_no_output_columns():
    """Windows make 3-D arrays or lists, never a table: no feature names and
    no set_output."""
    windows = SequenceWindows(2).fit(np.ones((3, 4)))
    assert not hasattr(windows, "get_feature_names_out")
    assert not hasattr(windows, "set_output")


# ---------------------------------------------------------------------------
# SequenceScaler
# ---------------------------------------------------------------------------


def test_statistics_are_numpys_over_real_steps_of_ragged_data():
    X = ragged()
    steps = real_steps(X)
    for form in (X, padded(X), padded(X, T=20)):
        scaler = SequenceScaler().fit(form)
        assert_allclose(scaler.mean_, steps.mean(axis=0), rtol=1e-12)
        assert_allclose(scaler.var_, steps.var(axis=0), rtol=1e-12)
        assert_allclose(scaler.scale_, steps.std(axis=0), rtol=1e-12)
        assert scaler.n_steps_seen_ == len(steps)
        assert scaler.n_step_features_in_ == 3
        assert not hasattr(scaler, "n_features_in_")
    Z = real_steps(SequenceScaler().fit_transform(X))
    assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    assert_allclose(Z.std(axis=0), 1, rtol=1e-12)


def test_scaler_output_forms_and_padding():
    X = ragged(min_length=1)
    X[3] = X[3][:0]  # an empty sequence
    scaler = SequenceScaler().fit(X)
    expected = [(x - scaler.mean_) / scaler.scale_ for x in X]

    out = scaler.transform(X)
    assert isinstance(out, list)
    for got, want in zip(out, expected):
        assert got.shape == want.shape
        assert_allclose(got, want, rtol=1e-12)

    P = padded(X, T=15)
    out = scaler.transform(P)
    assert out.shape == P.shape
    assert_array_equal(np.isnan(out), np.isnan(P))  # padding untouched
    assert_allclose(out[~np.isnan(P)], padded(expected, T=15)[~np.isnan(P)])

    objects = np.empty(len(X), dtype=object)
    objects[:] = X
    out = scaler.transform(objects)
    assert isinstance(out, np.ndarray) and out.dtype == object
    assert_allclose(np.concatenate(list(out)), np.concatenate(expected))


def test_list_items_keep_their_ndim_and_trailing_padding():
    X = [np.array([1.0, 2.0, np.nan]), np.array([[4.0], [5.0]]), np.array([7.0])]
    scaler = SequenceScaler().fit(X)
    assert_allclose(scaler.mean_, [np.mean([1, 2, 4, 5, 7])])
    out = scaler.transform(X)
    assert [x.shape for x in out] == [(3,), (2, 1), (1,)]
    assert np.isnan(out[0][2]) and not np.isnan(out[0][:2]).any()
    assert_allclose(scaler.inverse_transform(out)[0][:2], [1.0, 2.0])


def test_three_forms_give_the_same_numbers():
    """2-D (n, T), 3-D (n, T, 1) and a list of 1-D arrays are the same
    univariate sequences."""
    rng = np.random.RandomState(1)
    X2 = 5 + 2 * rng.normal(size=(6, 8))
    X3 = X2[:, :, np.newaxis]
    Xl = list(X2)
    results = []
    for X in (X2, X3, Xl):
        scaler = SequenceScaler().fit(X)
        results.append((scaler.mean_, scaler.scale_, np.asarray(scaler.transform(X))))
    for mean, scale, Z in results[1:]:
        assert_allclose(mean, results[0][0], rtol=1e-12)
        assert_allclose(scale, results[0][1], rtol=1e-12)
        assert_allclose(Z.reshape(X2.shape), results[0][2], rtol=1e-12)
    assert results[0][2].shape == (6, 8)
    assert results[1][2].shape == (6, 8, 1)
    assert_allclose(results[0][0], [X2.mean()])


def test_2d_input_is_one_feature_not_one_per_column():
    X = np.arange(12.0).reshape(3, 4) + np.array([0.0, 10, 20, 30])  # a trend
    scaler = SequenceScaler().fit(X)
    assert scaler.n_features_in_ == 4 and scaler.n_step_features_in_ == 1
    assert_allclose(scaler.mean_, [X.mean()])
    assert_allclose(scaler.scale_, [X.std()])
    Z = scaler.transform(X)
    assert_allclose(Z, (X - X.mean()) / X.std())
    # StandardScaler would remove the trend between steps; this keeps it.
    assert not np.allclose(Z, StandardScaler().fit_transform(X))
    assert (np.diff(Z, axis=1) > 0).all()
    with pytest.raises(
        ValueError,
        match="X has 3 features, but SequenceScaler is expecting 4 features as input",
    ):
        scaler.transform(X[:, :3])
    # The width is a table's; other forms take any length.
    assert scaler.transform([np.arange(7.0)])[0].shape == (7,)


def test_2d_trailing_nan_is_padding():
    X = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, np.nan]])
    scaler = SequenceScaler().fit(X)
    assert_allclose(scaler.mean_, [2.5])
    Z = scaler.transform(X)
    assert_array_equal(np.isnan(Z), np.isnan(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inverse_transform_round_trip(dtype):
    X = ragged(dtype=dtype)
    scaler = SequenceScaler().fit(X)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    for form in (X, padded(X), np.asarray(X[0][:, 0])[np.newaxis]):
        if form is not X and np.ndim(form) == 2:
            scaler = SequenceScaler().fit(form)
        back = scaler.inverse_transform(scaler.transform(form))
        if isinstance(form, list):
            for b, x in zip(back, form):
                assert b.dtype == dtype
                assert_allclose(b, x, rtol=rtol, atol=rtol)
        else:
            assert back.dtype == dtype
            assert_array_equal(np.isnan(back), np.isnan(form))
            assert_allclose(back, form, rtol=rtol, atol=rtol)


def test_dtypes():
    X = ragged(dtype=np.float32)
    scaler = SequenceScaler().fit(X)
    assert scaler.mean_.dtype == np.float64  # statistics in float64
    assert all(x.dtype == np.float32 for x in scaler.transform(X))
    assert scaler.transform(padded(X)).dtype == np.float32
    scaler = SequenceScaler()
    assert scaler.fit_transform(np.ones((3, 4), np.float32)).dtype == np.float32
    assert scaler.fit_transform(np.ones((3, 4), np.int64)).dtype == np.float64
    mixed = [X[0], X[1].astype(np.float64)]
    assert all(x.dtype == np.float64 for x in scaler.fit(X).transform(mixed))


def test_zero_variance_gets_scale_one():
    X = [np.column_stack([np.full(5, 0.1), np.arange(5.0)]), np.array([[0.1, 7.0]])]
    scaler = SequenceScaler().fit(X)
    # 0.1 is not exact in binary: its computed variance may be tiny, not 0
    assert_allclose(scaler.var_[0], 0, atol=1e-30)
    assert_array_equal(scaler.scale_[0], 1.0)
    Z = scaler.transform(X)
    assert_allclose(real_steps(Z)[:, 0], 0, atol=1e-15)
    assert_allclose(real_steps(scaler.inverse_transform(Z)), real_steps(X))


def test_with_mean_and_with_std():
    X = ragged()
    steps = real_steps(X)
    only_std = SequenceScaler(with_mean=False).fit(X)
    assert_allclose(real_steps(only_std.transform(X)), steps / steps.std(axis=0))
    only_mean = SequenceScaler(with_std=False).fit(X)
    assert only_mean.scale_ is None
    assert_allclose(real_steps(only_mean.transform(X)), steps - steps.mean(axis=0))
    neither = SequenceScaler(with_mean=False, with_std=False).fit(X)
    assert_allclose(real_steps(neither.transform(X)), steps)


def test_partial_fit_equals_fit():
    X = ragged(n=20, seed=3)
    X[5] = X[5][:0]
    full = SequenceScaler().fit(X)
    parts = SequenceScaler()
    for start in range(0, 20, 6):  # includes the empty sequence in a batch
        parts.partial_fit(X[start : start + 6])
    parts.partial_fit([X[5]])  # no steps: nothing changes
    assert parts.n_steps_seen_ == full.n_steps_seen_
    assert_allclose(parts.mean_, full.mean_, rtol=1e-12)
    assert_allclose(parts.var_, full.var_, rtol=1e-12)
    assert_allclose(parts.scale_, full.scale_, rtol=1e-12)
    # another form in a later call: the same steps
    mixed = SequenceScaler().partial_fit(padded(X[:10])).partial_fit(X[10:])
    assert_allclose(mixed.var_, full.var_, rtol=1e-12)
    # fit starts over
    assert parts.fit(X[:3]).n_steps_seen_ == sum(len(x) for x in X[:3])


def test_scaler_feature_names():
    df = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("abcd"))
    scaler = SequenceScaler().fit(df)
    assert list(scaler.get_feature_names_out()) == list("abcd")
    out = scaler.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list("abcd")
    assert_allclose(out.to_numpy(), (df.to_numpy() - 5.5) / df.to_numpy().std())
    # Fitted on sequences, there are no columns to name, and set_output
    # leaves the 3-D output alone rather than failing to make a table.
    X = padded(ragged())
    assert not hasattr(scaler.fit(X), "get_feature_names_out")
    assert scaler.transform(X).shape == X.shape
    assert scaler.fit_transform(X).shape == X.shape
    with pytest.raises(AttributeError):
        scaler.get_feature_names_out()


# ---------------------------------------------------------------------------
# SequenceWindows
# ---------------------------------------------------------------------------


def test_windows_of_500_steps():
    X = np.random.RandomState(0).normal(size=(4, 500))
    out = SequenceWindows(10).fit_transform(X)
    assert out.shape == (4, 50, 10)  # univariate -> 10 numbers per step
    assert_array_equal(out, X.reshape(4, 50, 10))


def test_windows_are_step_major():
    X = np.arange(2 * 6 * 3, dtype=float).reshape(2, 6, 3)  # (n, T, F)
    out = SequenceWindows(2).fit_transform(X)
    assert out.shape == (2, 3, 6)
    assert_array_equal(out, X.reshape(2, 3, 6))  # a hand-built reshape
    # window 1 of sequence 0: steps 2 and 3, features of step 2 first
    assert_array_equal(out[0, 1], np.r_[X[0, 2], X[0, 3]])


def test_overlapping_and_skipping_strides():
    X = np.random.RandomState(0).normal(size=(3, 11, 2))
    for size, stride in [(4, 1), (3, 2), (2, 4), (11, 1)]:
        out = SequenceWindows(size, stride=stride).fit_transform(X)
        # sliding_window_view: (n, T - size + 1, F, size) -> step-major
        view = sliding_window_view(X, size, axis=1)[:, ::stride]
        expected = view.transpose(0, 1, 3, 2).reshape(3, -1, size * 2)
        assert_array_equal(out, expected)


def test_partial_windows_are_dropped_and_short_sequences_become_empty():
    X = [np.arange(7.0), np.arange(3.0), np.arange(2.0), np.arange(0.0)]
    out = SequenceWindows(3).fit_transform(X)
    assert isinstance(out, list)
    assert_array_equal(out[0], [[0, 1, 2], [3, 4, 5]])  # step 6 is dropped
    assert_array_equal(out[1], [[0, 1, 2]])
    assert out[2].shape == (0, 3) and out[3].shape == (0, 3)

    P = np.full((4, 7), np.nan)
    for i, x in enumerate(X):
        P[i, : len(x)] = x
    out = SequenceWindows(3).fit_transform(P)
    assert out.shape == (4, 2, 3)  # (7 - 3) // 3 + 1 windows
    assert_array_equal(out[0], [[0, 1, 2], [3, 4, 5]])
    assert_array_equal(out[1, 0], [0, 1, 2])
    assert np.isnan(out[1, 1]).all() and np.isnan(out[2:]).all()  # padding
    # all-NaN rows are empty sequences to the classifier too


def test_windows_three_forms_agree():
    X = ragged(min_length=4, n_features=2)
    windows = SequenceWindows(2, stride=1).fit(X)
    as_list = windows.transform(X)
    as_array = windows.transform(padded(X))
    assert all(w.ndim == 2 and w.shape[1] == 4 for w in as_list)
    assert_allclose(padded(as_list, T=as_array.shape[1]), as_array)
    # univariate: 2-D, (n, T, 1), and a list of 1-D arrays
    rng = np.random.RandomState(0)
    X2 = rng.normal(size=(5, 9))
    a = SequenceWindows(3).fit_transform(X2)
    b = SequenceWindows(3).fit_transform(X2[:, :, np.newaxis])
    c = SequenceWindows(3).fit_transform(list(X2))
    assert a.shape == b.shape == (5, 3, 3)
    assert_array_equal(a, b)
    assert_array_equal(np.stack(c), a)
    objects = np.empty(5, dtype=object)
    objects[:] = list(X2)
    d = SequenceWindows(3).fit_transform(objects)
    assert d.dtype == object and d[0].shape == (3, 3)


def test_windows_output_width_follows_the_array():
    X = np.full((2, 10, 1), np.nan)
    X[:, :4] = 1.0
    out = SequenceWindows(2).fit(X).transform(X)
    assert out.shape == (2, 5, 2)  # from the width 10, not the real lengths
    assert np.isnan(out[:, 2:]).all() and not np.isnan(out[:, :2]).any()


def test_window_longer_than_every_sequence():
    message = re.escape("size=5 is longer than every sequence (longest: 4 step(s))")
    with pytest.raises(ValueError, match=message):
        SequenceWindows(5).fit([np.ones(4), np.ones(2)])
    with pytest.raises(ValueError, match=message + ".*2-D X each row is one"):
        SequenceWindows(5).fit(np.ones((3, 4)))
    windows = SequenceWindows(5).fit([np.ones(9), np.ones(2)])
    with pytest.raises(ValueError, match=message):
        windows.transform([np.ones(4)])
    with pytest.raises(ValueError, match=message):
        windows.transform(padded([np.ones((4, 1))], T=8))


def test_windows_2d_width_is_checked():
    windows = SequenceWindows(2).fit(np.ones((3, 6)))
    assert windows.n_features_in_ == 6 and windows.n_step_features_in_ == 1
    with pytest.raises(
        ValueError,
        match="X has 8 features, but SequenceWindows is expecting 6 features as input",
    ):
        windows.transform(np.ones((3, 8)))


def test_windows_dtypes():
    X = ragged(dtype=np.float32, min_length=2)
    windows = SequenceWindows(2).fit(X)
    assert all(w.dtype == np.float32 for w in windows.transform(X))
    assert windows.transform(padded(X)).dtype == np.float32
    integers = np.ones((2, 4), np.int32)
    assert SequenceWindows(2).fit_transform(integers).dtype == np.float64


def test_pipeline_before_classifier():
    X = ragged(n=30, n_features=2, min_length=3, max_length=20, seed=2)
    y = np.arange(30) % 2
    pipeline = make_pipeline(
        SequenceScaler(),
        SequenceWindows(5),
        RNNClassifier(hidden_size=8, random_state=0, max_iter=5),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert pipeline.fit(X, y).predict(X).shape == (30,)  # some sequences empty
        assert pipeline[-1].input_size_ == 10
        X2 = np.random.RandomState(0).normal(size=(30, 23))
        assert pipeline.fit(X2, y).predict(X2).shape == (30,)
        assert pipeline[-1].input_size_ == 5
        assert set(pipeline.predict(X2)) <= {0, 1}
        with pytest.raises(ValueError, match="expecting 23 features"):
            pipeline.predict(X2[:, :20])


# ---------------------------------------------------------------------------
# Errors and pickling, for both
# ---------------------------------------------------------------------------

BOTH = [SequenceScaler, lambda: SequenceWindows(2)]


@pytest.mark.parametrize("make", BOTH)
def test_step_features_must_match(make):
    estimator = make().fit(padded(ragged(n_features=3)))
    name = type(estimator).__name__
    # The wording of the unit is _validation.py's ("number(s)" since the
    # input checks moved there); the counts and the estimator are the point.
    message = (
        rf"X has steps of 4 \w+\(s\), but {name} was fitted on steps of 3 \w+\(s\)"
    )
    with pytest.raises(ValueError, match=message):
        estimator.transform(padded(ragged(n_features=4)))
    with pytest.raises(ValueError, match=message):
        estimator.transform(ragged(n_features=4))


@pytest.mark.parametrize("make", BOTH)
def test_bad_values(make):
    X = padded(ragged(min_length=3))
    X[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN inside sequence 2 at step 1"):
        make().fit(X)
    X = ragged()
    X[4] = X[4].copy()
    X[4][0, 1] = np.inf
    with pytest.raises(ValueError, match="infinity.*sequence 4 at step 0"):
        make().fit(X)
    fitted = make().fit(ragged())
    X[4][0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN inside sequence 4 at step 0"):
        fitted.transform(X)


@pytest.mark.parametrize("make", BOTH)
def test_text_and_one_hot_are_type_errors(make):
    with pytest.raises(TypeError, match="takes sequences of numbers, but got text"):
        make().fit(["you are good", "are you good"])
    with pytest.raises(TypeError, match="takes sequences of numbers, but got text"):
        make().fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match=r"got text \(sequence 1 holds strings\)"):
        make().fit([np.ones(3), np.array(["a", "b"])])
    with pytest.raises(TypeError, match=re.escape("RNNClassifier())")):
        make().fit(["you are good"])
    one_hot = OneHotSequenceTransformer().fit_transform(["you are good", "are you"])
    with pytest.raises(TypeError, match="for numeric sequences.*not OneHotSequences"):
        make().fit(one_hot)
    fitted = make().fit(np.ones((2, 3)))
    with pytest.raises(TypeError, match="not OneHotSequences"):
        fitted.transform(one_hot)


@pytest.mark.parametrize("make", BOTH)
def test_empty_input(make):
    with pytest.raises(ValueError, match="found 0 sequences"):
        make().fit([])
    with pytest.raises(NotFittedError):
        make().transform(np.ones((2, 3)))


def test_scaler_needs_a_step():
    with pytest.raises(ValueError, match="X holds no steps"):
        SequenceScaler().fit([np.zeros((0, 2)), np.zeros((0, 2))])


@pytest.mark.parametrize("make", BOTH)
def test_pickle(make):
    X = ragged(min_length=2)
    estimator = make().fit(X)
    restored = pickle.loads(pickle.dumps(estimator))
    for a, b in zip(estimator.transform(X), restored.transform(X)):
        assert_array_equal(a, b)
    assert_array_equal(estimator.transform(padded(X)), restored.transform(padded(X)))


def test_windows_from_n_windows_follow_the_median_training_length():
    """n_windows learns the size in fit, from the median training length,
    and then windows every X as SequenceWindows(size_) does."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(length, 2)) for length in (30, 47, 50, 61, 200)]
    windows = SequenceWindows(n_windows=10).fit(X)
    assert windows.size_ == 5  # ceil(50 / 10)
    new = [rng.normal(size=(23, 2))]
    for got, expected in zip(windows.transform(new),
                             SequenceWindows(5).fit(X).transform(new)):
        assert_array_equal(got, expected)
    assert SequenceWindows(4).fit(X).size_ == 4
    assert SequenceWindows(n_windows=100).fit(X).size_ == 1


def test_windows_defaults_learn_the_size_from_12_windows():
    """SequenceWindows() works at its defaults (issue 28): n_windows=12."""
    windows = SequenceWindows()
    assert windows.get_params() == {"size": None, "stride": None, "n_windows": 12}
    X = np.arange(240.0).reshape(2, 120)
    assert windows.fit(X).size_ == 10  # ceil(120 / 12)
    assert windows.transform(X).shape == (2, 12, 10)
    # Short sequences: windows of one step, never a size of 0.
    assert SequenceWindows().fit(np.ones((3, 2))).size_ == 1


@pytest.mark.parametrize("n_windows", [12, 2, None])
def test_windows_size_overrides_n_windows(n_windows):
    X = np.ones((3, 60))
    windows = SequenceWindows(3, n_windows=n_windows).fit(X)
    assert windows.size_ == 3
    assert windows.transform(X).shape == (3, 20, 3)


def test_windows_need_size_or_n_windows():
    with pytest.raises(
        ValueError, match=r"got size=None and n_windows=None\. Give size .* or n_windows"
    ):
        SequenceWindows(n_windows=None).fit(np.ones((3, 6)))


# ---------------------------------------------------------------------------
# SequenceScaler on values near the float64 limit (issue 29, item 11)
# ---------------------------------------------------------------------------


def test_scaler_large_values_do_not_overflow():
    """Standard deviation 1e153: the squares of the deviations, and their
    sum, overflow float64 but the variance (1e306) does not. Before the fix
    the variance came out infinite, was taken for zero variance, and the
    data passed unscaled."""
    X = np.random.RandomState(0).normal(size=(50, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow on the way
        scaler = SequenceScaler().fit(X * 1e153)
        Z = scaler.transform(X * 1e153)
    small = SequenceScaler().fit(X)
    assert_allclose(scaler.mean_, small.mean_ * 1e153, rtol=1e-12)
    assert_allclose(scaler.var_, small.var_ * 1e306, rtol=1e-12)
    assert_allclose(scaler.scale_, small.scale_ * 1e153, rtol=1e-12)
    assert_allclose(Z, small.transform(X), rtol=1e-10)
    # Near the limit itself: a sum of the values would overflow too.
    big = np.full((3, 4), 1.7e308)
    scaler = SequenceScaler().fit(big)
    assert_allclose(scaler.mean_, [1.7e308], rtol=1e-15)
    assert_array_equal(scaler.var_, [0.0])
    assert_array_equal(scaler.scale_, [1.0])
    assert_allclose(scaler.transform(big), 0, atol=1.7e308 * 1e-15)


def test_scaler_partial_fit_with_large_values_equals_fit():
    rng = np.random.RandomState(1)
    parts = [rng.normal(size=(10, 2)), 1e150 * rng.normal(size=(5, 2)),
             rng.normal(size=(8, 2)), np.full((3, 2), 1e152)]
    full = SequenceScaler().fit(np.concatenate(parts)[:, np.newaxis, :])
    scaler = SequenceScaler()
    for part in parts:
        scaler.partial_fit(part[:, np.newaxis, :])
    assert_allclose(scaler.mean_, full.mean_, rtol=1e-12)
    assert_allclose(scaler.var_, full.var_, rtol=1e-12)
    assert np.isfinite(full.var_).all() and (full.scale_ > 1e149).all()


@pytest.mark.parametrize("fit", ["fit", "partial_fit"])
def test_scaler_variance_too_large_to_represent_is_an_error(fit):
    """Values near 1e300 that differ: the variance (1e600) is no float64."""
    X = np.array([[1e300, -1e300, 5e299], [2.0, 3.0, 4.0]])[:, :, np.newaxis]
    X = np.concatenate([np.ones_like(X), X], axis=2)  # feature 0 is fine
    message = (
        r"step feature\(s\) \[1\] are too large to scale \(largest magnitude "
        r"1e\+300\).*Divide X by a constant first, for example by 1e300"
    )
    with pytest.raises(ValueError, match=message):
        getattr(SequenceScaler(), fit)(X)
    scaler = SequenceScaler().partial_fit(X[1:])
    with pytest.raises(ValueError, match=message):
        scaler.partial_fit(X[:1])
    assert scaler.n_steps_seen_ == 3  # the failed update changed nothing
    assert_allclose(scaler.mean_, [1.0, 3.0])
