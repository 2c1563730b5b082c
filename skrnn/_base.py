"""The skeleton every recurrent estimator shares: validate, prepare, train, commit.

`BaseRNN` holds the scikit-learn contract common to the classifier and the
regressor, as scikit-learn's ``BaseMultilayerPerceptron`` serves
``MLPClassifier`` and ``MLPRegressor``: the parameters, the sequence input
checks, the minibatch and L-BFGS training loops, early stopping, and the
all-or-nothing commit of a fit (a fit that fails leaves the estimator as it
was). A subclass says what its targets are (`_validate_targets`), which
output the network ends in (``_output``), and how held-out data are scored
(`_validation_score`). The arithmetic lives in `_network.py`, `_cells.py`
and `_optimizers.py`; prediction in `_inference.py`.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from . import _inference
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
from ._parallel import thread_map
from ._validation import ACCEPTED_X, check_sequence_array
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

# what every estimator on sequences takes, for its error messages
ACCEPTED_INPUT = f"{ACCEPTED_X}, or the OneHotSequences of OneHotSequenceTransformer"


def _stochastic(estimator):
    """`available_if` condition of ``partial_fit``."""
    if estimator.solver == "lbfgs":
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
    """A fit's validated input: sequences, encoded targets, sample weights."""

    def __init__(self, sequences, targets, sample_weight, n_outputs, two_d,
                 target_attributes):
        self.sequences = sequences
        self.targets = targets
        self.sample_weight = sample_weight
        self.n_outputs = n_outputs
        self.two_d = two_d
        # fitted attributes describing the targets, e.g. {"classes_": ...}
        self.target_attributes = target_attributes
        # (sequences, sample_weight) of every sample, labelled or not, for
        # pretraining (`BaseRNN._labelled`); None without
        self.pretraining = None


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


class BaseRNN(BaseEstimator):
    """Base class of the recurrent estimators; not for direct use.

    Subclasses set ``_output`` (the network's output, a key of
    `skrnn._network.OUTPUTS`) and implement `_validate_targets` and
    `_validation_score` (and `_stratify` to stratify early stopping's split).
    """

    _output = None

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
        "solver": [StrOptions({"sgd", "adagrad", "adam", "lazy_adam", "lbfgs"})],
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
        pooling,
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
        bucket_batches,
        max_iter,
        tol,
        n_iter_no_change,
        early_stopping,
        validation_fraction,
        shuffle,
        max_fun,
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
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------------
    # Subclass hooks
    # ------------------------------------------------------------------

    def _validate_targets(self, y, sample_weight, incremental, classes):
        """Check y against this fit (and, continuing, the previous one).

        Returns ``(targets, n_outputs, sample_weight, target_attributes)``:
        the targets as the network's loss reads them, the width of the output
        layer, the sample weights (times any class weights), and the fitted
        attributes that describe the targets (``{"classes_": ...}``), which
        the estimator takes when the fit commits.
        """
        raise NotImplementedError

    def _validation_score(self, targets, output, sample_weight):
        """Score of held-out data from the network's output (higher is better)."""
        raise NotImplementedError

    def _stratify(self, targets):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    # ------------------------------------------------------------------
    # Input validation
    # ------------------------------------------------------------------

    def _check_sequences(self, X, *, reset):
        """Validate X into `Sequences`; with ``reset=False``, against the fit.

        Returns the sequences and whether X was a 2-D array (which sets
        ``n_features_in_`` in fit). A 2-D array (n, T) and its 3-D form
        (n, T, 1) are the same univariate sequences: a model fitted on either
        predicts both. ``n_features_in_``, the width T of a fitted 2-D array,
        is checked against 2-D input only, as in every scikit-learn
        estimator; the other forms hold sequences of any length.
        """
        name = type(self).__name__
        if isinstance(X, (list, tuple)) and not len(X):
            raise ValueError(
                "X is empty: found 0 sequences, while a minimum of 1 is required."
            )
        two_d = False
        if isinstance(X, OneHotSequences):
            sequences = from_one_hot(X)
        elif is_text(X):
            what = "a string" if isinstance(X, (str, bytes)) else "strings"
            raise TypeError(TEXT_ERROR.format(name=name, what=what))
        elif scipy.sparse.issparse(X):
            raise TypeError(
                f"{name} does not take a sparse matrix. It takes {ACCEPTED_INPUT}; "
                "for token sequences use OneHotSequenceTransformer."
            )
        elif is_ragged(X):
            sequences = from_ragged(X, name=name)
        else:
            array = check_sequence_array(X, name)
            two_d = array.ndim == 2
            if two_d and not reset:
                # scikit-learn's own checks and messages: feature names, width
                validate_data(self, X, reset=False, skip_check_array=True)
            sequences = from_padded(array)
        if not reset and sequences.input_size != self.input_size_:
            raise ValueError(
                f"X has steps of {sequences.input_size} numbers, but {name} was "
                f"fitted on steps of {self.input_size_} (input_size_)."
            )
        return sequences, two_d

    @staticmethod
    def _check_sample_weight(sample_weight, n_samples):
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

    def _check_fit_options(self, incremental):
        """Combinations of parameters that no input can make work."""
        if self.solver == "lbfgs" and (self.dropout or self.input_dropout):
            raise ValueError(
                "dropout and input_dropout need a stochastic solver ('adam', "
                "'sgd' or 'adagrad'): L-BFGS needs a deterministic loss. Set "
                "them to 0 or choose another solver."
            )
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: it trains "
                "one epoch on the data it is given and keeps no held-out set. "
                "Set early_stopping=False and score your own validation data "
                "between partial_fit calls, or use fit."
            )

    # ------------------------------------------------------------------
    # Fitting: validate, prepare, train, commit
    # ------------------------------------------------------------------

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        self._check_fit_options(incremental)
        continuing = hasattr(self, "weights_") and (self.warm_start or incremental)
        data = self._validate_fit_data(
            X, y, sample_weight, incremental, classes, continuing
        )
        dtype, layout, params, optimizer, rng, history = self._prepare(
            data, incremental, continuing
        )
        # The two directions of a layer run in parallel threads, where a
        # step's work is large enough to pay for it (benchmarks/threads.py).
        worth_it = self._make_network().cell.n_gates * self.hidden_size >= 384
        max_workers = 2 if worth_it and self.bidirectional else 1
        with thread_map(max_workers) as (map_directions, _):
            network = self._make_network(map_directions)
            if self.solver == "lbfgs":
                params = self._fit_lbfgs(network, layout, params, data, history)
            else:
                params = self._fit_stochastic(
                    network, layout, params, optimizer, data, rng, incremental,
                    history,
                )
        self._commit(X, data, layout, params, optimizer, rng, history, continuing,
                     incremental)
        return self

    def _validate_fit_data(self, X, y, sample_weight, incremental, classes, continuing):
        """Step 1: every check of X, y and sample_weight, before any work."""
        # weights_ may have been set by hand (say, copied from PyTorch): then
        # the input is checked against their shapes when they are packed.
        sequences, two_d = self._check_sequences(
            X, reset=not (continuing and hasattr(self, "input_size_"))
        )
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        check_consistent_length(np.empty(len(sequences)), y)
        sample_weight = self._check_sample_weight(sample_weight, len(sequences))
        # Model dtype: float32 end to end for float32 input.
        if continuing:
            dtype = self.weights_["weight_out"].dtype
        else:
            dtype = np.dtype(np.float32 if sequences.dtype == np.float32 else np.float64)
        pretraining = None
        labelled = self._labelled(sequences, y, sample_weight, incremental, continuing)
        if labelled is not None:
            # every sequence (labelled or not) goes to pretraining; only the
            # labelled ones to the estimator's own loss, targets and split
            mask, y = labelled
            pretraining = (sequences.astype(dtype), sample_weight.astype(dtype))
            sequences = sequences.take(np.flatnonzero(mask))
            y, sample_weight = y[mask], sample_weight[mask]
        targets, n_outputs, sample_weight, target_attributes = self._validate_targets(
            y, sample_weight, incremental, classes
        )
        data = _FitData(
            sequences.astype(dtype),
            targets,
            sample_weight.astype(dtype),
            n_outputs,
            two_d,
            target_attributes,
        )
        data.pretraining = pretraining
        return data

    def _labelled(self, sequences, y, sample_weight, incremental, continuing):
        """Hook for pretraining: None (every sample is the estimator's), or
        ``(mask, y)``: y as an array and which of its samples are labelled.
        The other samples then serve `_pretrain` only, and every sample is
        in ``data.pretraining``."""
        return None

    def _pretrain(self, network, layout, params, data, rng):
        """Hook for pretraining: the initial parameters of a new fit (not a
        continuing one) from the freshly initialized ``params``, and the
        fitted attributes that describe what was done (a dict, set when the
        fit commits). ``data.pretraining`` holds every sequence and its
        sample weight when `_labelled` returned a mask, else None."""
        return params, {}

    def _prepare(self, data, incremental, continuing):
        """Step 2: the parameters, optimizer, random state and history to train."""
        dtype = data.sample_weight.dtype
        network = self._make_network()
        layout = network.layout(data.sequences.input_size, data.n_outputs)
        first_call = not (incremental and hasattr(self, "_random_state"))
        # fit draws from random_state afresh; partial_fit goes on drawing.
        rng = check_random_state(self.random_state) if first_call else self._random_state
        if continuing:
            params = layout.pack(self.weights_, dtype)
            history = _History(self)
        else:
            params = network.init_params(layout, rng, dtype, data.sequences.one_hot)
            history = _History()
            params, attributes = self._pretrain(network, layout, params, data, rng)
            data.target_attributes.update(attributes)
        # partial_fit keeps the optimizer's state; fit (warm or not) starts anew.
        optimizer = getattr(self, "_optimizer", None) if incremental else None
        if optimizer is None or not continuing:
            optimizer = self._make_optimizer()
        return dtype, layout, params, optimizer, rng, history

    def _commit(self, X, data, layout, params, optimizer, rng, history, continuing,
                incremental):
        """Step 4: only now, with training done, does the estimator change."""
        if not continuing or not incremental:
            if data.two_d:
                validate_data(self, X, reset=True, skip_check_array=True)
            else:
                for attribute in ("n_features_in_", "feature_names_in_"):
                    if hasattr(self, attribute):
                        delattr(self, attribute)
        for name, value in data.target_attributes.items():
            setattr(self, name, value)
        self.input_size_ = data.sequences.input_size
        self.weights_ = layout.views(params)
        self._optimizer = optimizer
        self._random_state = rng
        history.commit(self)

    def _make_network(self, map_directions=map):
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
            output=self._output,
            map_directions=map_directions,
        )

    def _make_optimizer(self):
        if self.solver == "sgd":
            return SGDOptimizer(
                self.learning_rate, self.momentum, self.nesterovs_momentum
            )
        if self.solver == "adagrad":
            return AdagradOptimizer(self.learning_rate, self.epsilon)
        if self.solver in ("adam", "lazy_adam"):
            return AdamOptimizer(
                self.learning_rate, self.beta_1, self.beta_2, self.epsilon,
                lazy=self.solver == "lazy_adam",
            )
        return None

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

    def _fit_stochastic(
        self, network, layout, params, optimizer, data, rng, incremental, history
    ):
        """Step 3 for 'sgd', 'adagrad' and 'adam': minibatch epochs (each
        `_train_epoch`), early stopping and the convergence test."""
        sequences = data.sequences
        early_stopping = self.early_stopping  # never with partial_fit
        if early_stopping:
            train, validation = self._split_validation(data, rng)
            history.validation_scores = []
            history.best_validation_score = -np.inf
            history.best_loss = None
            best_params = params.copy()
        else:
            train = np.arange(len(sequences))
            if not incremental:
                history.validation_scores = None
                history.best_validation_score = None
        batch_size = self._training_batch_size(len(train), incremental)
        views = layout.views(params)
        grads = np.zeros_like(params)
        grad_views = layout.views(grads)
        # One-hot input: the embedding's gradient is kept as the rows of the
        # batch's tokens, where the optimizer's update of those rows alone is
        # the dense update exactly (plain SGD or Adagrad, no penalty), or is
        # what was asked for (lazy Adam, whose penalty is on those rows too).
        row_sparse = None
        updates = optimizer.sparse_updates
        if sequences.one_hot and (
            updates == "lazy" or (updates == "exact" and not self.alpha)
        ):
            row_sparse = RowSparseGradient(layout.size, network.sparse_blocks(layout))
        best_loss = np.inf if history.best_loss is None else history.best_loss
        # Dropout noise is keyed by sequence content and epoch, not drawn in
        # batch order, so sample_weight=k equals k copies even with dropout.
        if not incremental or history.noise_seed is None:
            history.noise_seed = int(rng.randint(2**31 - 1))
        noise_seed = history.noise_seed
        keys = self._dropout_keys(data) if self.dropout or self.input_dropout else None
        no_improvement = 0
        epochs = 1 if incremental else self.max_iter
        converged = False
        fit_start = time.time()
        last_epoch = history.n_iter + epochs  # shown as "Epoch k/last"
        for _ in range(epochs):
            start_time = time.time()
            order = rng.permutation(train) if self.shuffle else train
            noise = None if keys is None else DropoutNoise(
                keys, noise_seed * 1_000_003 + history.n_iter
            )
            epoch_loss = self._train_epoch(
                network, views, grad_views, params, grads, optimizer, data, order,
                batch_size, noise, row_sparse, rng, history,
            )
            history.n_iter += 1
            history.t += len(order)
            history.loss_curve.append(epoch_loss)
            message = f"Epoch {history.n_iter}"
            if not incremental:
                message += f"/{last_epoch}"
            message += f", loss = {epoch_loss:.8f}"
            if early_stopping:
                score = self._held_out_score(network, views, data, validation)
                history.validation_scores.append(score)
                message += f", validation score = {score:.6f}"
                if score < history.best_validation_score + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if score > history.best_validation_score:
                    history.best_validation_score = score
                    best_params[...] = params
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
        return best_params if early_stopping else params

    def _train_epoch(
        self, network, views, grad_views, params, grads, optimizer, data, order,
        batch_size, noise, row_sparse, rng, history,
    ):
        """One epoch of minibatch steps over the sequences in ``order``;
        returns the epoch's (sample-weighted mean) training loss."""
        sequences, targets, sample_weight = (
            data.sequences, data.targets, data.sample_weight
        )
        if self.bucket_batches > 1:
            order = length_buckets(
                order, sequences.lengths, batch_size, self.bucket_batches,
                rng if self.shuffle else None,
            )
        total_loss = 0.0
        for start in range(0, len(order), batch_size):
            batch = pack(sequences, order[start : start + batch_size])
            weight = sample_weight[batch.order]
            weight_sum = float(weight.sum())
            if weight_sum == 0:
                continue
            loss = network.loss_and_gradient(
                views, grad_views, batch, targets[batch.order], weight,
                self.alpha, noise, row_sparse,
            )
            loss = self._step(
                params, grads, optimizer, loss, weight_sum, row_sparse, history,
                network.map_directions,
            )
            total_loss += loss * weight_sum
        return total_loss / float(sample_weight[order].sum())

    def _step(self, params, grads, optimizer, loss, weight_sum, row_sparse, history,
              map_parts=map):
        """The update after a minibatch's `loss_and_gradient`: the penalty of
        row-sparse rows, the divergence check, clipping, the optimizer step
        (its halves through ``map_parts``: the threads of the fit, if any).
        Returns the minibatch's loss (with that penalty)."""
        if row_sparse is not None and self.alpha:
            loss += row_sparse.add_penalty(params, self.alpha / weight_sum)
        if not np.isfinite(loss) or not all_finite(grads, row_sparse):
            raise FloatingPointError(
                f"The training loss became {loss} in epoch "
                f"{history.n_iter + 1}: training diverged. Lower "
                "learning_rate, set max_grad_norm to clip the gradient, "
                "or scale the input."
            )
        clip_grad_norm(grads, self.max_grad_norm, row_sparse)
        optimizer.update_params(params, grads, row_sparse, map_parts)
        return loss

    def _dropout_keys(self, data):
        """Content keys of what a minibatch packs (`DropoutNoise`)."""
        return data.sequences.keys()

    def _held_out_score(self, network, views, data, validation):
        """Score of the held-out sequences ``validation`` (early stopping)."""
        output = _inference.predict(network, views, data.sequences, validation)
        return self._validation_score(
            data.targets[validation], output, data.sample_weight[validation]
        )

    def _fit_lbfgs(self, network, layout, params, data, history):
        """Step 3 for 'lbfgs': full-batch L-BFGS-B from SciPy."""
        views = layout.views(params)
        grads = np.zeros_like(params)
        grad_views = layout.views(grads)
        batch = pack(data.sequences, np.arange(len(data.sequences)))
        targets = data.targets[batch.order]
        weight = data.sample_weight[batch.order]

        def loss_and_gradient(x):
            params[...] = x
            loss = network.loss_and_gradient(
                views, grad_views, batch, targets, weight, self.alpha
            )
            if not np.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss became {loss}: L-BFGS diverged. Scale "
                    "the input or raise alpha."
                )
            return loss, grads.astype(np.float64)

        curve = history.loss_curve

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
        history.n_iter += result.nit
        history.t += len(data.sequences) * result.nit
        loss = float(result.fun)
        if not curve or curve[-1] != loss:
            curve.append(loss)
        history.best_loss = min(curve)
        history.validation_scores = None
        history.best_validation_score = None
        return params

    # ------------------------------------------------------------------
    # Prediction and inspection
    # ------------------------------------------------------------------

    def _validated(self, X):
        """X as fitted `Sequences` in the model's dtype (for prediction)."""
        check_is_fitted(self)
        sequences, _ = self._check_sequences(X, reset=False)
        return sequences.astype(self.weights_["weight_out"].dtype)

    def _predict_output(self, X):
        """The network's output for X: probabilities or values."""
        return _inference.predict(*fitted_network(self, X))

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
        network, params, sequences = fitted_network(self, X)
        if not isinstance(layer, Integral) or not (
            -self.num_layers <= layer < self.num_layers
        ):
            raise ValueError(
                f"layer={layer!r} is not a layer of a network with "
                f"num_layers={self.num_layers}; use an int in "
                f"[{-self.num_layers}, {self.num_layers - 1}]."
            )
        return _inference.hidden_states(network, params, sequences, layer)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
