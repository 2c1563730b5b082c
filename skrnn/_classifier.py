"""RNNClassifier: the scikit-learn classifier around `RecurrentNetwork`.

The shared training skeleton lives in `_base.py` and `_sequence_to_one.py`,
pretraining in `_pretraining.py`; this module holds what is particular to
classification: labels and classes, class weights, and probabilities.
"""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.metrics import accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from . import _pretraining
from ._base import _FitData, _stochastic
from ._language_model import RNNLanguageModel
from ._sequence_to_one import BaseSequenceToOne
from ._validation import Count


def _partial_fit_available(estimator):
    """`available_if` condition of ``partial_fit``."""
    return _stochastic(estimator) and _pretraining.partial_fit_available(estimator)


class RNNClassifier(ClassifierMixin, BaseSequenceToOne):
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

    pooling : {'last', 'mean', 'max'}, default='max'
        The summary of a sequence fed to the output layer: the last layer's
        final state (both directions' when bidirectional), or the mean or
        element-wise max of its outputs over the steps. 'max', the default,
        lets a feature seen anywhere count, not only what the last state
        kept; it served sentences and raw series alike
        (``benchmarks/RESULTS.md``, "defaults.py").

    solver : {'adam', 'lazy_adam', 'sgd', 'adagrad', 'lbfgs'}, default='adam'
        The optimizer. 'lbfgs' is full-batch L-BFGS from
        `scipy.optimize.minimize`; the others are minibatch methods.
        'lazy_adam' is Adam that, for one-hot input, updates only the
        embedding rows (columns of the first ``W_ih``) of the minibatch's
        tokens, their moments and their L2 penalty included, as
        TensorFlow's LazyAdam and PyTorch's SparseAdam: a step then costs
        O(tokens in the minibatch) rather than O(vocabulary), which matters
        for vocabularies of 10^5 words. Unlike Adam, a word's moments do not
        decay while it is absent, its penalty acts only while it is present,
        and ``loss_curve_`` counts only those rows' penalty (lower than
        Adam's, not comparable). For other input it is Adam.

    learning_rate : float, default=0.002
        Step size of the stochastic solvers. Twice MLPClassifier's 0.001:
        with the second half of the epochs averaged (``average='auto'``) it
        scored higher than 0.001 on the text dev tasks (seed 0) of
        ``benchmarks/defaults.py`` (``benchmarks/RESULTS.md``).

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
        minibatch changes. Worth trying (10) when lengths vary widely.

    average : 'auto', bool, int or float, default='auto'
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
        serves better than True. 'auto' (the default) is 0.5 with a
        stochastic solver, and no averaging with 'lbfgs' (which converges
        to one point) or ``early_stopping`` (which keeps the best epoch's
        weights, and would otherwise not stop before half of ``max_iter``).
        ``partial_fit`` and ``warm_start`` continue the average (from the
        trained, not the averaged, weights).

    max_iter : int, default=100
        Epochs of a stochastic solver (iterations of 'lbfgs'). Half
        MLPClassifier's 200: a recurrent network's epoch costs more, and
        ``tol`` or ``early_stopping`` usually ends training before, though
        not before averaging has begun (half of them with ``average='auto'``).
        On a few dozen long series (one minibatch per epoch), use the
        time-series configuration of the user guide rather than more epochs.

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

    pretraining : None, int or RNNLanguageModel, default=None
        Start the recurrent layers and the embedding from next-token
        language models (`RNNLanguageModel`) trained on the training
        sequences, labelled or not; needs token sequences (the
        `OneHotSequences` of `OneHotSequenceTransformer`).

        - None: random initialization, as PyTorch's.
        - int n: a language model with this classifier's ``cell``,
          ``hidden_size``, ``num_layers``, ``embedding_size``, dropouts,
          solver settings and ``batch_size`` is trained for n epochs on X
          (``sample_weight`` included) and hands over its recurrent layers
          and embedding. With ``bidirectional=True`` a second one, trained
          on the reversed sequences from the same initial draw, hands over
          the ``_reverse`` direction; both then give layer 0 only (deeper
          layers of a bidirectional stack read both directions, 2H inputs,
          where a language model's read H), and the embedding both
          directions share is the mean of the two. A unidirectional
          classifier takes every layer. ``solver='lbfgs'`` pretrains with
          Adam (learning rate 0.001).
        - An unfitted `RNNLanguageModel`: as an int, but that model (and for
          ``bidirectional=True`` a clone of it, on the reversed sequences)
          is cloned and fitted with its own parameters; its ``cell``,
          ``hidden_size``, ``num_layers``, ``embedding_size`` (and
          ``nonlinearity`` for ``cell='rnn'``) must be this classifier's.
        - A fitted `RNNLanguageModel` (one with ``weights_``): its weights
          are used as they are, for the forward direction only of a
          bidirectional classifier; it must have been fitted on the same
          token slots (the same transformer). This is the way to pretrain
          once on a large text and train many classifiers from it.

        **With pretraining set (not None), y == -1 marks an unlabelled
        sample**, scikit-learn's semi-supervised convention: the language
        models read it, and the classification loss, ``classes_``, class
        weights and early stopping leave it out. Without pretraining, -1 is
        an ordinary class label. A continuing fit (``warm_start=True``)
        does not pretrain again, and `partial_fit` is not available while
        pretraining is set. See the user guide, "Pretraining with a
        language model".

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the shuffling, the validation split and
        the dropout masks (and, through a drawn seed, an int
        ``pretraining``'s language models).

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
        With ``direct_order``, also ``weight_direct`` (direct_size,
        n_classes), the direct connections' table, which no PyTorch module
        holds. With ``average``, the averaged weights.

    loss_ : float
        Training loss of the last epoch (of the last iteration for 'lbfgs').

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

    pretraining_loss_ : list of float or None
        The final training loss (mean cross-entropy per token, nats) of each
        language model that initialised the network, forward first (then
        the reversed-sequence model of a bidirectional classifier); the
        ``loss_`` of a fitted model given as ``pretraining``. None when the
        fit did not pretrain; kept by continuing (``warm_start``) fits.

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
    classification start from the recommended configuration of the README,
    ``make_pipeline(OneHotSequenceTransformer(min_frequency=2,
    dtype=np.float32), RNNClassifier(cell='gru', hidden_size=256,
    embedding_size=256, bidirectional=True, pooling='max', dropout=0.3,
    input_dropout=0.3, learning_rate=0.002, batch_size=64, max_iter=12))``,
    chosen on a dev split of TREC's training questions; its scores against
    tf-idf and PyTorch are in ``benchmarks/RESULTS.md``. It does not use
    ``pretraining``: language models trained on TREC's own training
    questions (3 or 6 epochs) did not raise its dev accuracy beyond the
    spread of seeds, for 70 to 140 % more time. Pretraining pays where
    unlabelled text tells what the labelled sentences do not.

    Examples
    --------
    >>> import numpy as np
    >>> from skrnn import RNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(200, 6))
    >>> y = (X[:, 0] > X[:, -1]).astype(int)   # depends on order
    >>> clf = RNNClassifier(learning_rate=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> sorted(clf.weights_)[:3]
    ['bias_hh_l0', 'bias_ih_l0', 'bias_out']
    """

    _output = "softmax"

    _parameter_constraints: dict = {
        **BaseSequenceToOne._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "pretraining": [None, Count(1), RNNLanguageModel],
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
        direct_order=0,
        direct_size=None,
        direct_learning_rate=None,
        direct_values="presence",
        direct_epochs=None,
        pooling="max",
        solver="adam",
        learning_rate=0.002,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=1e-4,
        max_grad_norm=None,
        batch_size="auto",
        bucket_batches=1,
        average="auto",
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        max_fun=15000,
        class_weight=None,
        pretraining=None,
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
        self.class_weight = class_weight
        self.pretraining = pretraining

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

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, *, classes=None, sample_weight=None):
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

    def _check_fit_options(self, incremental):
        super()._check_fit_options(incremental)
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit, which "
                "sees one chunk of the data at a time. Compute the weights with "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y) on a large enough sample of y and pass "
                "them as a dict."
            )

    def _fit_data(self, sequences, y, sample_weight, *, incremental, classes,
                  continuing):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        check_consistent_length(np.empty(len(sequences)), y)
        pretraining = None
        if self.pretraining is not None:
            # every sequence (labelled or not) goes to pretraining; only the
            # labelled ones to the classification loss, classes and split
            mask, y = _pretraining.labelled_samples(
                self, sequences, y, sample_weight, continuing
            )
            pretraining = (sequences, sample_weight)
            sequences = sequences.take(np.flatnonzero(mask))
            y, sample_weight = y[mask], sample_weight[mask]
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
        y = column_or_1d(y, warn=True)
        _check_label_types(y)
        check_classification_targets(y)
        all_classes = self._fit_classes(y, incremental, classes)
        y_index = LabelEncoder().fit(all_classes).transform(y)
        if self.class_weight is not None:
            sample_weight = sample_weight * self._class_weights(all_classes, y_index)
        weighted = np.unique(y_index[sample_weight > 0])
        if not len(weighted):
            raise ValueError(
                "Every sample has weight 0 once class_weight multiplies the "
                "sample weights; give some class a positive weight."
            )
        if not incremental and len(weighted) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes "
                "with positive sample_weight, but only the class "
                f"{all_classes[weighted[0]]!r} has any."
            )
        return _FitData(
            sequences, y_index, sample_weight, len(all_classes),
            {"classes_": all_classes}, pretraining,
        )

    def _initial_params(self, network, layout, rng, data):
        params, attributes = super()._initial_params(network, layout, rng, data)
        if self.pretraining is None:
            return params, {**attributes, "pretraining_loss_": None}
        params, pretrained = _pretraining.pretrain(self, layout, params, data, rng)
        return params, {**attributes, **pretrained}

    def _fit_classes(self, y, incremental, classes):
        """The classes of this fit, checked against y and any previous fit."""
        if incremental and not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every class that will ever appear in y."
                )
            classes = np.asarray(classes)
            _check_label_types(classes, "classes")
            all_classes = np.unique(classes)
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
        warm = self.warm_start and not incremental and hasattr(self, "weights_")
        if warm and hasattr(self, "classes_"):
            if not np.array_equal(all_classes, self.classes_):
                raise ValueError(
                    "warm_start=True needs the same classes as the previous fit "
                    f"({list(self.classes_)}), got {list(all_classes)}. Set "
                    "warm_start=False to train a new model."
                )
        return all_classes

    def _class_weights(self, all_classes, y_index):
        """The weight of each sample's class, from ``class_weight``."""
        if self.class_weight == "balanced":
            per_class = compute_class_weight(
                "balanced", classes=np.arange(len(all_classes)), y=y_index
            )
            return per_class[y_index]
        unknown = set(self.class_weight) - set(all_classes.tolist())
        if unknown:
            raise ValueError(
                f"class_weight names classes {sorted(unknown, key=str)} "
                f"that are not in the data's classes {list(all_classes)}."
            )
        for label, weight in self.class_weight.items():
            if (
                not isinstance(weight, Real) or isinstance(weight, bool)
                or not np.isfinite(weight) or weight < 0
            ):
                raise ValueError(
                    f"class_weight[{label!r}] = {weight!r}: a class weight must "
                    "be a finite number >= 0."
                )
        per_class = np.array(
            [self.class_weight.get(c, 1.0) for c in all_classes.tolist()],
            dtype=np.float64,
        )
        return per_class[y_index]

    def _validation_score(self, targets, output, sample_weight):
        return accuracy_score(targets, output.argmax(axis=1), sample_weight=sample_weight)

    def _stratify(self, targets):
        return targets if np.bincount(targets).min() >= 2 else None

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
        return self._predict_output(X)

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


def _check_label_types(y, name="y"):
    """Refuse labels of mixed types (strings beside numbers), which have no
    order to sort the classes by, with scikit-learn's words."""
    if y.dtype.kind != "O" or not len(y):
        return
    kinds = {"string" if isinstance(v, (str, bytes)) else "number" for v in y.tolist()}
    if len(kinds) > 1:
        raise ValueError(
            f"Mix of label input types (string and number) in {name}: classes "
            "must be all strings or all numbers; convert them, say with "
            f"{name}.astype(str)."
        )
