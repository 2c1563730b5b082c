"""The kinds of refused input, one table (issue 29).

Each case makes the object(s) a call may touch, makes the call, and says
which exception it must raise and a fragment of the message (a regular
expression, matched case-insensitively) that names the problem. Every case
also checks that the input was refused before any work: the objects are
exactly as they were (a deep comparison with a copy taken before the call:
parameters, fitted attributes, ``weights_``, the optimizer's state, the
random state). Unfitted estimators get a ``RandomState`` instance as
``random_state``, so that an initialisation, which draws from it, shows.

The cases that name an item of issue 29 are the fuzzer's findings, each
failing before its fix.
"""

import copy
import functools
import re
import warnings

import numpy as np
import pytest
import scipy.sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skrnn import (
    OneHotSequences,
    OneHotSequenceTransformer,
    RNNClassifier,
    RNNLanguageModel,
    RNNRegressor,
    SequenceScaler,
    SequenceWindows,
)

nan, inf = np.nan, np.inf


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of max_iter=1
        yield


# ---------------------------------------------------------------------------
# Deep comparison of an estimator's state
# ---------------------------------------------------------------------------


def _object_state(obj):
    """What pickling and copying keep of ``obj`` (its ``__getstate__``, which
    may leave out scratch memory), as a dict."""
    state = obj.__getstate__() if hasattr(obj, "__getstate__") else None
    if isinstance(state, dict):
        return dict(state)
    if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
        return {**(state[0] or {}), **(state[1] or {})}
    state = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if hasattr(obj, name):
                state[name] = getattr(obj, name)
    return state


def _differences(a, b, path="estimator", seen=None):
    """Where a and b differ (a list of paths); arrays compared exactly, NaN
    equal to NaN, random states by their state."""
    seen = set() if seen is None else seen
    if (id(a), id(b)) in seen:
        return []
    seen.add((id(a), id(b)))
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return [f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"]
        if a.dtype == object:
            return [
                d for i, (x, y) in enumerate(zip(a.ravel(), b.ravel()))
                for d in _differences(x, y, f"{path}[{i}]", seen)
            ]
        same = np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        return [] if same else [f"{path}: arrays differ"]
    if isinstance(a, np.random.RandomState):
        return _differences(a.get_state(legacy=False), b.get_state(legacy=False),
                            f"{path}.get_state()", seen)
    if isinstance(a, np.random.Generator):
        return _differences(a.bit_generator.state, b.bit_generator.state,
                            f"{path}.bit_generator.state", seen)
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}[{k!r}]", seen)]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [
            d for i, (x, y) in enumerate(zip(a, b))
            for d in _differences(x, y, f"{path}[{i}]", seen)
        ]
    if isinstance(a, (float, np.floating)):
        same = a == b or (np.isnan(a) and np.isnan(b))
        return [] if same else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, (str, bytes, int, bool, complex, np.generic, type(None), type)):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if callable(a) and not hasattr(a, "get_params"):
        return [] if a is b or a == b else [f"{path}: {a!r} != {b!r}"]
    if hasattr(a, "__dict__") or hasattr(type(a), "__slots__"):
        return _differences(_object_state(a), _object_state(b), path, seen)
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def assert_unchanged(before, after):
    """``after`` holds exactly the state of ``before`` (a deep copy of it)."""
    differences = _differences(before, after)
    assert not differences, "changed by the refused call: " + "; ".join(differences[:5])


# ---------------------------------------------------------------------------
# What the cases start from (fitted once, deep-copied for each case)
# ---------------------------------------------------------------------------

X = [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 1.0]])]  # 2 features
Y = np.array([0, 1])
X1 = [np.array([[1.0]]), np.array([[0.0]])]  # the fuzzer's X (issue 29)
TABLE = np.array([[1.0, 2.0, 3.0], [0.0, 1.0, 2.0]])  # 2-D: 3 steps
IDS = np.array([[0, 1, 2], [2, 1, 0]])  # token ids, 3 slots
TEXT = ["you are", "are good"]
TINY = dict(hidden_size=2, max_iter=1)


def rs():
    return np.random.RandomState(0)


@functools.cache
def _fitted(kind):
    if kind == "clf":
        return RNNClassifier(**TINY, random_state=rs()).fit(X, Y)
    if kind == "clf2":  # two layers, for a changed num_layers
        return RNNClassifier(**TINY, num_layers=2, random_state=rs()).fit(X, Y)
    if kind == "clf_table":
        return RNNClassifier(**TINY, random_state=rs()).fit(TABLE, Y)
    if kind == "reg":
        return RNNRegressor(**TINY, random_state=rs()).fit(X, [0.0, 1.0])
    if kind == "reg_int_seed":
        return RNNRegressor(**TINY, random_state=0).fit(X, [0.0, 1.0])
    if kind == "lm":
        return RNNLanguageModel(**TINY, random_state=rs()).fit(IDS)
    if kind == "scaler":
        return SequenceScaler().fit(X)
    if kind == "windows":
        return SequenceWindows(2).fit(X)
    if kind == "ohe":
        return OneHotSequenceTransformer().fit(TEXT)
    if kind == "ohe_table":
        return OneHotSequenceTransformer().fit(np.array([[1, 2], [3, 4]]))
    raise AssertionError(kind)


def fitted(kind, **params):
    """A fresh copy of a fitted estimator (``params`` set after fit)."""
    estimator = copy.deepcopy(_fitted(kind))
    return estimator.set_params(**params) if params else estimator


def clf(**params):
    return RNNClassifier(**{**TINY, "random_state": rs(), **params})


def reg(**params):
    return RNNRegressor(**{**TINY, "random_state": rs(), **params})


def lm(**params):
    return RNNLanguageModel(**{**TINY, "random_state": rs(), **params})


def seqs(*arrays):
    return [np.asarray(a, dtype=float) for a in arrays]


def case(case_id, make, call, exc, pattern, item=None, what=""):
    """One refused input. ``make()`` returns the object the call may touch
    (or None); ``call(obj)`` makes the call. ``item`` and ``what``: the
    finding of issue 29 it covers, if any (documentation)."""
    return pytest.param(make, call, exc, pattern, id=case_id)


BOTH = (ValueError, TypeError)
# an odd container: the message names it and says what X may be (numpy's
# "float() argument must be a string or a real number, not 'dict'" does not)
ACCEPTED = r"(2-D array|3-D array|list of)"
ODD_DICT = rf"dict.*{ACCEPTED}|{ACCEPTED}.*\bdict"
ODD_ITERATOR = rf"(generator|iterator).*{ACCEPTED}|{ACCEPTED}.*(generator|iterator)"
ARCHITECTURE_CHANGES = [  # (base, parameter, value) for issue 29 item 6
    ("clf2", "num_layers", 1),
    ("clf", "num_layers", 2),
    ("clf", "cell", "gru"),
    ("clf", "embedding_size", 2),
    ("clf", "hidden_size", 3),
    ("clf", "bidirectional", True),
    ("clf", "pooling", "mean"),
    ("clf", "nonlinearity", "relu"),
]
CASES = [
    # --- RNNClassifier: X ---------------------------------------------------
    case("clf-nan-inside-sequence", lambda: fitted("clf"),
         lambda e: e.predict_proba(seqs([[nan, nan], [1, 2]])), ValueError, r"nan"),
    case("clf-nan-in-one-feature", lambda: fitted("clf"),
         lambda e: e.predict_proba(seqs([[1, 2], [1, nan]])), ValueError, r"nan"),
    case("clf-nan-inside-3d", lambda: fitted("clf"),
         lambda e: e.predict(np.array([[[nan, nan], [1, 2]]])), ValueError, r"nan"),
    case("clf-inf", lambda: fitted("clf"),
         lambda e: e.predict(np.array([[[1, 2], [inf, 0]]])), ValueError, r"inf"),
    case("clf-minus-inf-in-table", lambda: fitted("clf_table"),
         lambda e: e.predict(np.array([[1, -inf, 2.0]])), ValueError, r"inf"),
    case("clf-nan-inside-fit", lambda: clf(),
         lambda e: e.fit(seqs([[1, 2], [nan, 0], [1, 1]], [[0, 0]]), Y), ValueError, r"nan"),
    case("clf-text", lambda: fitted("clf"),
         lambda e: e.predict(["you are", "are you"]), TypeError,
         r"text.*OneHotSequenceTransformer"),
    case("clf-a-string", lambda: clf(),
         lambda e: e.fit("you are", Y), TypeError, r"text|string"),
    case("clf-sequence-of-strings", lambda: fitted("clf"),
         lambda e: e.predict([np.array([["a", "b"]]), np.ones((1, 2))]),
         TypeError, r"string"),
    case("clf-wrong-feature-count", lambda: fitted("clf"),
         lambda e: e.predict_proba([np.ones((2, 3))]), ValueError,
         r"steps of 3|\b3 (feature|number)"),
    case("clf-wrong-table-width", lambda: fitted("clf_table"),
         lambda e: e.predict(np.ones((2, 4))), ValueError, r"4 features"),
    case("clf-wrong-feature-count-partial-fit", lambda: fitted("clf"),
         lambda e: e.partial_fit([np.ones((2, 3)), np.ones((1, 3))], Y), ValueError,
         r"steps of 3|\b3 (feature|number)"),
    case("clf-one-hot-on-dense-model", lambda: fitted("clf"),
         lambda e: e.predict(OneHotSequences([1, 4], [0, 1, 2], 5)), ValueError, r"5"),
    case("clf-4d", lambda: fitted("clf"),
         lambda e: e.predict(np.ones((2, 2, 2, 1))), ValueError, r"4 dimensions"),
    case("clf-sparse-predict", lambda: fitted("clf"),
         lambda e: e.predict(scipy.sparse.csr_matrix(TABLE)), TypeError, r"sparse"),
    case("clf-sparse-fit", lambda: clf(),
         lambda e: e.fit(scipy.sparse.csr_matrix(TABLE), Y), TypeError, r"sparse"),
    case("clf-mixed-widths", lambda: clf(),
         lambda e: e.fit([np.ones((2, 1)), np.ones((2, 2))], Y), ValueError, r"width"),
    case("clf-3d-sequence", lambda: clf(),
         lambda e: e.fit([np.ones((2, 1, 1)), np.ones((2, 1, 1))], Y), ValueError,
         r"dimension"),
    case("clf-complex", lambda: clf(),
         lambda e: e.fit([np.ones(2) + 1j, np.ones(2)], Y), ValueError, r"complex"),
    case("clf-empty-list", lambda: clf(),
         lambda e: e.fit([], []), ValueError, r"empty|0 sequences"),
    case("clf-zero-features", lambda: clf(),
         lambda e: e.fit(np.ones((2, 3, 0)), Y), ValueError, r"0 feature"),
    case("clf-one-hot-no-token-slots", lambda: clf(),
         lambda e: e.fit(OneHotSequences([], [0, 0, 0], 0), Y), ValueError,
         r"0 (token slot|feature|number)", item=12,
         what="OneHotSequences with 0 token slots are fitted"),
    case("clf-dict", lambda: clf(),
         lambda e: e.fit({0: np.ones(2), 1: np.zeros(2)}, Y), BOTH,
         ODD_DICT, item=9,
         what="numpy's 'float() argument must be ...' for a dict"),
    case("clf-generator", lambda: clf(),
         lambda e: e.fit((x for x in X), Y), BOTH,
         ODD_ITERATOR,
         item=9, what="numpy's 'float() argument must be ...' for a generator"),
    case("clf-iterator-predict", lambda: fitted("clf"),
         lambda e: e.predict(iter(X)), BOTH,
         ODD_ITERATOR,
         item=9, what="numpy's 'float() argument must be ...' for an iterator"),
    case("clf-empty-object-array", lambda: clf(),
         lambda e: e.fit(np.array([], dtype=object), []), ValueError,
         r"empty|0 sequences", item=9,
         what="scikit-learn's 'Expected 2D array, got 1D array' for an empty "
              "object array"),
    # --- RNNClassifier: y, sample_weight, class_weight -----------------------
    case("clf-y-too-short", lambda: clf(),
         lambda e: e.fit(X, [0]), ValueError, r"inconsistent|samples"),
    case("clf-one-class", lambda: clf(),
         lambda e: e.fit(X, [1, 1]), ValueError, r"2 classes"),
    case("clf-y-none", lambda: clf(),
         lambda e: e.fit(X, None), ValueError, r"\by\b"),
    case("clf-continuous-y", lambda: clf(),
         lambda e: e.fit(X, [0.5, 1.5]), ValueError, r"continuous|target"),
    case("clf-mixed-label-types", lambda: clf(),
         lambda e: e.fit(X, np.array(["a", 1], dtype=object)), BOTH,
         r"label.*(type|str|int)|mix", item=5,
         what="numpy's \"'<' not supported\" for mixed label types"),
    case("clf-negative-sample-weight", lambda: clf(),
         lambda e: e.fit(X, Y, sample_weight=[1, -1]), ValueError, r"negative"),
    case("clf-nan-sample-weight", lambda: fitted("clf"),
         lambda e: e.partial_fit(X, Y, sample_weight=[1, nan]), ValueError, r"nan"),
    case("clf-zero-sample-weights", lambda: clf(),
         lambda e: e.fit(X, Y, sample_weight=[0, 0]), ValueError, r"positive"),
    case("clf-sample-weight-shape", lambda: clf(),
         lambda e: e.fit(X, Y, sample_weight=[1, 1, 1]), ValueError, r"shape"),
    case("clf-class-weight-negative", lambda: clf(class_weight={0: -1.0}),
         lambda e: e.fit(X, Y), ValueError, r"class_weight", item=3,
         what="a negative class weight divides by zero"),
    case("clf-class-weight-nan", lambda: clf(class_weight={0: nan}),
         lambda e: e.fit(X, Y), ValueError, r"class_weight", item=3,
         what="a NaN class weight trains into NaN"),
    case("clf-class-weight-all-zero", lambda: clf(class_weight={0: 0.0, 1: 0.0}),
         lambda e: e.fit(X, Y), ValueError, r"class_weight", item=3,
         what="all-zero class weights divide by zero"),
    case("clf-class-weight-unknown-class", lambda: clf(class_weight={5: 2.0}),
         lambda e: e.fit(X, Y), ValueError, r"class_weight"),
    case("clf-warm-start-other-classes", lambda: fitted("clf", warm_start=True),
         lambda e: e.fit(X, ["a", "b"]), ValueError, r"warm_start"),
    case("clf-pretraining-numeric-input", lambda: clf(pretraining=1),
         lambda e: e.fit(X, Y), ValueError, r"pretraining"),
    # --- RNNClassifier: partial_fit -----------------------------------------
    case("clf-partial-fit-without-classes", lambda: clf(),
         lambda e: e.partial_fit(X, Y), ValueError, r"classes"),
    case("clf-partial-fit-new-label", lambda: fitted("clf"),
         lambda e: e.partial_fit(X, [0, 5]), ValueError, r"classes"),
    case("clf-partial-fit-other-classes", lambda: fitted("clf"),
         lambda e: e.partial_fit(X, Y, classes=[0, 1, 2]), ValueError, r"classes"),
    case("clf-partial-fit-balanced", lambda: fitted("clf", class_weight="balanced"),
         lambda e: e.partial_fit(X, Y), ValueError, r"balanced"),
    case("clf-partial-fit-early-stopping", lambda: fitted("clf", early_stopping=True),
         lambda e: e.partial_fit(X, Y), ValueError, r"early_stopping"),
    case("clf-partial-fit-diverges", lambda: RNNClassifier(
            hidden_size=1, max_iter=1, random_state=0, solver="sgd",
            nonlinearity="relu").fit(X1, [0, 1]).set_params(batch_size=1, shuffle=False),
         lambda e: e.partial_fit(X1 + [np.array([[1e300]])], [0, 1, 0]), ValueError,
         r"diverg|non-finite", item=1,
         what="a diverging partial_fit is not refused, or advances the optimizer"),
    # --- parameters ----------------------------------------------------------
    case("clf-lbfgs-dropout", lambda: clf(solver="lbfgs", dropout=0.5),
         lambda e: e.fit(X, Y), ValueError, r"dropout"),
    case("clf-hidden-size-zero", lambda: clf(hidden_size=0),
         lambda e: e.fit(X, Y), ValueError, r"hidden_size"),
    case("clf-hidden-size-bool", lambda: clf(hidden_size=True),
         lambda e: e.fit(X, Y), ValueError, r"hidden_size", item=10,
         what="hidden_size=True passes parameter validation"),
    case("clf-max-iter-bool", lambda: clf(max_iter=True),
         lambda e: e.fit(X, Y), ValueError, r"max_iter", item=10,
         what="max_iter=True passes parameter validation"),
    case("clf-num-layers-bool", lambda: clf(num_layers=True),
         lambda e: e.fit(X, Y), ValueError, r"num_layers", item=10,
         what="num_layers=True passes parameter validation"),
    case("clf-batch-size-bool", lambda: clf(batch_size=True),
         lambda e: e.fit(X, Y), ValueError, r"batch_size", item=10,
         what="batch_size=True passes parameter validation"),
    case("clf-partial-fit-alpha-negative", lambda: fitted("clf", alpha=-1),
         lambda e: e.partial_fit(X, Y), ValueError, r"alpha", item=8,
         what="alpha=-1 set between partial_fit calls trains"),
    case("clf-partial-fit-batch-size-zero", lambda: fitted("clf", batch_size=0),
         lambda e: e.partial_fit(X, Y), ValueError, r"batch_size", item=8,
         what="batch_size=0 set between partial_fit calls fails in range()"),
    case("clf-partial-fit-cell-unknown", lambda: fitted("clf", cell="xyz"),
         lambda e: e.partial_fit(X, Y), ValueError, r"cell", item=8,
         what="cell='xyz' set between partial_fit calls raises KeyError"),
    case("clf-hidden-states-layer", lambda: fitted("clf"),
         lambda e: e.hidden_states(X, layer=5), ValueError, r"layer"),
    case("clf-unfitted-predict", lambda: clf(),
         lambda e: e.predict(X), NotFittedError, r"fit"),
    *[
        case(f"clf-{name}={value}-after-fit-{method}",
             functools.partial(fitted, base, **{name: value}),
             lambda e, method=method: getattr(e, method)(X), ValueError, name,
             item=6, what=f"{name} changed by set_params after fit")
        for base, name, value in ARCHITECTURE_CHANGES
        for method in ("predict_proba", "hidden_states")
    ],
    # --- RNNRegressor --------------------------------------------------------
    case("reg-y-nan", lambda: reg(),
         lambda e: e.fit(X, [0.0, nan]), ValueError, r"nan"),
    case("reg-y-strings", lambda: reg(),
         lambda e: e.fit(X, ["a", "b"]), ValueError, r"string|non-numeric"),
    case("reg-y-3d", lambda: reg(),
         lambda e: e.fit(X, np.zeros((2, 1, 1))), ValueError, r"dimension"),
    case("reg-partial-fit-other-outputs", lambda: fitted("reg"),
         lambda e: e.partial_fit(X, [[0.0, 1.0], [1.0, 2.0]]), ValueError, r"output"),
    case("reg-wrong-feature-count", lambda: fitted("reg"),
         lambda e: e.predict([np.ones(3)]), ValueError, r"steps of 1|\b1 (feature|number)"),
    # divergence shows only once training has run: these start from an int
    # random_state (a RandomState instance given as random_state is drawn
    # from by any fit), and the estimator must be as it was
    case("reg-diverges-huge-y", lambda: reg(random_state=0),
         lambda e: e.fit(X1, [1e300, 0.0]), ValueError,
         r"diverg.*(learning_rate|scal|max_grad_norm)", item=7,
         what="FloatingPointError instead of ValueError"),
    case("reg-diverges-huge-y-partial-fit",
         lambda: fitted("reg_int_seed"),
         lambda e: e.partial_fit(X, [1e300, 0.0]), ValueError,
         r"diverg.*(learning_rate|scal|max_grad_norm)", item=7,
         what="FloatingPointError instead of ValueError"),
    case("reg-diverges-huge-input",
         lambda: reg(solver="sgd", nonlinearity="relu", random_state=0),
         lambda e: e.fit([np.array([[1e300]]), np.array([[0.0]])], [0.0, 1.0]),
         ValueError, r"diverg.*(learning_rate|scal|max_grad_norm)", item=7,
         what="FloatingPointError instead of ValueError"),
    case("reg-diverges-lbfgs", lambda: reg(solver="lbfgs", random_state=0),
         lambda e: e.fit(X1, [1e300, 0.0]), ValueError,
         r"diverg.*(alpha|scal)", item=7,
         what="FloatingPointError instead of ValueError"),
    case("clf-diverges-lbfgs-huge-input",
         lambda: clf(solver="lbfgs", nonlinearity="relu", random_state=0),
         lambda e: e.fit([np.array([[1e300]]), np.array([[0.0]])], Y), ValueError,
         r"diverg.*(alpha|scal)", item=7,
         what="FloatingPointError instead of ValueError"),
    # --- RNNLanguageModel ----------------------------------------------------
    case("lm-bidirectional", lambda: lm(bidirectional=True),
         lambda e: e.fit(IDS), ValueError, r"bidirectional"),
    case("lm-lbfgs", lambda: lm(solver="lbfgs"),
         lambda e: e.fit(IDS), ValueError, r"solver"),
    case("lm-fractional-ids", lambda: fitted("lm"),
         lambda e: e.score_samples(IDS + 0.5), ValueError, r"not token ids"),
    case("lm-negative-ids", lambda: lm(),
         lambda e: e.fit(IDS - 1), ValueError, r"negative"),
    case("lm-id-too-large", lambda: fitted("lm"),
         lambda e: e.score_samples(IDS + 1), ValueError, r"token id"),
    case("lm-nan-ids", lambda: fitted("lm"),
         lambda e: e.partial_fit(np.where(IDS == 1, nan, IDS)), ValueError, r"nan"),
    case("lm-one-token-sequences", lambda: lm(),
         lambda e: e.fit(np.array([[0], [1]])), ValueError, r"2 tokens"),
    case("lm-one-distinct-token", lambda: lm(),
         lambda e: e.fit(np.zeros((2, 3), dtype=int)), ValueError, r"distinct"),
    case("lm-text", lambda: fitted("lm"),
         lambda e: e.score_samples(TEXT), TypeError, r"text"),
    case("lm-sparse", lambda: lm(),
         lambda e: e.fit(scipy.sparse.csr_matrix(IDS)), TypeError, r"sparse"),
    case("lm-3d", lambda: fitted("lm"),
         lambda e: e.hidden_states(IDS[:, :, None]), ValueError, r"dimension"),
    case("lm-other-token-slots", lambda: fitted("lm"),
         lambda e: e.score_samples(OneHotSequences([0, 1], [0, 2], 4)), ValueError,
         r"token slots"),
    case("lm-sample-no-tokens", lambda: fitted("lm"),
         lambda e: e.sample(0), ValueError, r"n_tokens"),
    case("lm-sample-temperature", lambda: fitted("lm"),
         lambda e: e.sample(3, temperature=0.0), ValueError, r"temperature"),
    case("lm-sample-text-prefix", lambda: fitted("lm"),
         lambda e: e.sample(3, prefix="you"), TypeError, r"prefix"),
    *[
        case(f"lm-{name}-changed-after-fit-{method}",
             functools.partial(fitted, "lm", **{name: value}),
             lambda e, method=method: getattr(e, method)(IDS), ValueError, name,
             item=6, what=f"{name} changed by set_params after fit")
        for name, value in [("hidden_size", 3), ("cell", "lstm"), ("num_layers", 2),
                            ("embedding_size", 2)]
        for method in ("hidden_states", "score_samples")
    ],
    # --- SequenceScaler ------------------------------------------------------
    case("scaler-one-hot", lambda: SequenceScaler(),
         lambda e: e.fit(OneHotSequences([0, 1], [0, 2], 2)), TypeError,
         r"OneHotSequences"),
    case("scaler-text", lambda: fitted("scaler"),
         lambda e: e.transform(TEXT), TypeError, r"text"),
    case("scaler-no-steps", lambda: SequenceScaler(),
         lambda e: e.fit([np.zeros((0, 2))]), ValueError, r"no steps|empty"),
    case("scaler-wrong-feature-count", lambda: fitted("scaler"),
         lambda e: e.transform([np.ones((2, 3))]), ValueError, r"steps of 3|\b3 (feature|number)"),
    case("scaler-partial-fit-wrong-feature-count", lambda: fitted("scaler"),
         lambda e: e.partial_fit([np.ones((2, 3))]), ValueError,
         r"steps of 3|\b3 (feature|number)"),
    case("scaler-sparse", lambda: SequenceScaler(),
         lambda e: e.fit(scipy.sparse.csr_matrix(TABLE)), TypeError, r"sparse"),
    case("scaler-4d", lambda: fitted("scaler"),
         lambda e: e.transform(np.ones((1, 2, 2, 1))), ValueError, r"dimension"),
    case("scaler-inf", lambda: SequenceScaler(),
         lambda e: e.fit(seqs([[1, inf]])), ValueError, r"inf"),
    case("scaler-nan-inside", lambda: fitted("scaler"),
         lambda e: e.partial_fit(seqs([[nan, 1], [1, 1]])), ValueError, r"nan"),
    # --- SequenceWindows -----------------------------------------------------
    case("windows-no-size", lambda: SequenceWindows(None, n_windows=None),
         lambda e: e.fit(X), ValueError, r"size"),
    case("windows-size-longer-than-sequences", lambda: SequenceWindows(5),
         lambda e: e.fit(X), ValueError, r"longer"),
    case("windows-transform-too-short", lambda: fitted("windows"),
         lambda e: e.transform([np.ones((1, 2))]), ValueError, r"longer"),
    case("windows-wrong-feature-count", lambda: fitted("windows"),
         lambda e: e.transform([np.ones((2, 3))]), ValueError, r"steps of 3|\b3 (feature|number)"),
    case("windows-size-zero", lambda: SequenceWindows(0),
         lambda e: e.fit(X), ValueError, r"size"),
    case("windows-size-bool", lambda: SequenceWindows(True),
         lambda e: e.fit(X), ValueError, r"size", item=10,
         what="size=True passes parameter validation"),
    case("windows-one-hot", lambda: SequenceWindows(1),
         lambda e: e.fit(OneHotSequences([0, 1], [0, 2], 2)), TypeError,
         r"OneHotSequences"),
    # --- OneHotSequenceTransformer -------------------------------------------
    case("ohe-a-string", lambda: OneHotSequenceTransformer(),
         lambda e: e.fit("you are"), TypeError, r"single str|wrap"),
    case("ohe-none", lambda: fitted("ohe"),
         lambda e: e.transform(None), TypeError, r"None"),
    case("ohe-dict", lambda: OneHotSequenceTransformer(),
         lambda e: e.fit({"a": "you are"}), TypeError, r"dict"),
    case("ohe-bytes", lambda: OneHotSequenceTransformer(),
         lambda e: e.fit([b"you", "are"]), TypeError, r"bytes|decode"),
    case("ohe-documents-and-numbers", lambda: OneHotSequenceTransformer(),
         lambda e: e.fit(["you are", 3]), TypeError, r"string"),
    case("ohe-ragged-numbers", lambda: OneHotSequenceTransformer(),
         lambda e: e.fit([[1, 2], [3]]), ValueError, r"different lengths"),
    case("ohe-empty-vocabulary", lambda: OneHotSequenceTransformer(min_frequency=5),
         lambda e: e.fit(TEXT), ValueError, r"empty vocabulary"),
    case("ohe-unknown-token", lambda: fitted("ohe", handle_unknown="error"),
         lambda e: e.transform(["you are new"]), ValueError, r"unknown token"),
    case("ohe-inverse-other-slots", lambda: fitted("ohe"),
         lambda e: e.inverse_transform(OneHotSequences([0], [0, 1], 9)), ValueError,
         r"token slots"),
    case("ohe-table-width", lambda: fitted("ohe_table"),
         lambda e: e.transform(np.array([[1, 2, 3]])), ValueError, r"3 features"),
    case("ohe-fitted-on-text-given-numbers", lambda: fitted("ohe"),
         lambda e: e.transform(np.array([[0], [1]])), BOTH,
         r"text|string|document", item=12,
         what="numbers after a fit on text all map to the unknown token"),
    # --- OneHotSequences -----------------------------------------------------
    case("one-hot-sequences-id-out-of-range", lambda: None,
         lambda _: OneHotSequences([0, 3], [0, 2], 3), ValueError, r"n_token_slots"),
    case("one-hot-sequences-offsets", lambda: None,
         lambda _: OneHotSequences([0, 1], [1, 2], 3), ValueError, r"offsets"),
    case("one-hot-sequences-bool-slots", lambda: None,
         lambda _: OneHotSequences([0], [0, 1], True), TypeError, r"n_token_slots"),
    case("one-hot-sequences-int-dtype", lambda: None,
         lambda _: OneHotSequences([0], [0, 1], 2, dtype=int), ValueError,
         r"float dtype"),
    # --- skrnn.onnx ----------------------------------------------------------
    case("onnx-unfitted", lambda: clf(),
         lambda e: _onnx().to_onnx(e), NotFittedError, r"fit"),
    case("onnx-not-skrnn", lambda: LogisticRegression().fit([[0.0], [1.0]], Y),
         lambda e: _onnx().to_onnx(e), TypeError, r"skrnn"),
    case("onnx-language-model", lambda: fitted("lm"),
         lambda e: _onnx().to_onnx(e), TypeError, r"classifiers and regressors"),
    case("onnx-token-ids-not-bool", lambda: fitted("clf"),
         lambda e: _onnx().to_onnx(e, token_ids="yes"), TypeError, r"token_ids"),
    case("onnx-pipeline-with-scaler", lambda: make_pipeline(
            fitted("scaler"), fitted("clf")),
         lambda e: _onnx().to_onnx(e), TypeError, r"SequenceScaler"),
    case("onnx-hidden-size-changed", lambda: fitted("clf", hidden_size=3),
         lambda e: _onnx().to_onnx(e), ValueError, r"set_params"),
    case("onnx-inputs-token-ids-dense", lambda: fitted("clf"),
         lambda e: _onnx().onnx_inputs(e, X, token_ids=True), TypeError,
         r"OneHotSequences"),
    case("onnx-inputs-nan-inside", lambda: fitted("clf"),
         lambda e: _onnx().onnx_inputs(e, seqs([[nan, nan], [1, 2]])), ValueError,
         r"nan"),
    case("onnx-inputs-wrong-feature-count", lambda: fitted("clf"),
         lambda e: _onnx().onnx_inputs(e, [np.ones((2, 3))]), ValueError,
         r"steps of 3|\b3 (feature|number)"),
    case("onnx-inputs-text", lambda: fitted("clf"),
         lambda e: _onnx().onnx_inputs(e, TEXT), TypeError, r"text"),
]


def _onnx():
    pytest.importorskip("onnx")
    import skrnn.onnx

    return skrnn.onnx


def test_the_table_has_40_kinds():
    assert len({p.id for p in CASES}) == len(CASES) >= 40


@pytest.mark.parametrize("make, call, exc, pattern", CASES)
def test_refused_before_any_work(make, call, exc, pattern):
    obj = make()
    before = copy.deepcopy(obj)
    with pytest.raises(Exception) as info:
        call(obj)
    error = info.value
    assert isinstance(error, exc), (
        f"raised {type(error).__name__}: {error}, expected {exc}"
    )
    # never another type: a FloatingPointError is an ArithmeticError, a
    # KeyError a LookupError; scikit-learn's InvalidParameterError and
    # NotFittedError are ValueErrors
    assert isinstance(error, (ValueError, TypeError)), type(error)
    assert re.search(pattern, str(error), re.IGNORECASE | re.DOTALL), (
        f"the message does not match {pattern!r}: {error}"
    )
    assert_unchanged(before, obj)


# ---------------------------------------------------------------------------
# Issue 29: the findings that are not (only) a refusal
# ---------------------------------------------------------------------------


def test_item_1_diverging_partial_fit_leaves_estimator_exactly_as_before():
    e = RNNClassifier(hidden_size=1, max_iter=1, random_state=0, solver="sgd",
                      nonlinearity="relu").fit(X1, [0, 1])
    e.set_params(batch_size=1, shuffle=False)
    before = copy.deepcopy(e)
    proba = e.predict_proba(X1)
    with pytest.raises(ValueError, match=r"(?i)diverg|non-finite"):
        e.partial_fit(X1 + [np.array([[1e300]])], [0, 1, 0])
    assert_unchanged(before, e)  # weights_, _optimizer, _random_state, ...
    np.testing.assert_array_equal(e.predict_proba(X1), proba)
    # and it goes on as if the call had not happened
    e.partial_fit(X1, [0, 1])
    before.partial_fit(X1, [0, 1])
    assert_unchanged(before, e)


def test_item_2_partial_fit_never_leaves_nan_silently():
    e = RNNClassifier(hidden_size=3, max_iter=1, random_state=0, solver="sgd",
                      nonlinearity="relu", batch_size=1, shuffle=False).fit(X1, [0, 1])
    before = copy.deepcopy(e)
    try:
        e.partial_fit(X1 + [np.array([[0.0]]), np.array([[1e300]])], [0, 1, 0, 1])
    except ValueError as error:
        assert re.search(r"(?i)diverg|non-finite", str(error)), str(error)
        assert_unchanged(before, e)
    else:
        proba = e.predict_proba([np.array([[1.0]])])
        assert np.isfinite(proba).all(), proba
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_item_4_dropout_on_empty_sequences_fits():
    e = RNNClassifier(dropout=0.2, max_iter=1, random_state=0)
    e.fit([np.zeros(0), np.zeros(0)], [0, 1])
    proba = e.predict_proba([np.zeros(0), np.ones(2)])
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # empty sequences read the initial state: they are predicted alike
    np.testing.assert_allclose(proba[0], e.predict_proba([np.zeros(0)])[0])


@pytest.mark.parametrize("values", [
    [1e300, -1e300, 5e299],
    [1.5e308, 1e308],
    [1e160, -1e160],
])
def test_item_11_scaler_on_huge_values_never_passes_data_unscaled(values):
    X = np.array([values])  # one univariate sequence
    scaler = SequenceScaler()
    try:
        scaler.fit(X)
    except ValueError as error:
        assert re.search(r"(?i)too large", str(error)), str(error)
        assert not hasattr(scaler, "mean_")
        return
    Z = scaler.transform(X)
    assert np.isfinite(Z).all(), Z
    assert np.isfinite(scaler.scale_).all() and (scaler.scale_ > 0).all()
    np.testing.assert_allclose(Z.mean(), 0.0, atol=1e-6)
    if not np.ptp(X) == 0:
        np.testing.assert_allclose(Z.std(), 1.0, rtol=1e-6)


@pytest.mark.parametrize("base, name, value", ARCHITECTURE_CHANGES)
def test_item_6_restoring_the_parameter_restores_prediction(base, name, value):
    """The check of item 6 must compare with what was fitted, not refuse
    every set_params: set back, the model predicts as before."""
    e = fitted(base)
    proba = e.predict_proba(X)
    original = e.get_params()[name]
    e.set_params(**{name: value}).set_params(**{name: original})
    np.testing.assert_array_equal(e.predict_proba(X), proba)


@pytest.mark.parametrize("name", ["alpha", "learning_rate", "batch_size", "tol"])
def test_item_8_valid_changes_between_partial_fit_calls_are_taken(name):
    """The check of item 8 validates: it does not forbid changing a
    parameter between partial_fit calls."""
    e = fitted("clf", solver="sgd")
    e.set_params(**{name: {"alpha": 0.01, "learning_rate": 0.01,
                           "batch_size": 1, "tol": 0.1}[name]})
    before = copy.deepcopy(e.weights_)
    e.partial_fit(X, Y)
    assert any(not np.array_equal(before[k], e.weights_[k]) for k in before)
