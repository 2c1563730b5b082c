"""The sequence-to-one estimators' part of the skeleton: one output per sequence.

`BaseSequenceToOne` adds to `BaseRNN` what `RNNClassifier` and
`RNNRegressor` share and a language model has not: X of numbers or of
tokens, a pooled summary of each sequence (``pooling``), minibatches of
whole sequences with optional length bucketing (``bucket_batches``),
full-batch L-BFGS (``solver='lbfgs'``, ``max_fun``), early stopping scored
from the network's output, prediction and ``hidden_states``. A subclass
says what its targets are (`_fit_data`) and how held-out data are scored
from the output (`_validation_score`).
"""

import warnings
from abc import abstractmethod

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import StrOptions

from . import _inference
from ._base import BaseRNN, _weights_sound, diverged, fitted_network
from ._optimizers import all_finite
from ._sequences import length_buckets, pack
from ._validation import Count, check_layer, check_sequences


class BaseSequenceToOne(BaseRNN):
    """Base class of the recurrent estimators with one output per sequence;
    not for direct use."""

    _architecture = BaseRNN._architecture + ("pooling", "direct_values")

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        "pooling": [StrOptions({"last", "mean", "max"})],
        "solver": [StrOptions({"sgd", "adagrad", "adam", "lazy_adam", "lbfgs"})],
        "bucket_batches": [Count(1)],
        "max_fun": [Count(1)],
        "direct_values": [StrOptions({"presence", "frequency"})],
        "direct_epochs": [Count(1), None],
    }

    def __init__(self, hidden_size, *, pooling, bucket_batches, max_fun, direct_values,
                 direct_epochs, **shared):
        super().__init__(hidden_size, **shared)
        self.direct_values = direct_values
        self.direct_epochs = direct_epochs
        self.pooling = pooling
        self.bucket_batches = bucket_batches
        self.max_fun = max_fun

    @abstractmethod
    def _validation_score(self, targets, output, sample_weight):
        """Score of held-out data from the network's output (higher is better)."""

    def _check_input(self, X, *, reset):
        sequences, form, _ = check_sequences(X, self, reset=reset, kind=self._input_kind)
        return sequences, form.two_d

    def _check_fit_options(self, incremental):
        super()._check_fit_options(incremental)
        if self.solver == "lbfgs" and (self.dropout or self.input_dropout):
            raise ValueError(
                "dropout and input_dropout need a stochastic solver ('adam', "
                "'sgd' or 'adagrad'): L-BFGS needs a deterministic loss. Set "
                "them to 0 or choose another solver."
            )
        if self.direct_epochs is not None and not self.direct_order:
            raise ValueError(
                f"direct_epochs={self.direct_epochs} trains the direct n-gram "
                "table alone first, but direct_order=0 has none. Set "
                "direct_order (2 is usual) or direct_epochs=None."
            )
        if self.direct_epochs is not None and self.solver == "lbfgs":
            raise ValueError(
                f"direct_epochs={self.direct_epochs} trains in two stages of "
                "epochs, which 'lbfgs' has not. Choose a stochastic solver or "
                "set direct_epochs=None."
            )
        if self.solver == "lbfgs" and self.average not in (False, "auto"):
            raise ValueError(
                f"average={self.average!r} averages the weights of a stochastic "
                "solver's updates; L-BFGS converges to one point, which it "
                "returns. Set average=False or choose another solver."
            )

    def _network_options(self):
        return {
            "bidirectional": self.bidirectional,
            "pooling": self.pooling,
            "direct_values": self.direct_values,
        }

    def _make_optimizer(self, previous=None):
        return None if self.solver == "lbfgs" else super()._make_optimizer(previous)

    def _initial_params(self, network, layout, rng, data):
        params, attributes = super()._initial_params(network, layout, rng, data)
        if self.direct_epochs is not None:
            # the network's logits are zero while the table trains alone
            params[layout.slices["weight_out"]] = 0
        return params, attributes

    def _block_factors(self, state):
        """With ``direct_epochs``, the two stages: during the first
        ``direct_epochs`` epochs only the direct table and the output bias
        move (the network, its output weights at zero, is frozen: factor
        0); from then on the table is frozen and the rest trains."""
        factors = super()._block_factors(state)
        if self.direct_epochs is None:
            return factors
        if state.history.n_iter < self.direct_epochs:
            frozen = {name: 0.0 for name in state.layout.slices}
            return {**frozen, "bias_out": 1.0, "weight_direct": factors["weight_direct"]}
        return {"weight_direct": 0.0}

    def _train(self, state, incremental):
        if self.solver == "lbfgs":
            return self._fit_lbfgs(state)
        return self._fit_stochastic(state, incremental)

    def _train_epoch(self, state, order):
        """One epoch of minibatches of whole sequences (length-bucketed with
        ``bucket_batches``); returns the epoch's (sample-weighted mean)
        training loss."""
        data = state.data
        sequences, targets, sample_weight = data.sequences, data.targets, data.sample_weight
        batch_size = state.batch_size
        if self.bucket_batches > 1:
            order = length_buckets(
                order, sequences.lengths, batch_size, self.bucket_batches,
                state.rng if self.shuffle else None,
            )
        total_loss = 0.0
        for start in range(0, len(order), batch_size):
            batch = pack(sequences, order[start : start + batch_size])
            weight = sample_weight[batch.order]
            weight_sum = float(weight.sum())
            if weight_sum == 0:
                state.samples += batch.batch
                continue
            loss = state.network.loss_and_gradient(
                state.views, state.grad_views, batch, targets[batch.order], weight,
                self.alpha, state.noise, state.row_sparse,
            )
            loss = self._step(state, loss, weight_sum, batch.batch)
            total_loss += loss * weight_sum
        return total_loss / float(sample_weight[order].sum())

    def _outputs_finite(self, state, params):
        output = _inference.predict(state.network, params, state.data.sequences)
        return bool(np.isfinite(output).all())

    def _held_out_score(self, state, params, validation):
        data = state.data
        output = _inference.predict(state.network, params, data.sequences, validation)
        return self._validation_score(
            data.targets[validation], output, data.sample_weight[validation]
        )

    def _fit_lbfgs(self, state):
        """Step 3 for 'lbfgs': full-batch L-BFGS-B from SciPy."""
        data, history, params = state.data, state.history, state.params
        network, views, grads = state.network, state.views, state.grads
        batch = pack(data.sequences, np.arange(len(data.sequences)))
        targets = data.targets[batch.order]
        weight = data.sample_weight[batch.order]

        def loss_and_gradient(x):
            params[...] = x
            loss = network.loss_and_gradient(
                views, state.grad_views, batch, targets, weight, self.alpha
            )
            if not np.isfinite(loss) or not all_finite(grads):
                raise diverged(
                    f"L-BFGS reached a loss of {loss}",
                    advice="a larger alpha, or scaled inputs (SequenceScaler) and targets",
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
        if not _weights_sound(params):
            raise diverged("L-BFGS ended at weights too large or not finite")
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

    def _predict_output(self, X):
        """The network's output for X: probabilities or values."""
        output = _inference.predict(*fitted_network(self, X))
        if not np.isfinite(output).all():
            raise ValueError(
                f"{type(self).__name__} computed NaN or infinite outputs for X: "
                "its values are too large for the network's arithmetic. Scale "
                "them as the training data were (SequenceScaler)."
            )
        return output

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
        check_layer(layer, self.num_layers)
        return _inference.hidden_states(network, params, sequences, layer)

