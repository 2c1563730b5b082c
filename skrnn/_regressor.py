"""RNNRegressor: the scikit-learn regressor around `RecurrentNetwork`.

The shared training skeleton lives in `_base.py` and `_sequence_to_one.py`,
the identity output and its
halved squared error in `_network.py`; this module holds what is particular
to regression: numeric targets, one or several outputs, and R².
"""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from ._base import _FitData, _stochastic
from ._sequence_to_one import BaseSequenceToOne


class RNNRegressor(RegressorMixin, BaseSequenceToOne):
    """Recurrent neural network regressor, trained by backpropagation through time.

    Reads each sequence step by step, carrying a hidden state
    ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or a GRU or
    LSTM cell), and maps a summary of the states to one or several numbers
    with a linear output layer. Unlike a feed-forward model of a fixed-width
    table it sees the order of the steps, and it reads sequences of any
    length: the lag between two events, a quantity from a sensor trace, a
    score from a sentence.

    ``X`` takes every form `RNNClassifier` takes: a 2-D array
    (n_samples, n_steps) of univariate sequences, a 3-D array
    (n_samples, n_steps, n_features), a list of 1-D or 2-D arrays of
    differing lengths, or the `OneHotSequences` made by
    `OneHotSequenceTransformer`. In arrays, steps that are entirely NaN at
    the end of a row are padding.

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
        None: the first layer reads the input itself. An int E puts a learned
        linear map without bias in front, ``e_t = x_t W_emb``
        (``weights_['weight_embedding']``, shape (input_size, E)): for
        one-hot input a lookup table, as ``torch.nn.Embedding(V, E)``.

    direct_order : int, default=0
        Direct n-gram connections (Mikolov et al. 2011, RNNME), for token
        input: the sequence's n-grams of token ids of orders 1 ..
        ``direct_order`` are hashed into the rows of a table
        ``weights_['weight_direct']`` (``direct_size``, n_outputs), and the
        rows of its n-grams are added to the output layer's logits, trained
        jointly with the recurrent part. A linear model of n-grams beside the
        network: the network learns what word order says, the table what a
        few words say. 0 (the default) turns them off; 2 or 3 are usual.
        Numeric (non-token) X is refused while it is set.

    direct_size : int or None, default=None
        Rows of the direct table. None: the largest power of two whose
        table holds at most 2**19 numbers (2**18 rows for two outputs),
        between 2**10 and 2**20 rows. n-grams that hash to one row share it.

    direct_learning_rate : float or None, default=None
        The direct table's own learning rate (the table of a sentence's
        n-grams, each seen once an epoch, learns little at the network's
        rate). None: 25 times ``learning_rate``. The table is L2-penalised by
        ``alpha`` as the other weight matrices. With 'sgd' (no momentum),
        'adagrad' and 'lazy_adam', each step updates only the rows of the
        minibatch's n-grams; 'adam' updates every row, as for the other
        weights.

    direct_values : {'presence', 'frequency'}, default='presence'
        What an n-gram adds: its row once however often it occurs
        ('presence'), or its row times its count divided by the sequence's
        number of n-grams ('frequency').

    direct_epochs : int or None, default=None
        Train the direct table and the network in two stages rather than
        jointly (None): during the first ``direct_epochs`` epochs only the
        table and the output bias train, with the network's output weights
        held at zero, a linear model of n-grams; then the table is frozen,
        a fixed offset to the logits, and the network trains on what it
        leaves. Trained jointly, the table learns the training sentences'
        n-grams faster than the network and takes their gradient; in two
        stages the network learns the rest. Needs ``direct_order`` and a
        stochastic solver. The epochs count in ``max_iter``, ``n_iter_``
        and ``partial_fit`` calls.

    pooling : {'last', 'mean', 'max'}, default='last'
        The summary of a sequence fed to the output layer: the last layer's
        final state (both directions' when bidirectional), or the mean or
        element-wise max of its outputs over the steps.

    solver : {'adam', 'lazy_adam', 'sgd', 'adagrad', 'lbfgs'}, default='adam'
        The optimizer. 'lbfgs' is full-batch L-BFGS from
        `scipy.optimize.minimize`; the others are minibatch methods.
        'lazy_adam' is Adam that, for one-hot input, updates only the
        embedding rows of the minibatch's tokens (see `RNNClassifier`); for
        other input it is Adam.

    learning_rate : float, default=0.01
        Step size of the stochastic solvers. Ten times `RNNClassifier`'s
        (and MLPRegressor's): with 'auto' batches a data set of up to 200
        sequences gets one step per epoch, and at 0.001 a GRU or LSTM had
        not learned scikit-learn's own regression check (R² > 0.5 on 200
        samples) after the 100 epochs of ``max_iter``.

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
        step of a stochastic solver; None turns clipping off. Try 1.0 to 5.0
        with plain SGD or when training diverges.

    batch_size : int or 'auto', default='auto'
        Sequences per minibatch; 'auto' means ``min(200, n_samples)``.

    bucket_batches : int, default=1
        Length bucketing of the stochastic solvers' minibatches, as in
        `RNNClassifier`: minibatches of sequences of similar length; 1 turns
        it off.

    average : bool, int, float or 'auto', default=False
        Weight averaging (Polyak-Ruppert, as ``SGDClassifier(average=...)``):
        after each update from a starting point on, the weights join a
        running mean, and the mean is what ``weights_`` holds, what
        predicts, what early stopping scores and what is exported. True
        starts at the first update, an int n once n samples were seen (as
        SGDClassifier), a float f in (0, 1) after f * ``max_iter`` epochs
        (0.5: the second half of the epochs); the ``tol`` rule does not stop
        training before averaging has begun. It makes the result depend
        less on the seed and on where training stopped. The early updates of
        a network from random weights are far from the end, so a float
        serves better than True. ``partial_fit`` and ``warm_start`` continue
        the average (from the trained, not the averaged, weights).
        'auto' is 0.5 with a stochastic solver, and no averaging with
        'lbfgs' or ``early_stopping`` (RNNClassifier's default).

    max_iter : int, default=100
        Epochs of a stochastic solver (iterations of 'lbfgs').

    tol : float, default=1e-4
        Training stops once the loss (or the validation score, with early
        stopping) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs.

    n_iter_no_change : int, default=10
        See ``tol``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, stop when its
        (sample-weighted) R² stops improving, and keep the best weights.

    validation_fraction : float, default=0.1
        Used with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the training data every epoch.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the shuffling, the validation split and
        the dropout masks.

    verbose : bool, default=False
        Print one line per epoch: loss, validation score, seconds.

    warm_start : bool, default=False
        Continue from the ``weights_`` of the previous fit.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets: 1 for a 1-D ``y``, else ``y.shape[1]``.

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
        ``weight_out`` (n_outputs, features) and ``bias_out`` (n_outputs,),
        the layout of ``torch.nn.Linear``; with ``embedding_size``, also
        ``weight_embedding`` (input_size, E); with ``direct_order``, also
        ``weight_direct`` (direct_size, n_outputs), the direct connections'
        table, which no PyTorch module holds. With ``average``, the averaged
        weights.

    loss_ : float
        Training loss of the last epoch (of the last iteration for 'lbfgs').

    loss_curve_ : list of float
        Training loss per epoch (per iteration for 'lbfgs').

    best_loss_ : float or None
        Lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        R² of the held-out data per epoch, with early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Epochs (or 'lbfgs' iterations) run.

    t_ : int
        Training samples seen by the solver.

    See Also
    --------
    RNNClassifier : The recurrent classifier, for class labels.
    SequenceScaler : Standardises the steps of numeric sequences.
    sklearn.compose.TransformedTargetRegressor : Scales the target.
    sklearn.neural_network.MLPRegressor : Feed-forward network regressor.

    Notes
    -----
    The output layer is linear (the identity activation) and the loss is
    the halved squared error averaged over the outputs, as in scikit-learn's
    MLPRegressor: ``L_i = 1/2 * mean_k (o_ik - y_ik)^2``. A minibatch's loss
    is its sample-weighted mean, ``sum(w_i * L_i) / sum(w_i)``, plus
    ``alpha / 2 * ||W||^2 / sum(w_i)`` over the weight matrices, so a sample
    of weight k counts as k copies of it. Because of the 1/2, the loss and
    its gradient are half of PyTorch's ``MSELoss`` (which is the plain mean
    over samples and outputs); with plain SGD, ``learning_rate=2 * lr``
    takes the step PyTorch takes with ``lr``. Early stopping scores the
    held-out part with the sample-weighted R² (`sklearn.metrics.r2_score`,
    averaged over the outputs). As in MLPRegressor, a 2-D ``y`` of one
    column is taken as 1-D (with a ``DataConversionWarning``) and predicted
    as shape (n_samples,). Input of dtype float32 gives a float32 model and
    float32 predictions; anything else, float64.

    The targets are not scaled internally, as in MLPRegressor: the loss,
    ``loss_curve_``, ``tol`` and ``weights_`` stay in the units of ``y``,
    and a model moved to PyTorch predicts the same numbers. But the network
    starts with outputs near 0, Adam's steps are about ``learning_rate`` in
    size, and ``tol`` and ``alpha`` are in units of the loss, so targets far
    from unit scale (in the thousands, or all near 0.01) train slowly or
    badly. Wrap the regressor in
    ``TransformedTargetRegressor(regressor=..., transformer=StandardScaler())``
    to train on standardised targets and predict in the original units.
    Measured by 5-fold cross-validation repeated 3 times on the training
    part of Covid3Month (death rates of mean 0.037 and standard deviation
    0.040, ``benchmarks/ts_regression.py --cv``), RMSE: ``RNNRegressor()``
    0.0572 on the raw target, 0.0398 standardised; the recommended
    configuration of that script (arcsinh, `SequenceScaler`,
    `SequenceWindows`, L-BFGS with ``alpha=10``) 0.0400 raw, the training
    mean's score (its penalty dwarfs a loss of 0.001), and 0.0391
    standardised.
    Input steps are not scaled either: put `SequenceScaler` in front of
    numeric sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(300, 6))
    >>> y = X[:, 0] - X[:, -1]   # depends on order
    >>> reg = RNNRegressor(hidden_size=16, random_state=0)
    >>> reg.fit(X, y).score(X, y) > 0.9
    True
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> reg.fit(X, np.c_[y, -y]).predict(X[:2]).shape
    (2, 2)
    """

    _output = "identity"

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
        direct_order=0,
        direct_size=None,
        direct_learning_rate=None,
        direct_values="presence",
        direct_epochs=None,
        pooling="last",
        solver="adam",
        learning_rate=0.01,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=1e-4,
        max_grad_norm=None,
        batch_size="auto",
        bucket_batches=1,
        average=False,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        max_fun=15000,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        super().__init__(
            hidden_size,
            cell=cell,
            nonlinearity=nonlinearity,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            input_dropout=input_dropout,
            embedding_size=embedding_size,
            direct_order=direct_order,
            direct_size=direct_size,
            direct_learning_rate=direct_learning_rate,
            direct_values=direct_values,
            direct_epochs=direct_epochs,
            pooling=pooling,
            solver=solver,
            learning_rate=learning_rate,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            alpha=alpha,
            max_grad_norm=max_grad_norm,
            batch_size=batch_size,
            bucket_batches=bucket_batches,
            average=average,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            max_fun=max_fun,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences X and targets y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_steps) or (n_samples, n_steps, \
n_features), list of arrays, or OneHotSequences
            Training sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (finite numbers).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : RNNRegressor
            The fitted regressor.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, *, sample_weight=None):
        """Train for one epoch over X, y, continuing from the current weights.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Training sequences, as for `fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values; as many outputs as in the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the loss.

        Returns
        -------
        self : RNNRegressor
            The updated regressor.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit_data(self, sequences, y, sample_weight, *, incremental, classes,
                  continuing):
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        check_consistent_length(np.empty(len(sequences)), y)
        y = check_array(
            y, ensure_2d=False, allow_nd=True, dtype=None,
            ensure_all_finite=False, ensure_min_samples=0, ensure_min_features=0,
            input_name="y",
        )
        if y.ndim > 2:
            raise ValueError(
                f"y has {y.ndim} dimensions (shape={y.shape}); {name} takes y of "
                "shape (n_samples,) or (n_samples, n_outputs): one number, or "
                "one row of numbers, per sequence."
            )
        if y.dtype.kind in "OUS":
            try:
                y = y.astype(np.float64) if y.dtype.kind == "O" else None
            except (TypeError, ValueError):
                y = None
            if y is None:
                raise ValueError(
                    f"{name} predicts numbers, but y holds strings or other "
                    "non-numeric values. For class labels use RNNClassifier; "
                    "for numbers given as text, convert y with "
                    "y.astype(float) first."
                )
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} needs real-valued targets, but y has dtype {y.dtype}."
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # as MLPRegressor: 1-D from here
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 0:
            raise ValueError(
                f"y has shape {y.shape}: 0 outputs; {name} needs at least 1."
            )
        finite = np.isfinite(y)
        if not finite.all():
            what = "NaN" if np.isnan(y).any() else "infinity"
            first = int(np.nonzero(~finite.reshape(len(y), -1).all(axis=1))[0][0])
            raise ValueError(
                f"Input y contains {what} (first at sample {first}). {name} "
                "needs a finite target for every sequence: drop or impute the "
                "samples with missing targets."
            )
        targets = y.reshape(len(y), -1)  # (n_samples, n_outputs) for the loss
        n_outputs = targets.shape[1]
        if continuing and hasattr(self, "n_outputs_") and n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} output(s), but {name} was fitted on "
                f"{self.n_outputs_}. partial_fit and warm_start need the same "
                "number of outputs; set warm_start=False to train a new model."
            )
        return _FitData(
            sequences, targets, sample_weight, n_outputs, {"n_outputs_": n_outputs}
        )

    def _split_validation(self, data, rng):
        train, validation = super()._split_validation(data, rng)
        if len(validation) < 2:
            raise ValueError(
                f"early_stopping with validation_fraction={self.validation_fraction} "
                f"holds out {len(validation)} of {len(data.sequences)} samples, "
                "but R² needs at least 2. Raise validation_fraction or set "
                "early_stopping=False."
            )
        return train, validation

    def _validation_score(self, targets, output, sample_weight):
        return r2_score(targets, output, sample_weight=sample_weight)

    def predict(self, X):
        """Predicted target of each sequence.

        Parameters
        ----------
        X : array-like, list of arrays, or OneHotSequences
            Sequences, as for `fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when the model has one output (``n_outputs_ == 1``); float32
            for a float32 model.
        """
        output = self._predict_output(X)
        return output.ravel() if output.shape[1] == 1 else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
