"""RNNClassifier: the scikit-learn estimator around `RecurrentNetwork`.

This module holds the scikit-learn contract (parameter validation, input
checks, the training loop, early stopping, partial_fit, prediction); the
arithmetic lives in `_network.py`, `_cells.py` and `_optimizers.py`.
"""

import contextlib
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    check_consistent_length,
    column_or_1d,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from ._network import DropoutNoise, RecurrentNetwork
from ._one_hot_sequences import OneHotSequences
from ._optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    RowSparseGradient,
    SGDOptimizer,
    all_finite,
    clip_grad_norm,
)
from ._sequences import (
    TEXT_ERROR,
    from_one_hot,
    from_padded,
    from_ragged,
    is_ragged,
    is_text,
    length_buckets,
    pack,
)

# Size of a prediction chunk, in elements of its widest per-row array (the
# packed input projection, rows x gates x hidden x directions): 2**22 is
# 32 MiB in float64. Prediction keeps no activations for a backward pass, so
# a chunk can hold many sequences; fewer chunks mean fewer Python-level
# steps, which is most of the time at small hidden sizes.
_PREDICT_ELEMENTS = 2**22

# Prediction of at least this many elements (same measure) runs its chunks
# in parallel threads, one BLAS thread each; smaller predictions run in the
# calling thread.
_PARALLEL_ELEMENTS = 2**18

_threadpool_controller = None
_blas_limit = threading.Lock()


def _blas_threads():
    """The number of threads NumPy's BLAS may use now (1 if unknown).

    The controller is created once, as scikit-learn does, since finding the
    loaded libraries takes a fraction of a millisecond.
    """
    global _threadpool_controller
    if _threadpool_controller is None:
        _threadpool_controller = ThreadpoolController()
    counts = [
        lib["num_threads"]
        for lib in _threadpool_controller.select(user_api="blas").info()
        if lib.get("num_threads")
    ]
    return min(counts) if counts else 1


@contextlib.contextmanager
def _thread_map(max_workers):
    """``(map, n_workers)``: a ``map`` whose calls run in ``n_workers``
    threads, at most ``max_workers`` and as many as NumPy's BLAS may use,
    with BLAS limited to one thread each meanwhile.

    Independent pieces of work (chunks of sequences, the two directions of
    a layer) scale across cores where a threaded product of a few hundred
    rows does not. The BLAS limit is process-wide, so one caller at a time
    sets it (the lock); a concurrent caller, or one under
    ``threadpool_limits(1)``, gets the builtin map and one worker.
    """
    if max_workers < 2 or not _blas_limit.acquire(blocking=False):
        yield map, 1
        return
    try:
        n_workers = min(max_workers, _blas_threads())
        if n_workers < 2:
            yield map, 1
            return
        with _threadpool_controller.limit(limits=1, user_api="blas"):
            with ThreadPoolExecutor(n_workers) as pool:
                yield (lambda function, items: list(pool.map(function, items))), n_workers
    finally:
        _blas_limit.release()


def _stochastic(estimator):
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic solvers "
            f"('sgd', 'adagrad', 'adam'), not solver={estimator.solver!r}."
        )
    return True


class RNNClassifier(ClassifierMixin, BaseEstimator):
    """Recurrent neural network classifier, trained by backpropagation through time.

    Reads each sequence step by step, carrying a hidden state
    ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or a GRU or
    LSTM cell), and classifies a summary of the states with a softmax layer.
    Unlike a bag-of-words or feed-forward model it sees the order of the
    steps: "you are good" and "are you good" are different inputs.

    Sequences may have different lengths. ``X`` may be a 2-D array
    (n_samples, n_steps) of univariate sequences, a 3-D array
    (n_samples, n_steps, n_features), a list of 1-D or 2-D arrays of differing
    lengths, or the `OneHotSequences` made by `OneHotSequenceTransformer`.
    In arrays, steps that are entirely NaN at the end of a row are padding.

    Parameters
    ----------
    hidden_size : int, default=64
        Hidden units per layer and direction.

    cell : {'rnn', 'gru', 'lstm'}, default='rnn'
        The recurrent cell: Elman, gated recurrent unit, or long short-term
        memory, with PyTorch's equations and gate orders.

    nonlinearity : {'tanh', 'relu'}, default='tanh'
        Activation of the Elman cell (``cell='rnn'``).

    num_layers : int, default=1
        Stacked recurrent layers; each layer after the first reads the
        outputs of the one before.

    bidirectional : bool, default=False
        Read every sequence both forwards and backwards; the two directions'
        outputs are concatenated, forward first.

    dropout : float, default=0.0
        In training only, the probability of zeroing a unit of the output of
        each layer that feeds another layer, and of the sequence summary fed
        to the output layer.

    input_dropout : float, default=0.0
        In training only, the probability of zeroing each element of the
        first layer's input projection ``x_t W_ih^T`` (for one-hot input: of
        the token's column of ``W_ih``), or with ``embedding_size`` of the
        embedding ``e_t``.

    embedding_size : int or None, default=None
        None: the first layer reads the input itself, and for one-hot input
        each token's column of ``W_ih`` is its embedding. An int E puts a
        learned linear map without bias in front, ``e_t = x_t W_emb``
        (``weights_['weight_embedding']``, shape (input_size, E)): for
        one-hot input a lookup table, as ``torch.nn.Embedding(V, E)``
        followed by the recurrent layer. Its rows are shared by the gates and
        both directions, so each update to a word's embedding moves its
        input to every gate at once. The recommended text configuration
        (Notes) uses one.

    pooling : {'last', 'mean', 'max'}, default='last'
        The summary of a sequence fed to the output layer: the last layer's
        final state (both directions' when bidirectional), or the mean or
        element-wise max of its outputs over the steps.

    solver : {'adam', 'sgd', 'adagrad', 'lbfgs'}, default='adam'
        The optimizer. 'lbfgs' is full-batch L-BFGS from
        `scipy.optimize.minimize`; the others are minibatch methods.

    learning_rate : float, default=0.001
        Step size of the stochastic solvers.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' and ``momentum > 0``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.

    epsilon : float, default=1e-8
        Numerical stability term of Adam and Adagrad.

    alpha : float, default=1e-4
        L2 penalty on the weight matrices (not the biases).

    max_grad_norm : float or None, default=None
        The gradient's global L2 norm is scaled down to this before each
        step of a stochastic solver; None (the default, as in PyTorch and
        Keras) turns clipping off. Try 1.0 to 5.0 with plain SGD or when
        training diverges. With Adam, clipping keeps the second-moment
        estimate from seeing a gradient spike, so the steps after it stay
        large; on tiny data trained for many epochs that makes training
        erratic.

    batch_size : int or 'auto', default='auto'
        Sequences per minibatch; 'auto' means ``min(200, n_samples)``.

    bucket_batches : int, default=1
        Length bucketing of the stochastic solvers' minibatches: each epoch's
        (shuffled) training order is cut into chunks of ``bucket_batches``
        minibatches, each chunk is sorted by sequence length and cut into
        minibatches, whose order within the chunk is shuffled again. A
        minibatch then holds sequences of similar length, so an epoch runs
        fewer time steps for the same arithmetic; 1 turns it off. Each
        minibatch's gradient is unchanged; only which sequences share a
        minibatch changes. With 10, an epoch on lengths 5 to 40 takes 10 to
        25 % less time, and accuracy on TREC did not change beyond seed noise
        (``benchmarks/RESULTS.md``).

    max_iter : int, default=100
        Epochs of a stochastic solver (iterations of 'lbfgs'). Half
        MLPClassifier's 200: a recurrent network's epoch costs more, and on
        sentence data ``tol`` or ``early_stopping`` ends training well
        before.

    tol : float, default=1e-4
        Training stops once the loss (or the validation score, with early
        stopping) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs.

    n_iter_no_change : int, default=10
        See ``tol``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when its accuracy stops improving, and keep the best weights.

    validation_fraction : float, default=0.1
        Used with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the training data every epoch.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    class_weight : dict, 'balanced' or None, default=None
        Weights multiplying the sample weights of each class; 'balanced'
        weights classes inversely to their frequency in ``y``.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the shuffling, the validation split and
        the dropout masks.

    verbose : bool, default=False
        Print one line per epoch: loss, validation score, seconds.

    warm_start : bool, default=False
        Continue from the ``weights_`` of the previous fit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_features_in_ : int
        Width of 2-D training input (steps per sequence); only set when fit
        on a 2-D array.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a 2-D DataFrame given to fit.

    input_size_ : int
        Numbers per step (the one-hot width for one-hot input).

    weights_ : dict of str -> ndarray
        Every weight and bias, in PyTorch's names, shapes and gate orders:
        ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
        ``bias_hh_l{k}`` (and ``..._reverse``), then the output layer
        ``weight_out`` (n_classes, features) and ``bias_out``; with
        ``embedding_size``, also ``weight_embedding`` (input_size, E), the
        layout of ``torch.nn.Embedding.weight``.

    loss_curve_ : list of float
        Training loss per epoch (per iteration for 'lbfgs').

    best_loss_ : float or None
        Lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        Accuracy on the held-out data per epoch, with early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Epochs (or 'lbfgs' iterations) run.

    t_ : int
        Training samples seen by the solver.

    See Also
    --------
    OneHotSequenceTransformer : Turns sentences into one-hot token sequences.
    sklearn.neural_network.MLPClassifier : Feed-forward network classifier.

    Notes
    -----
    The loss is the sample-weighted mean cross-entropy of a minibatch,
    ``sum(w_i * L_i) / sum(w_i)``, plus ``alpha / 2 * ||W||^2 / sum(w_i)``,
    so a sample of weight k counts as k copies of it. Minibatches are sorted
    by length and packed time-major, so no arithmetic is spent on padding.
    Input of dtype float32 gives a float32 model; anything else, float64.

    The two directions of a bidirectional layer train in parallel threads,
    and prediction on many sequences (`predict`, `predict_proba`, `score`)
    runs chunks of them in parallel threads: as many threads as NumPy's BLAS
    may use (threadpoolctl's limit), each with one BLAS thread; under
    ``threadpool_limits(1)`` everything runs in the calling thread.

    The defaults suit short sequences and small data. For sentence
    classification the recommended configuration, chosen on a dev split of
    the TREC training set (``benchmarks/RESULTS.md``), is
    ``make_pipeline(OneHotSequenceTransformer(min_frequency=2),
    RNNClassifier(cell='gru', hidden_size=256, embedding_size=256,
    bidirectional=True, pooling='max', dropout=0.3, input_dropout=0.3,
    learning_rate=0.002, batch_size=64, max_iter=12))``: 0.892 to 0.900 test
    accuracy on TREC over three seeds (0.902 to 0.916 with ``cell='lstm'``),
    against 0.886 for tf-idf + LogisticRegression and 0.860 for the default
    ``cell='gru'`` pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(200, 6))
    >>> y = (X[:, 0] > X[:, -1]).astype(int)   # depends on order
    >>> clf = RNNClassifier(hidden_size=16, learning_rate=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> sorted(clf.weights_)[:3]
    ['bias_hh_l0', 'bias_ih_l0', 'bias_out']
    """

    _parameter_constraints: dict = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions({"rnn", "gru", "lstm"})],
        "nonlinearity": [StrOptions({"tanh", "relu"})],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "embedding_size": [Interval(Integral, 1, None, closed="left"), None],
        "pooling": [StrOptions({"last", "mean", "max"})],
        "solver": [StrOptions({"sgd", "adagrad", "adam", "lbfgs"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "bucket_batches": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_size=64,
        *,
        cell="rnn",
        nonlinearity="tanh",
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        input_dropout=0.0,
        embedding_size=None,
        pooling="last",
        solver="adam",
        learning_rate=0.001,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=1e-4,
        max_grad_norm=None,
        batch_size="auto",
        bucket_batches=1,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        max_fun=15000,
        class_weight=None,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        self.hidden_size = hidden_size
        self.cell = cell
        self.nonlinearity = nonlinearity
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.embedding_size = embedding_size
        self.pooling = pooling
        self.solver = solver
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.max_grad_norm = max_grad_norm
        self.batch_size = batch_size
        self.bucket_batches = bucket_batches
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------
    # Input validation
    # ------------------------------------------------------------------

    def _check_sequences(self, X, *, reset):
        """Validate X into `Sequences`; with ``reset=False``, against the fit.

        Returns the sequences and whether X was a 2-D array (which sets
        ``n_features_in_`` in fit).
        """
        two_d = False
        if isinstance(X, (list, tuple)) and not len(X):
            raise ValueError(
                "X is empty: found 0 sequences, while a minimum of 1 is required."
            )
        if isinstance(X, OneHotSequences):
            sequences = from_one_hot(X)
        elif is_text(X):
            what = "a string" if isinstance(X, (str, bytes)) else "strings"
            raise TypeError(TEXT_ERROR.format(what=what))
        elif sparse.issparse(X):
            check_array(X, accept_sparse=False)  # raises scikit-learn's error
        elif is_ragged(X):
            sequences = from_ragged(X)
            if not len(sequences):
                raise ValueError("X holds 0 sequences; at least 1 is required.")
        else:
            try:
                if reset or not hasattr(self, "n_features_in_"):
                    array = check_array(
                        X,
                        dtype=(np.float64, np.float32),
                        ensure_all_finite=False,
                        allow_nd=True,
                        input_name="X",
                    )
                else:
                    array = None
            except ValueError as exc:
                if "could not convert string" in str(exc):
                    raise TypeError(TEXT_ERROR.format(what="strings")) from None
                raise
            if array is not None and array.ndim > 3:
                raise ValueError(
                    f"X has {array.ndim} dimensions; expected a 2-D array "
                    "(n_samples, n_steps), a 3-D array (n_samples, n_steps, "
                    "n_features) or a list of per-sequence arrays."
                )
            if array is None or array.ndim == 2:
                two_d = True
                if not reset:
                    try:
                        array = validate_data(
                            self,
                            X,
                            reset=False,
                            dtype=(np.float64, np.float32),
                            ensure_all_finite=False,
                        )
                    except ValueError as exc:
                        if "could not convert string" in str(exc):
                            raise TypeError(TEXT_ERROR.format(what="strings")) from None
                        raise
            elif array.shape[2] == 0:
                raise ValueError(
                    f"X has steps of 0 feature(s) (shape={array.shape}); each "
                    "step needs at least 1 number."
                )
            sequences = from_padded(array)
        if not reset:
            if sequences.input_size != self.input_size_:
                raise ValueError(
                    f"X has steps of {sequences.input_size} numbers, but "
                    f"{type(self).__name__} was fitted on steps of "
                    f"{self.input_size_} (input_size_)."
                )
            if not two_d and hasattr(self, "n_features_in_"):
                pass  # a sequence model takes any length, whatever the form
        return sequences, two_d

    def _check_y(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def _check_sample_weight(self, sample_weight, n_samples):
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
                "Sample weights must contain at least one positive value; "
                "all are zero."
            )
        return sample_weight

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), list of arrays, or OneHotSequences
            Training sequences.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : RNNClassifier
            The fitted classifier.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch over X, y, continuing from the current weights.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Training sequences, as for `fit`.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear; required on the first call,
            and when given later it must equal ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : RNNClassifier
            The updated classifier.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        first_call = not (incremental and hasattr(self, "classes_"))
        continuing = hasattr(self, "weights_") and (self.warm_start or incremental)
        if self.solver == "lbfgs" and (self.dropout or self.input_dropout):
            raise ValueError(
                "dropout and input_dropout need a stochastic solver ('adam', "
                "'sgd' or 'adagrad'): L-BFGS needs a deterministic loss. Set "
                "them to 0 or choose another solver."
            )
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which "
                "sees one chunk of the data at a time. Compute the weights with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y) on a large enough sample of y and pass "
                "them as a dict."
            )
        # weights_ may have been set by hand (say, copied from PyTorch): then
        # the input is checked against their shapes when they are packed.
        sequences, two_d = self._check_sequences(
            X, reset=not (continuing and hasattr(self, "input_size_"))
        )
        y = self._check_y(y)
        check_consistent_length(np.empty(len(sequences)), y)
        sample_weight = self._check_sample_weight(sample_weight, len(sequences))

        # Classes
        if incremental and first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every class that will ever appear in y."
                )
            all_classes = np.unique(np.asarray(classes))
        elif incremental:
            all_classes = self.classes_
            if classes is not None and not np.array_equal(
                np.unique(np.asarray(classes)), self.classes_
            ):
                raise ValueError(
                    f"classes={list(np.unique(classes))} differs from the classes "
                    f"of the first call to partial_fit, {list(self.classes_)}."
                )
        else:
            all_classes = np.unique(y)
        missing = np.setdiff1d(y, all_classes)
        if len(missing):
            raise ValueError(
                f"y contains labels {list(missing)} that are not in classes "
                f"{list(all_classes)}; pass every label in `classes`."
            )
        if len(all_classes) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but "
                f"the data contain only one class: {all_classes[0]!r}."
            )
        if continuing and hasattr(self, "classes_") and not incremental:
            if not np.array_equal(all_classes, self.classes_):
                raise ValueError(
                    "warm_start=True needs the same classes as the previous fit "
                    f"({list(self.classes_)}), got {list(all_classes)}. Set "
                    "warm_start=False to train a new model."
                )
        encoder = LabelEncoder().fit(all_classes)
        y_index = encoder.transform(y)
        if not incremental:
            weighted = np.unique(y_index[sample_weight > 0])
            if len(weighted) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes "
                    "with positive sample_weight, but only the class "
                    f"{all_classes[weighted[0]]!r} has any."
                )
        if self.class_weight is not None:
            if self.class_weight == "balanced":
                per_class = compute_class_weight(
                    "balanced", classes=np.arange(len(all_classes)), y=y_index
                )
            else:
                unknown = set(self.class_weight) - set(all_classes.tolist())
                if unknown:
                    raise ValueError(
                        f"class_weight names classes {sorted(unknown, key=str)} "
                        f"that are not in the data's classes {list(all_classes)}."
                    )
                per_class = np.array(
                    [self.class_weight.get(c, 1.0) for c in all_classes.tolist()],
                    dtype=np.float64,
                )
            sample_weight = sample_weight * per_class[y_index]

        # Model dtype: float32 end to end for float32 input.
        if continuing:
            dtype = self.weights_["weight_out"].dtype
        else:
            dtype = np.dtype(np.float32 if sequences.dtype == np.float32 else np.float64)
        sequences = sequences.astype(dtype)
        sample_weight = sample_weight.astype(dtype)

        network = self._make_network()
        layout = network.layout(sequences.input_size, len(all_classes))
        # fit draws from random_state afresh; partial_fit goes on drawing.
        rng = getattr(self, "_random_state", None) if incremental else None
        if rng is None or first_call:
            rng = check_random_state(self.random_state)
        if continuing:
            params = layout.pack(self.weights_, dtype)
            state = {
                "n_iter_": getattr(self, "n_iter_", 0),
                "t_": getattr(self, "t_", 0),
                "loss_curve_": list(getattr(self, "loss_curve_", [])),
                "best_loss_": getattr(self, "best_loss_", None),
            }
        else:
            params = network.init_params(layout, rng, dtype, sequences.one_hot)
            state = {"n_iter_": 0, "t_": 0, "loss_curve_": [], "best_loss_": None}
        # partial_fit keeps the optimizer's state; fit (warm or not) starts anew.
        optimizer = getattr(self, "_optimizer", None) if incremental else None
        if optimizer is None or not continuing:
            optimizer = self._make_optimizer()

        # The two directions of a layer run in parallel threads, where a
        # step's work is large enough to pay for it (measured: 1.1-1.3x
        # faster epochs at 3 * 256 gate units, none at 3 * 64).
        worth_it = network.cell.n_gates * network.hidden_size >= 384
        with _thread_map(network.directions if worth_it else 1) as (map_directions, _):
            network.map_directions = map_directions
            try:
                if self.solver == "lbfgs":
                    params = self._fit_lbfgs(
                        network, layout, params, sequences, y_index, sample_weight,
                        state,
                    )
                else:
                    params = self._fit_stochastic(
                        network, layout, params, optimizer, sequences, y_index,
                        sample_weight, rng, incremental, state,
                    )
            finally:
                # The pool shuts down with the block: the network goes back
                # to the builtin map rather than keep a dead pool's.
                del network.map_directions

        # Only now, with training done, does the estimator change.
        if not continuing or not incremental:
            if two_d:
                validate_data(self, X, reset=True, skip_check_array=True)
            else:
                for attribute in ("n_features_in_", "feature_names_in_"):
                    if hasattr(self, attribute):
                        delattr(self, attribute)
        self.classes_ = all_classes
        self.input_size_ = sequences.input_size
        self.weights_ = layout.views(params)
        self._optimizer = optimizer
        self._random_state = rng
        for name, value in state.items():
            setattr(self, name, value)
        return self

    def _make_network(self):
        return RecurrentNetwork(
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            pooling=self.pooling,
            nonlinearity=self.nonlinearity,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            embedding_size=self.embedding_size,
        )

    def _make_optimizer(self):
        if self.solver == "sgd":
            return SGDOptimizer(
                self.learning_rate, self.momentum, self.nesterovs_momentum
            )
        if self.solver == "adagrad":
            return AdagradOptimizer(self.learning_rate, self.epsilon)
        if self.solver == "adam":
            return AdamOptimizer(
                self.learning_rate, self.beta_1, self.beta_2, self.epsilon
            )
        return None

    def _fit_stochastic(
        self, network, layout, params, optimizer, sequences, y, sample_weight,
        rng, incremental, state,
    ):
        early_stopping = self.early_stopping and not incremental
        n = len(sequences)
        train = np.arange(n)
        validation = None
        if early_stopping:
            stratify = y if np.bincount(y).min() >= 2 else None
            train, validation = train_test_split(
                train,
                test_size=self.validation_fraction,
                random_state=rng,
                stratify=stratify,
            )
            if len(train) == 0 or len(validation) == 0:
                raise ValueError(
                    f"early_stopping with validation_fraction="
                    f"{self.validation_fraction} leaves no training or no "
                    f"validation data out of {n} samples."
                )
        if self.batch_size == "auto":
            batch_size = min(200, len(train))
        else:
            if self.batch_size > len(train) and not incremental:
                warnings.warn(
                    f"Got batch_size={self.batch_size} larger than the "
                    f"{len(train)} training samples; using one batch of all.",
                    UserWarning,
                )
            batch_size = min(self.batch_size, len(train))
        views = layout.views(params)
        grads = np.zeros_like(params)
        grad_views = layout.views(grads)
        # One-hot input, plain SGD, no penalty: the embedding's gradient is
        # kept as the rows of the batch's tokens (the dense update, exactly).
        sparse = None
        if sequences.one_hot and not self.alpha and optimizer.supports_sparse:
            sparse = RowSparseGradient(layout.size, network.sparse_blocks(layout))
        if early_stopping:
            state["validation_scores_"] = []
            state["best_validation_score_"] = -np.inf
            state["best_loss_"] = None
            best_params = params.copy()
        elif not incremental or "validation_scores_" not in state:
            state["validation_scores_"] = None
            state["best_validation_score_"] = None
        best_loss = state["best_loss_"] if state["best_loss_"] is not None else np.inf
        # Dropout noise is keyed by sequence content and epoch, not drawn in
        # batch order, so sample_weight=k equals k copies even with dropout.
        if not hasattr(self, "_noise_seed") or not incremental:
            noise_seed = int(rng.randint(2**31 - 1))
        else:
            noise_seed = self._noise_seed
        state["_noise_seed"] = noise_seed
        keys = sequences.keys() if self.dropout or self.input_dropout else None
        no_improvement = 0
        epochs = 1 if incremental else self.max_iter
        converged = False
        for epoch in range(epochs):
            start_time = time.time()
            order = rng.permutation(train) if self.shuffle else train
            if self.bucket_batches > 1:
                order = length_buckets(
                    order, sequences.lengths, batch_size, self.bucket_batches,
                    rng if self.shuffle else None,
                )
            noise = None if keys is None else DropoutNoise(
                keys, noise_seed * 1_000_003 + state["n_iter_"]
            )
            total_loss = 0.0
            for start in range(0, len(order), batch_size):
                batch = pack(sequences, order[start : start + batch_size])
                weight = sample_weight[batch.order]
                weight_sum = float(weight.sum())
                if weight_sum == 0:
                    continue
                loss = network.loss_and_gradient(
                    views, grad_views, batch, y[batch.order], weight,
                    self.alpha, noise, sparse,
                )
                if not np.isfinite(loss) or not all_finite(grads, sparse):
                    raise FloatingPointError(
                        f"The training loss became {loss} in epoch "
                        f"{state['n_iter_'] + 1}: training diverged. Lower "
                        "learning_rate, set max_grad_norm to clip the gradient, "
                        "or scale the input."
                    )
                clip_grad_norm(grads, self.max_grad_norm, sparse)
                optimizer.update_params(params, grads, sparse)
                total_loss += loss * weight_sum
            state["n_iter_"] += 1
            state["t_"] += len(order)
            epoch_loss = total_loss / float(sample_weight[order].sum())
            state["loss_curve_"].append(epoch_loss)
            message = f"Epoch {state['n_iter_']}, loss = {epoch_loss:.8f}"
            if early_stopping:
                score = accuracy_score(
                    y[validation],
                    self._predict_index(network, views, sequences, validation),
                    sample_weight=sample_weight[validation],
                )
                state["validation_scores_"].append(score)
                message += f", validation score = {score:.6f}"
                if score < state["best_validation_score_"] + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if score > state["best_validation_score_"]:
                    state["best_validation_score_"] = score
                    best_params[...] = params
            else:
                if epoch_loss > best_loss - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if epoch_loss < best_loss:
                    best_loss = epoch_loss
                state["best_loss_"] = best_loss
            if self.verbose:
                print(f"{message}, {time.time() - start_time:.2f} s")
            if not incremental and no_improvement > self.n_iter_no_change:
                converged = True
                if self.verbose:
                    what = "Validation score" if early_stopping else "Training loss"
                    print(
                        f"{what} did not improve more than tol={self.tol} for "
                        f"{self.n_iter_no_change} consecutive epochs. Stopping."
                    )
                break
        if not incremental and not converged:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        if early_stopping:
            params = best_params
        return params

    def _fit_lbfgs(self, network, layout, params, sequences, y, sample_weight, state):
        dtype = params.dtype
        views = layout.views(params)
        grads = np.zeros_like(params)
        grad_views = layout.views(grads)
        batch = pack(sequences, np.arange(len(sequences)))
        y, weight = y[batch.order], sample_weight[batch.order]
        last = {}

        def loss_and_gradient(x):
            params[...] = x
            loss = network.loss_and_gradient(
                views, grad_views, batch, y, weight, self.alpha
            )
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss became {loss}: L-BFGS diverged. Scale "
                    "the input or raise alpha."
                )
            last["loss"] = loss
            return loss, grads.astype(np.float64)

        curve = state["loss_curve_"]

        def record(intermediate_result):
            curve.append(float(intermediate_result.fun))
            if self.verbose:
                print(f"Iteration {len(curve)}, loss = {curve[-1]:.8f}")

        result = scipy.optimize.minimize(
            loss_and_gradient,
            params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            callback=record,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        if result.status != 0:
            warnings.warn(
                "lbfgs failed to converge after "
                f"{result.nit} iterations ({result.message}). Increase max_iter "
                "or max_fun, or scale the input.",
                ConvergenceWarning,
            )
        params[...] = result.x
        state["n_iter_"] += result.nit
        state["t_"] += len(sequences) * result.nit
        loss = float(result.fun)
        if not curve or curve[-1] != loss:
            curve.append(loss)
        state["best_loss_"] = min(curve)
        state["validation_scores_"] = None
        state["best_validation_score_"] = None
        return params

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _predict_index(self, network, params, sequences, indices=None):
        proba = self._proba(network, params, sequences, indices)
        return proba.argmax(axis=1)

    def _batches(self, network, sequences, indices, n_parts=1):
        """Packed batches over ``indices``, longest first, for inference.

        The sequences, sorted by decreasing length, are cut into batches of
        about equal numbers of rows (steps): as few as keep each batch's
        widest per-row array within ``_PREDICT_ELEMENTS`` elements (give or
        take one sequence; a batch holds at least one), rounded up to a
        multiple of ``n_parts``, so that ``n_parts`` threads get equal work.
        """
        lengths = sequences.lengths[indices]
        order = np.argsort(-lengths, kind="stable")
        indices = indices[order]
        rows = np.cumsum(np.maximum(lengths[order], 1))
        if len(rows) == 0:
            return
        total = int(rows[-1])
        max_rows = max(1, _PREDICT_ELEMENTS // self._prediction_width(network))
        n_batches = -(-total // max_rows)
        n_batches = -(-n_batches // n_parts) * n_parts
        # a batch ends with the last sequence that ends within a share
        shares = np.arange(1, n_batches) * (total / n_batches)
        stops = np.searchsorted(rows, shares, side="right")
        stops = np.unique(np.r_[stops[stops > 0], len(indices)])
        start = 0
        for stop in stops:
            yield pack(sequences, indices[start:stop])
            start = stop

    @staticmethod
    def _prediction_width(network):
        """Elements per row of inference's widest per-row array."""
        return network.cell.n_gates * network.hidden_size * network.directions

    def _proba(self, network, params, sequences, indices=None):
        if indices is None:
            indices = np.arange(len(sequences))
        position = np.empty(len(sequences), dtype=np.intp)
        position[indices] = np.arange(len(indices))
        proba = np.empty(
            (len(indices), params["weight_out"].shape[0]),
            dtype=params["weight_out"].dtype,
        )

        def predict(batch):
            proba[position[batch.order]] = network.predict_proba(params, batch)

        elements = int(np.maximum(sequences.lengths[indices], 1).sum())
        elements *= self._prediction_width(network)
        # Parallel over chunks of sequences, not inside each product, where
        # that pays: a gated cell's step is mostly element-wise work (one
        # thread in NumPy), an Elman step at H * directions >= 256 mostly
        # products. A small Elman step is one product and one tanh, which
        # threaded BLAS already spreads; chunks in threads were slower there
        # (benchmarks/RESULTS.md).
        worth_it = network.cell.n_gates > 1 or (
            network.hidden_size * network.directions >= 256
        )
        parallel = worth_it and elements >= _PARALLEL_ELEMENTS
        max_workers = len(indices) if parallel else 1
        with _thread_map(max_workers) as (map_chunks, n_workers):
            batches = self._batches(network, sequences, indices, n_workers)
            for _ in map_chunks(predict, batches):
                pass
        return proba

    def _validated(self, X):
        check_is_fitted(self)
        sequences, _ = self._check_sequences(X, reset=False)
        return sequences.astype(self.weights_["weight_out"].dtype)

    def predict_proba(self, X):
        """Probability of each class for each sequence.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Sequences, as for `fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; float32 for a float32 model.
        """
        sequences = self._validated(X)
        return self._proba(self._make_network(), self.weights_, sequences)

    def predict_log_proba(self, X):
        """Logarithm of `predict_proba`.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Sequences, as for `fit`.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Natural logarithm of the class probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class of each sequence.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Sequences, as for `fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def hidden_states(self, X, layer=-1):
        """The hidden states the network computes while reading each sequence.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Sequences, as for `fit`.
        layer : int, default=-1
            Which recurrent layer (negative counts from the last).

        Returns
        -------
        states : list of ndarray of shape (length_i, hidden_size * directions)
            One array per sequence, step by step, no padding; with
            ``bidirectional=True`` the forward direction's units come first,
            and row t of the backward half is the state after reading steps
            t .. length_i - 1.
        """
        sequences = self._validated(X)
        if not isinstance(layer, Integral) or not (
            -self.num_layers <= layer < self.num_layers
        ):
            raise ValueError(
                f"layer={layer!r} is not a layer of a network with "
                f"num_layers={self.num_layers}; use an int in "
                f"[{-self.num_layers}, {self.num_layers - 1}]."
            )
        network = self._make_network()
        states = [None] * len(sequences)
        for batch in self._batches(network, sequences, np.arange(len(sequences))):
            out = network.hidden_states(self.weights_, batch, layer)
            for j, (i, length) in enumerate(zip(batch.order, batch.lengths)):
                states[i] = out[batch.step_starts[:length] + j]
        return states

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
