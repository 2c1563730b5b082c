"""The training skeleton every recurrent estimator uses as it is.

`BaseRNN` holds what `RNNClassifier`, `RNNRegressor` and `RNNLanguageModel`
share, as scikit-learn's ``BaseMultilayerPerceptron`` serves
``MLPClassifier`` and ``MLPRegressor``: the parameters of the recurrent
layers and of the solver, and one fit in four steps,

1. validate: the parameters (on every call that trains), the input
   (`_check_input`) and the targets (`_fit_data`), before any work;
2. prepare: the network, its parameters (new, or continued from the fit
   before), a copy of the optimizer and of the random state;
3. train: minibatch epochs (`_train_epoch`), each minibatch one `_step`,
   with early stopping (`_held_out_score`), the convergence test and
   weight averaging (`average`);
4. commit: only now does the estimator change, so a fit that fails,
   midway through training included, leaves it exactly as it was.

What a subclass must supply is abstract: how it reads X (`_check_input`),
what its targets are (`_fit_data`), how an epoch cuts the data into
minibatches (`_train_epoch`) and how held-out data are scored
(`_held_out_score`). The sequence-to-one parts (pooling, length bucketing,
L-BFGS, class or regression targets) live in `_sequence_to_one.py`; the
next-token parts in `_language_model.py`. The arithmetic lives in
`_network.py`, `_cells.py` and `_optimizers.py`; prediction in
`_inference.py`; the input checks in `_validation.py`.
"""

import copy
import inspect
import math
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._averaging import WeightAverage
from ._cells import CELLS
from ._network import DropoutNoise, RecurrentNetwork
from ._optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    RowSparseGradient,
    SGDOptimizer,
    all_finite,
    clip_grad_norm,
)
from ._parallel import thread_map
from ._validation import Count, check_sample_weight, set_table_attributes

# The default size of the direct connections' table, in numbers: rows x
# outputs (`BaseRNN._direct_rows`). 2**19 floats are 4 MiB in float64, a
# table that dense Adam updates at every step for little cost.
DIRECT_ENTRIES = 2**19
# Weights beyond this magnitude make `BaseRNN._check_trained_model` check the
# outputs; no healthy fit comes near it.
LARGE_WEIGHT = 1e4


def diverged(what, advice=(
    "a lower learning_rate, max_grad_norm (say 1.0) to clip the gradient, "
    "or scaled inputs (SequenceScaler) and targets"
)):
    """The `ValueError` of a fit whose loss or weights became non-finite."""
    return ValueError(
        f"Training diverged: {what}. The estimator is left as it was before "
        f"this call. Try {advice}."
    )


def _weights_sound(params):
    """Whether the weights' norm is at most the fourth root of the dtype's
    largest number (1e77 in float64, 4e9 in float32): a few products of
    such weights already overflow, and no healthy fit comes near it."""
    with np.errstate(over="ignore", invalid="ignore"):
        squares = np.dot(params, params)
    return bool(squares <= np.sqrt(np.finfo(params.dtype).max))


def _stochastic(estimator):
    """`available_if` condition of ``partial_fit``."""
    if getattr(estimator, "solver", None) == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for stochastic solvers "
            f"('sgd', 'adagrad', 'adam', 'lazy_adam'), not "
            f"solver={estimator.solver!r}."
        )
    return True


def fitted_network(estimator, X):
    """What a fitted recurrent estimator computes with, for X.

    Returns ``(network, params, sequences)``: its `RecurrentNetwork`, its
    parameters (``weights_``) and X validated into `Sequences` of the model's
    dtype; the arguments of the functions of `skrnn._inference`.
    """
    sequences = estimator._validated(X)  # first: it checks the fit
    return estimator._make_network(), estimator.weights_, sequences


class _FitData:
    """A fit's validated input: sequences, targets, sample weights.

    ``targets`` is what the network's loss reads (class indices, values);
    for a language model, whose targets are the next tokens, the `_Chunks`
    that cut the sequences into (token, next token) pairs.
    ``target_attributes`` are the fitted attributes that describe the
    targets (``{"classes_": ...}``), set when the fit commits.
    ``pretraining`` holds every sequence and its weight, labelled or not,
    for a classifier that pretrains (else None).
    """

    def __init__(self, sequences, targets, sample_weight, n_outputs,
                 target_attributes, pretraining=None):
        self.sequences = sequences
        self.targets = targets
        self.sample_weight = sample_weight
        self.n_outputs = n_outputs
        self.target_attributes = target_attributes
        self.pretraining = pretraining
        self.two_d = False  # X was a 2-D array: sets n_features_in_


class _History:
    """What training records; becomes the fitted attributes of the same names
    (``n_iter_``, ``t_``, ``loss_curve_``, ...) when the fit commits."""

    def __init__(self, estimator=None):
        self.n_iter = getattr(estimator, "n_iter_", 0)
        self.t = getattr(estimator, "t_", 0)
        self.loss_curve = list(getattr(estimator, "loss_curve_", []))
        self.best_loss = getattr(estimator, "best_loss_", None)
        self.validation_scores = getattr(estimator, "validation_scores_", None)
        self.best_validation_score = getattr(estimator, "best_validation_score_", None)
        # the seed of the dropout noise, which partial_fit keeps drawing from
        self.noise_seed = getattr(estimator, "_noise_seed", None)

    def commit(self, estimator):
        estimator.n_iter_ = self.n_iter
        estimator.t_ = self.t
        estimator.loss_curve_ = self.loss_curve
        estimator.loss_ = self.loss_curve[-1] if self.loss_curve else None
        estimator.best_loss_ = self.best_loss
        estimator.validation_scores_ = self.validation_scores
        estimator.best_validation_score_ = self.best_validation_score
        if self.noise_seed is not None:
            estimator._noise_seed = self.noise_seed


class _TrainingState:
    """One fit's training, as the epoch and step functions read and update it.

    ``params`` and ``grads`` are the flat vectors, ``views`` and
    ``grad_views`` their named views (PyTorch's names and shapes);
    ``average`` the `WeightAverage` (or None); ``samples`` counts the
    samples seen, minibatch by minibatch (where averaging by samples
    starts); ``row_sparse`` and ``noise`` are set by the stochastic loop.
    """

    def __init__(self, network, layout, params, optimizer, rng, history, data,
                 average):
        self.network = network
        self.layout = layout
        self.params = params
        self.views = layout.views(params)
        self.grads = np.zeros_like(params)
        self.grad_views = layout.views(self.grads)
        self.optimizer = optimizer
        self.rng = rng
        self.history = history
        self.data = data
        self.average = average
        self.samples = history.t
        self.row_sparse = None
        self.noise = None
        self.batch_size = None

    def predicting_params(self):
        """The flat parameters prediction uses now: the average, once
        averaging has started, else the trained ones."""
        if self.average is not None and self.average.count:
            return self.average.mean
        return self.params


class BaseRNN(BaseEstimator, metaclass=ABCMeta):
    """Base class of the recurrent estimators; not for direct use.

    Subclasses set ``_output`` (the network's output, a key of
    `skrnn._network.OUTPUTS`) and implement the abstract hooks; see the
    module docstring.
    """

    _output = None
    # What X a subclass takes (`skrnn._validation`), and the advice its
    # error for text gives.
    _input_kind = "any"
    # the parameters that shape the network: changing one after fit makes
    # ``weights_`` another model's (`_check_architecture`)
    _architecture = (
        "cell", "hidden_size", "num_layers", "bidirectional", "nonlinearity",
        "embedding_size", "direct_order", "direct_size",
    )
    # The direct table's default learning rate, as a multiple of the
    # network's (``direct_learning_rate=None``). A sequence-to-one model
    # sees each sentence's n-grams once an epoch: alone at the network's
    # rate its table learned little (issue 27). A language model sees them
    # at every token: at 25 times the rate its table overfits (benchmarks/
    # language_model.py).
    _direct_rate = 25

    _parameter_constraints: dict = {
        "hidden_size": [Count(1)],
        "cell": [StrOptions({"rnn", "gru", "lstm"})],
        "nonlinearity": [StrOptions({"tanh", "relu"})],
        "num_layers": [Count(1)],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "embedding_size": [Count(1), None],
        "direct_order": [Count(0)],
        "direct_size": [Count(1), None],
        "direct_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "solver": [StrOptions({"sgd", "adagrad", "adam", "lazy_adam"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [StrOptions({"auto"}), Count(1)],
        "average": [
            StrOptions({"auto"}), "boolean", Count(1),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "max_iter": [Count(1)],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Count(1)],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        hidden_size,
        *,
        cell,
        nonlinearity,
        num_layers,
        bidirectional,
        dropout,
        input_dropout,
        embedding_size,
        direct_order,
        direct_size,
        direct_learning_rate,
        solver,
        learning_rate,
        momentum,
        nesterovs_momentum,
        beta_1,
        beta_2,
        epsilon,
        alpha,
        max_grad_norm,
        batch_size,
        average,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        shuffle,
        random_state,
        verbose,
        warm_start,
    ):
        self.hidden_size = hidden_size
        self.cell = cell
        self.nonlinearity = nonlinearity
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.embedding_size = embedding_size
        self.direct_order = direct_order
        self.direct_size = direct_size
        self.direct_learning_rate = direct_learning_rate
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
        self.average = average
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------
    # What each estimator supplies
    # ------------------------------------------------------------------

    @abstractmethod
    def _check_input(self, X, *, reset):
        """X validated into `Sequences`, and whether it was a 2-D array (which
        sets ``n_features_in_`` in fit); with ``reset=False``, against the fit."""

    @abstractmethod
    def _fit_data(self, sequences, y, sample_weight, *, incremental, classes,
                  continuing):
        """The `_FitData` of a fit: y checked against this fit (and,
        continuing, the previous one), as the network's loss reads it."""

    @abstractmethod
    def _train_epoch(self, state, order):
        """One epoch of minibatch steps (each `_step`) over the training
        sequences in ``order``; returns the epoch's mean training loss."""

    @abstractmethod
    def _outputs_finite(self, state, params):
        """Whether the network's outputs on the training sequences are all
        finite under the parameter views ``params``."""

    @abstractmethod
    def _held_out_score(self, state, params, validation):
        """Score (higher is better) of the held-out sequences ``validation``
        under the parameter views ``params`` (early stopping)."""

    # ------------------------------------------------------------------
    # Hooks with a default
    # ------------------------------------------------------------------

    def _check_trained_model(self, state):
        """The last check before commit: a model whose weights grew large
        (beyond `LARGE_WEIGHT`: no healthy fit comes near) must still compute
        finite outputs on its training data, else training diverged. (Each
        minibatch's loss was finite, but the last updates were never
        evaluated.)"""
        params = state.predicting_params()
        if not _weights_sound(params):
            raise diverged("the weights became too large or not finite")
        if np.abs(params).max() <= LARGE_WEIGHT:
            return
        if not self._outputs_finite(state, state.layout.views(params)):
            raise diverged(
                "the last updates made weights so large (up to "
                f"{np.abs(params).max():.3g}) that the network's outputs on the "
                "training data overflow"
            )

    def _check_fit_options(self, incremental):
        """Combinations of parameters that no input can make work."""
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it trains "
                "one epoch on the data it is given and keeps no held-out set. "
                "Set early_stopping=False and score your own validation data "
                "between partial_fit calls, or use fit."
            )

    def _network_options(self):
        """Keyword arguments of `RecurrentNetwork` beyond the shared ones."""
        return {"bidirectional": self.bidirectional}

    def _direct_rows(self, n_outputs):
        """Rows of the direct connections' table (None without them):
        ``direct_size``, or by default the largest power of two whose table
        holds at most `DIRECT_ENTRIES` numbers (from 2**10 to 2**20 rows)."""
        if not self.direct_order:
            return None
        if self.direct_size is not None:
            return self.direct_size
        rows = 2 ** int(np.floor(np.log2(max(1, DIRECT_ENTRIES // n_outputs))))
        return int(min(max(rows, 2**10), 2**20))

    def _initial_params(self, network, layout, rng, data):
        """The parameters a new (not continuing) fit starts from, and the
        fitted attributes that describe how they were made."""
        return network.init_params(layout, rng, data.sample_weight.dtype,
                                   data.sequences.one_hot), {}

    def _stratify(self, targets):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    def _train(self, state, incremental):
        """Step 3: train ``state`` and return the final flat parameters."""
        return self._fit_stochastic(state, incremental)

    # ------------------------------------------------------------------
    # Fitting: validate, prepare, train, commit
    # ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        if incremental:
            # scikit-learn validates the parameters of a fitted estimator's
            # partial_fit no more (`_fit_context`); they may have changed
            self._validate_params()
        self._check_fit_options(incremental)
        continuing = hasattr(self, "weights_") and (self.warm_start or incremental)
        if continuing and incremental:
            self._check_architecture()
        data = self._validate_fit_data(
            X, y, sample_weight, incremental, classes, continuing
        )
        # The two directions of a layer run in parallel threads, where a
        # step's work is large enough to pay for it (benchmarks/threads.py).
        worth_it = CELLS[self.cell].n_gates * self.hidden_size >= 384
        max_workers = 2 if worth_it and self.bidirectional else 1
        with thread_map(max_workers) as (map_directions, _):
            state, attributes = self._prepare(
                data, incremental, continuing, map_directions
            )
            params = self._train(state, incremental)
            self._check_trained_model(state)
        self._commit(X, state, params, attributes, continuing, incremental)
        return self

    def _validate_fit_data(self, X, y, sample_weight, incremental, classes, continuing):
        """Step 1: every check of X, y and sample_weight, before any work."""
        # weights_ may have been set by hand (say, copied from PyTorch): then
        # the input is checked against their shapes when they are packed.
        sequences, two_d = self._check_input(
            X, reset=not (continuing and hasattr(self, "input_size_"))
        )
        self._check_direct_input(sequences)
        sample_weight = check_sample_weight(sample_weight, len(sequences))
        data = self._fit_data(
            sequences, y, sample_weight, incremental=incremental, classes=classes,
            continuing=continuing,
        )
        # Model dtype: float32 end to end for float32 input.
        if continuing:
            dtype = self.weights_["weight_out"].dtype
        else:
            dtype = np.dtype(np.float32 if sequences.dtype == np.float32 else np.float64)
        data.sequences = data.sequences.astype(dtype)
        data.sample_weight = data.sample_weight.astype(dtype)
        if isinstance(data.targets, np.ndarray) and data.targets.dtype.kind == "f":
            data.targets = data.targets.astype(dtype, copy=False)  # regression
        if data.pretraining is not None:
            pretraining_sequences, pretraining_weight = data.pretraining
            data.pretraining = (
                pretraining_sequences.astype(dtype), pretraining_weight.astype(dtype)
            )
        data.two_d = two_d
        return data

    def _prepare(self, data, incremental, continuing, map_directions):
        """Step 2: the `_TrainingState` to train, and the fitted attributes
        that describe how its parameters were made. What the estimator
        keeps (optimizer, random state, averaged weights) is copied, not
        taken, so that the estimator stays as it was until `_commit`."""
        dtype = data.sample_weight.dtype
        network = self._make_network(map_directions, data.n_outputs)
        layout = network.layout(data.sequences.input_size, data.n_outputs)
        first_call = not (incremental and hasattr(self, "_random_state"))
        # fit draws from random_state afresh; partial_fit goes on drawing.
        rng = (
            check_random_state(self.random_state)
            if first_call else copy.deepcopy(self._random_state)
        )
        attributes = {}
        average = self._weight_average(continuing)
        if continuing:
            params = self._continued_params(layout, dtype)
            history = _History(self)
        else:
            params, attributes = self._initial_params(network, layout, rng, data)
            history = _History()
        # partial_fit keeps the optimizer's state; fit (warm or not) starts anew.
        previous = getattr(self, "_optimizer", None) if incremental and continuing else None
        optimizer = self._make_optimizer(previous)
        state = _TrainingState(
            network, layout, params, optimizer, rng, history, data, average
        )
        return state, attributes

    def _continued_params(self, layout, dtype):
        """The flat parameters a continuing fit starts from: the trained
        (not the averaged) ones where the fit before averaged, else
        ``weights_`` (which may have been set by hand)."""
        trained = getattr(self, "_trained_params", None)
        if trained is not None and trained.size == layout.size:
            return trained.astype(dtype, copy=True)
        return layout.pack(self.weights_, dtype)

    def _direct_learning_rate(self):
        """``direct_learning_rate``, by default ``_direct_rate`` times
        ``learning_rate``."""
        if self.direct_learning_rate is None:
            return self._direct_rate * self.learning_rate
        return self.direct_learning_rate

    def _average_rule(self):
        """`average` with 'auto' resolved: the second half of the epochs
        (0.5) for a stochastic solver, none (False) for 'lbfgs', which
        converges to one point, and with early stopping, which keeps the
        best epoch's weights and would otherwise wait for half the epochs."""
        if isinstance(self.average, str):  # 'auto'
            if self.solver == "lbfgs" or self.early_stopping:
                return False
            return 0.5
        return self.average

    def _weight_average(self, continuing):
        """The `WeightAverage` of this fit (None without averaging): the
        previous fit's, copied, when continuing."""
        if not self._average_rule():
            return None
        previous = getattr(self, "_average_state", None)
        if continuing and previous is not None:
            return copy.deepcopy(previous)
        return WeightAverage()

    def _averaging_now(self, state):
        """Whether the update just made joins the average (`average`)."""
        average = self._average_rule()
        if isinstance(average, (bool, np.bool_)):
            return bool(average)
        if isinstance(average, Integral):  # samples seen, as SGDClassifier
            return state.samples >= average
        # a fraction of max_iter epochs, after which averaging starts
        return state.history.n_iter >= math.ceil(average * self.max_iter)

    def _commit(self, X, state, params, attributes, continuing, incremental):
        """Step 4: only now, with training done, does the estimator change."""
        data = state.data
        if not continuing or not incremental:
            set_table_attributes(self, X, data.two_d)
        for name, value in {**data.target_attributes, **attributes}.items():
            setattr(self, name, value)
        self.input_size_ = data.sequences.input_size
        if state.average is not None and state.average.count:
            self.weights_ = state.layout.views(state.average.mean)
            self._trained_params = params
        else:
            self.weights_ = state.layout.views(params)
            self._trained_params = None
        self._average_state = state.average
        self._optimizer = state.optimizer
        self._random_state = state.rng
        self._fitted_architecture = {
            name: getattr(self, name) for name in self._architecture
        }
        state.history.commit(self)

    def _make_network(self, map_directions=map, n_outputs=None):
        """The network of the parameters (of the fitted model's outputs, or
        of ``n_outputs`` in a fit)."""
        if n_outputs is None:
            n_outputs = self.weights_["weight_out"].shape[0]
        return RecurrentNetwork(
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            nonlinearity=self.nonlinearity,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            embedding_size=self.embedding_size,
            output=self._output,
            map_directions=map_directions,
            direct_size=self._direct_rows(n_outputs),
            direct_order=self.direct_order,
            **self._network_options(),
        )

    def _make_optimizer(self, previous=None):
        """The solver's optimizer, with today's parameters; continuing from
        a copy of the state of ``previous`` (partial_fit) when it is of the
        same kind."""
        if self.solver == "sgd":
            optimizer = SGDOptimizer(
                self.learning_rate, self.momentum, self.nesterovs_momentum
            )
        elif self.solver == "adagrad":
            optimizer = AdagradOptimizer(self.learning_rate, self.epsilon)
        else:
            optimizer = AdamOptimizer(
                self.learning_rate, self.beta_1, self.beta_2, self.epsilon,
                lazy=self.solver == "lazy_adam",
            )
        if type(previous) is type(optimizer) and previous.state == optimizer.state:
            optimizer.t = previous.t
            for name in optimizer.state:
                value = getattr(previous, name)
                setattr(optimizer, name, None if value is None else value.copy())
        return optimizer

    def _split_validation(self, data, rng):
        """Indices of the training and the held-out part (early stopping)."""
        n = len(data.sequences)
        train, validation = train_test_split(
            np.arange(n),
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=self._stratify(data.targets),
        )
        if len(train) == 0 or len(validation) == 0:
            raise ValueError(
                f"early_stopping with validation_fraction="
                f"{self.validation_fraction} leaves no training or no "
                f"validation data out of {n} samples."
            )
        return train, validation

    def _training_batch_size(self, n_train, incremental):
        if self.batch_size == "auto":
            return min(200, n_train)
        if self.batch_size > n_train and not incremental:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the "
                f"{n_train} training samples; using one batch of all.",
                UserWarning,
            )
        return min(self.batch_size, n_train)

    def _fit_stochastic(self, state, incremental):
        """Step 3 for the stochastic solvers: minibatch epochs (each
        `_train_epoch`), early stopping and the convergence test. Returns
        the final flat parameters (the trained ones; the average, if any,
        is in ``state.average``)."""
        data, history, params = state.data, state.history, state.params
        early_stopping = self.early_stopping  # never with partial_fit
        if early_stopping:
            train, validation = self._split_validation(data, state.rng)
            history.validation_scores = []
            history.best_validation_score = -np.inf
            history.best_loss = None
            best = (params.copy(), copy.deepcopy(state.average))
        else:
            train = np.arange(len(data.sequences))
            if not incremental:
                history.validation_scores = None
                history.best_validation_score = None
        state.batch_size = self._training_batch_size(len(train), incremental)
        # One-hot input: the embedding's gradient is kept as the rows of the
        # batch's tokens, where the optimizer's update of those rows alone is
        # the dense update exactly (plain SGD or Adagrad, no penalty), or is
        # what was asked for (lazy Adam, whose penalty is on those rows too).
        updates = state.optimizer.sparse_updates
        if data.sequences.one_hot and (
            updates == "lazy" or (updates == "exact" and not self.alpha)
        ):
            state.row_sparse = RowSparseGradient(
                state.layout.size, state.network.sparse_blocks(state.layout)
            )
        best_loss = np.inf if history.best_loss is None else history.best_loss
        # Dropout noise is keyed by sequence content and epoch, not drawn in
        # batch order, so sample_weight=k equals k copies even with dropout.
        if not incremental or history.noise_seed is None:
            history.noise_seed = int(state.rng.randint(2**31 - 1))
        keys = self._dropout_keys(data) if self.dropout or self.input_dropout else None
        no_improvement = 0
        epochs = 1 if incremental else self.max_iter
        converged = False
        fit_start = time.time()
        last_epoch = history.n_iter + epochs  # shown as "Epoch k/last"
        for _ in range(epochs):
            start_time = time.time()
            self._set_block_factors(state)
            order = state.rng.permutation(train) if self.shuffle else train
            state.noise = None if keys is None else DropoutNoise(
                keys, history.noise_seed * 1_000_003 + history.n_iter
            )
            epoch_loss = self._train_epoch(state, order)
            if not _weights_sound(params):
                raise diverged(
                    f"the weights became too large or not finite in epoch "
                    f"{history.n_iter + 1}"
                )
            history.n_iter += 1
            history.t += len(order)
            history.loss_curve.append(epoch_loss)
            message = f"Epoch {history.n_iter}"
            if not incremental:
                message += f"/{last_epoch}"
            message += f", loss = {epoch_loss:.8f}"
            if early_stopping:
                views = state.layout.views(state.predicting_params())
                score = self._held_out_score(state, views, validation)
                history.validation_scores.append(score)
                message += f", validation score = {score:.6f}"
                if score < history.best_validation_score + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if score > history.best_validation_score:
                    history.best_validation_score = score
                    best = (params.copy(), copy.deepcopy(state.average))
            else:
                if epoch_loss > best_loss - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                best_loss = min(best_loss, epoch_loss)
                history.best_loss = best_loss
            if self.verbose:
                now = time.time()
                print(
                    f"{message}, {now - start_time:.2f} s ({now - fit_start:.1f} s "
                    "in all)",
                    flush=True,
                )
            # no stop before averaging has begun: the average would be empty
            averaging = state.average is None or state.average.count > 0
            if not incremental and averaging and no_improvement > self.n_iter_no_change:
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
            params[...], state.average = best
        return params

    def _block_factors(self, state):
        """``{parameter name: factor}``: the learning rates of this epoch,
        as factors on ``learning_rate`` (the parameters not named: 1). The
        direct table learns at its own rate."""
        return {"weight_direct": self._direct_learning_rate() / self.learning_rate}

    def _set_block_factors(self, state):
        """At the start of each epoch of a stochastic solver: every
        parameter block's learning-rate factor (`_block_factors`; 1 for the
        blocks it does not name)."""
        factors = self._block_factors(state)
        for name, where in state.layout.slices.items():
            state.optimizer.set_block_factor(where, factors.get(name, 1.0))

    def _step(self, state, loss, weight_sum, n_samples):
        """The update after a minibatch's `loss_and_gradient` (into
        ``state.grads``): the penalty of row-sparse rows, the divergence
        check, clipping, the optimizer step (its halves in the fit's
        threads, if any) and the average. Returns the minibatch's loss
        (with that penalty)."""
        params, grads, row_sparse = state.params, state.grads, state.row_sparse
        if row_sparse is not None and self.alpha:
            loss += row_sparse.add_penalty(params, self.alpha / weight_sum)
        if not np.isfinite(loss) or not all_finite(grads, row_sparse):
            what = (
                f"the training loss became {loss}"
                if not np.isfinite(loss) else "the gradient became NaN or infinite"
            )
            raise diverged(f"{what} in epoch {state.history.n_iter + 1}")
        clip_grad_norm(grads, self.max_grad_norm, row_sparse)
        state.optimizer.update_params(
            params, grads, row_sparse, state.network.map_directions
        )
        state.samples += n_samples
        if state.average is not None and self._averaging_now(state):
            state.average.update(params)
        return loss

    def _dropout_keys(self, data):
        """Content keys of what a minibatch packs (`DropoutNoise`)."""
        return data.sequences.keys()

    # ------------------------------------------------------------------
    # Prediction
    # ------------------------------------------------------------------

    def _check_architecture(self):
        """Refuse to go on with ``weights_`` made by another architecture:
        a parameter that shapes the network changed since fit."""
        fitted = getattr(self, "_fitted_architecture", None)
        if fitted is None:  # weights_ set by hand: their shapes are checked
            return
        changed = [
            name for name in self._architecture
            if name in fitted and getattr(self, name) != fitted[name]
            and not (name == "nonlinearity" and self.cell != "rnn")
        ]
        if changed:
            what = ", ".join(
                f"{name}={fitted[name]!r} to {getattr(self, name)!r}" for name in changed
            )
            raise ValueError(
                f"{type(self).__name__} was fitted with another architecture: "
                f"{what} since fit, so weights_ no longer fit the network. Set "
                "the fitted value back, or fit again."
            )

    def _check_direct_input(self, sequences):
        """Direct connections read the n-grams of token sequences."""
        if self.direct_order and not sequences.one_hot:
            raise ValueError(
                f"direct_order={self.direct_order} wires the n-grams of token "
                "sequences to the output, but X holds numeric sequences. Set "
                "direct_order=0, or give token sequences (the OneHotSequences "
                "of OneHotSequenceTransformer)."
            )

    def _validated(self, X):
        """X as fitted `Sequences` in the model's dtype (for prediction)."""
        check_is_fitted(self)
        self._check_architecture()
        sequences, _ = self._check_input(X, reset=False)
        self._check_direct_input(sequences)
        return sequences.astype(self.weights_["weight_out"].dtype)

    # What a parameter added later meant before it existed, where its default
    # is not that: a model saved before averaging was trained without it.
    _VALUE_BEFORE_IT_EXISTED = {"average": False}

    def __setstate__(self, state):
        # A model saved before a parameter existed (average, direct_order,
        # ...) loads with that parameter at the value it was trained with:
        # its default, unless the default has turned it on since.
        defaults = {
            name: parameter.default
            for name, parameter in inspect.signature(type(self).__init__).parameters.items()
            if parameter.default is not inspect.Parameter.empty
        }
        defaults.update(self._VALUE_BEFORE_IT_EXISTED)
        state = {**{k: v for k, v in defaults.items() if k not in state}, **state}
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
