"""RNNLanguageModel: a next-token model over token sequences.

The scikit-learn glue around `RecurrentNetwork` with ``output='next_token'``:
input checks, the shared fit skeleton of `BaseRNN` (validate, prepare, train,
commit), and the data plumbing of truncated backpropagation through time.
The arithmetic (the per-step softmax, its gradient, the carried states) lives
in `_network.py` and `_cells.py`.

Truncated BPTT, as in min-char-rnn. Each sequence of L tokens holds L - 1
(token, next token) pairs. They are cut, in order, into chunks of at most
``bptt_steps`` pairs (`_Chunks`). Training runs ``batch_size`` streams side
by side (`_run_streams`): a stream reads one sequence chunk after chunk,
each chunk starting from the state the previous one ended in, and takes the
next sequence of the epoch's order when its own ends (from the zero state).
One round packs the current chunk of every stream and makes one optimizer
step; the gradient is exact within the chunk, and the state it starts from
is a constant (not followed back into the previous chunk). Sentences shorter
than a chunk are therefore minibatches of ``batch_size`` sentences, as in the
classifier; one book read as one sequence is min-char-rnn's loop; memory is
O(batch_size * bptt_steps), whatever the length of the text. Prediction
(``score``, ``hidden_states``) runs the same streams without the backward
pass, in chunks as large as a memory budget allows; carrying the state makes
it equal to reading each sequence whole.
"""

import numbers
from numbers import Real

import numpy as np
from sklearn.base import DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._base import BaseRNN, _FitData
from ._network import sample_token
from ._ngrams import ngram_ids, step_features
from ._one_hot_sequences import OneHotSequences, _ranges
from ._sequences import PackedBatch, Sequences, is_text, pack
from ._validation import Count, check_layer, check_sample_weight, check_sequences

# Prediction keeps a chunk's widest per-row array (the logits, n_tokens wide,
# or the gates) within this many elements: 2**22 is 32 MiB in float64.
INFERENCE_ELEMENTS = 2**22


# scikit-learn's estimator checks that cannot apply to a model of token ids,
# for ``check_estimator(..., expected_failed_checks=EXPECTED_FAILED_CHECKS)``
# and ``parametrize_with_checks(..., expected_failed_checks=...)`` (the way
# scikit-learn >= 1.6 takes them; the ``_xfail_checks`` tag is gone). Every
# other check runs on token ids: the ``categorical`` input tag makes the
# checks round their data to non-negative integers.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "fits on continuous random floats (rng.rand), the one check that does "
        "not round its data to integer codes for the categorical tag; a model "
        "of token ids refuses them. Weight k equals k copies is tested on "
        "token data in tests/test_language_model.py."
    ),
}


# ---------------------------------------------------------------------------
# Truncated BPTT: chunks and streams (data plumbing, no arithmetic)
# ---------------------------------------------------------------------------


class _Chunks:
    """The steps of token sequences cut, in order, into chunks of at most
    ``size`` steps.

    With ``pairs``, the steps of a sequence of L tokens are its L - 1
    (token, next token) pairs: a chunk's inputs are tokens ``s .. e - 1`` and
    its targets tokens ``s + 1 .. e``. Without, the steps are the L tokens
    (for hidden states), and there are no targets. One index per step is
    kept (where its input token is); the token ids are not copied.

    Attributes
    ----------
    sequence : ndarray of shape (n_chunks,)
        The sequence each chunk belongs to.
    first : ndarray of shape (n_sequences + 1,)
        The chunks of sequence i are ``first[i]:first[i + 1]``, in order.
    direct : (int, int) or None
        ``(order, n_rows)`` of direct connections: the hashed n-grams ending
        at every token are then computed once (`skrnn._ngrams.ngram_ids`)
        and `direct_features` reads them.
    """

    def __init__(self, sequences, size, pairs=True, direct=None):
        lengths = sequences.lengths
        steps = np.maximum(lengths - 1, 0) if pairs else lengths
        n_chunks = -(-steps // size)
        first = np.zeros(len(lengths) + 1, dtype=np.intp)
        np.cumsum(n_chunks, out=first[1:])
        sequence = np.repeat(np.arange(len(lengths)), n_chunks)
        rank = np.arange(first[-1]) - first[sequence]
        chunk_lengths = np.minimum(size, steps[sequence] - rank * size)
        offsets = np.zeros(len(sequence) + 1, dtype=np.intp)
        np.cumsum(chunk_lengths, out=offsets[1:])
        # chunk after chunk, where each input token is in sequences.values:
        # packing these gives each packed row's position
        self._positions = Sequences(
            _ranges(sequences.offsets[sequence] + rank * size, chunk_lengths),
            offsets, sequences.input_size, True, sequences.dtype,
        )
        self._values = sequences.values
        self._pairs = pairs
        self.sequence = sequence
        self.first = first
        self._direct = None
        if direct is not None:
            order, n_rows = direct
            self._direct = ngram_ids(sequences, order, n_rows), n_rows

    def direct_features(self, positions, dtype):
        """The direct connections' features of packed rows at ``positions``
        (see `pack`): the n-grams ending at each row's token, whatever chunk
        they began in; None without direct connections."""
        if self._direct is None:
            return None
        ids, n_rows = self._direct
        return step_features(ids, positions, n_rows, dtype)

    def pack(self, chunk_ids):
        """(batch, targets, positions): the chunks packed as one
        `PackedBatch` of their input tokens, the target of each packed row
        (None without pairs), and each packed row's position in the
        sequences' flat token ids."""
        batch = pack(self._positions, chunk_ids)
        positions = batch.inputs
        batch.inputs = self._values[positions]
        targets = self._values[positions + 1] if self._pairs else None
        return batch, targets, positions

    def keys(self):
        """Content keys of the chunks' input tokens (`DropoutNoise`)."""
        chunks = self._positions
        return Sequences(
            self._values[chunks.values], chunks.offsets, chunks.input_size, True,
            chunks.dtype,
        ).keys()


def _run_streams(chunks, order, n_slots, zero_state, run):
    """Read the sequences of ``order`` in ``n_slots`` streams, chunk by chunk.

    Every round packs the current chunk of each busy stream and calls
    ``run(batch, targets, positions, initial_state)`` (see `_Chunks.pack`),
    which returns the final state (see `RecurrentNetwork.forward`); that
    state is where the stream's next chunk starts. A stream whose sequence
    ends takes the next sequence of ``order``, from the zero state.
    ``initial_state`` is None in a round where every stream starts a
    sequence (then no work is spent on it).
    ``zero_state(n)`` makes the zero state of n streams.
    """
    order = np.asarray(order, dtype=np.intp)
    order = order[chunks.first[order + 1] > chunks.first[order]]
    n_slots = min(n_slots, len(order))
    if n_slots == 0:
        return
    current = chunks.first[order[:n_slots]].copy()  # each stream's next chunk
    end = chunks.first[order[:n_slots] + 1].copy()  # one past its last
    queued = n_slots
    state = zero_state(n_slots)
    fresh = np.ones(n_slots, dtype=bool)  # at the start of a sequence
    slot_of_chunk = np.empty(len(chunks.sequence), dtype=np.intp)
    while True:
        busy = np.flatnonzero(current < end)
        if not len(busy):
            return
        slot_of_chunk[current[busy]] = busy
        batch, targets, positions = chunks.pack(current[busy])
        slots = slot_of_chunk[batch.order]
        initial = None
        if not fresh[busy].all():
            initial = tuple(part[:, slots] for part in state)
        final = run(batch, targets, positions, initial)
        for part, final_part in zip(state, final):
            part[:, slots] = final_part
        fresh[busy] = False
        current[busy] += 1
        done = busy[current[busy] == end[busy]]
        refill = done[: max(0, min(len(done), len(order) - queued))]
        if len(refill):
            new = order[queued : queued + len(refill)]
            queued += len(refill)
            current[refill] = chunks.first[new]
            end[refill] = chunks.first[new + 1]
            for part in state:
                part[:, refill] = 0
            fresh[refill] = True


def _one_sequence(ids, input_size):
    """A `PackedBatch` of one sequence of token ids (for sampling)."""
    ids = np.asarray(ids, dtype=np.intp)
    return PackedBatch(
        ids, True, input_size, np.zeros(1, dtype=np.intp),
        np.array([len(ids)], dtype=np.intp), np.ones(len(ids), dtype=np.intp),
    )


class RNNLanguageModel(DensityMixin, BaseRNN):
    """Recurrent neural network language model: predicts each next token.

    Reads token sequences (sentences as words, or a text as characters) and
    learns ``p(token_{t+1} | token_0 .. token_t)``: the recurrent layers of
    `RNNClassifier` with a softmax over the vocabulary at every step, trained
    on the cross-entropy of each next token by truncated backpropagation
    through time, as Karpathy's min-char-rnn. A long text is read in chunks
    of ``bptt_steps`` tokens, the hidden state carried from chunk to chunk,
    so memory does not grow with its length. It samples new text, scores
    text by its log-likelihood, and exposes its hidden states; its recurrent
    layers and embedding have the layout of `RNNClassifier`'s.

    X is the `OneHotSequences` made by `OneHotSequenceTransformer` (one
    sequence per document; the whole text as one document for a book), or a
    2-D array (n_samples, n_steps) of integer token ids.

    Parameters
    ----------
    hidden_size : int, default=64
        Hidden units per layer.

    cell : {'rnn', 'gru', 'lstm'}, default='rnn'
        The recurrent cell: Elman (as min-char-rnn), gated recurrent unit, or
        long short-term memory, with PyTorch's equations and gate orders.

    nonlinearity : {'tanh', 'relu'}, default='tanh'
        Activation of the Elman cell (``cell='rnn'``).

    num_layers : int, default=1
        Stacked recurrent layers.

    bidirectional : bool, default=False
        Must be False: a next-token model reads forward only (a backward
        direction would see the token it is asked to predict). It is a
        parameter so that the parameters of an `RNNClassifier` can be given
        as they are and get a clear error instead of an unknown keyword.

    dropout : float, default=0.0
        In training only, the probability of zeroing a unit of the output of
        each layer that feeds another layer, and of the last layer's output
        fed to the softmax at every step.

    input_dropout : float, default=0.0
        In training only, the probability of zeroing each element of the
        first layer's input projection (each token's column of ``W_ih``), or
        with ``embedding_size`` of the embedding ``e_t``.

    embedding_size : int or None, default=None
        None: each token's column of the first layer's ``W_ih`` is its
        embedding. An int E puts a lookup table ``weight_embedding``
        (n_token_slots, E) in front, as ``torch.nn.Embedding``.

    direct_order : int, default=0
        Direct n-gram connections (Mikolov et al. 2011, RNNME): at each step,
        the hashed n-grams of token ids of orders 1 .. ``direct_order``
        that end at the current token (its history, across chunk
        boundaries) add their rows of a table ``weights_['weight_direct']``
        (``direct_size``, n_token_slots) to the next-token logits, trained
        jointly with the recurrent part: an n-gram model beside the network.
        0 (the default) turns them off.

    direct_size : int or None, default=None
        Rows of the direct table. None: the largest power of two whose
        table holds at most 2**19 numbers (between 2**10 and 2**20 rows):
        8192 rows for 48 characters, 1024 for a vocabulary of 3,000 words
        (a 3,000,000-number table). n-grams that hash to one row share it.

    direct_learning_rate : float or None, default=None
        The direct table's own learning rate; None: ``learning_rate``. The
        table is L2-penalised by ``alpha``; 'sgd' (no momentum), 'adagrad'
        and 'lazy_adam' update only the rows used by each step.

    bptt_steps : int, default=25
        Truncated backpropagation through time: each sequence is cut into
        chunks of this many predicted tokens; the state is carried from chunk
        to chunk, the gradient is exact within a chunk and stops at its
        start. min-char-rnn's ``seq_length``. Memory in training grows with
        ``batch_size * bptt_steps``, not with the length of the text.

    solver : {'adam', 'lazy_adam', 'sgd', 'adagrad'}, default='adam'
        The optimizer (minibatch methods only: truncated BPTT has no fixed
        full-batch loss for L-BFGS to minimize).

    learning_rate : float, default=0.001
        Step size.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd' and ``momentum > 0``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.

    epsilon : float, default=1e-8
        Numerical stability term of Adam and Adagrad.

    alpha : float, default=1e-4
        L2 penalty on the weight matrices (not the biases), divided by the
        (weighted) number of tokens of each minibatch.

    max_grad_norm : float or None, default=None
        The gradient's global L2 norm is scaled down to this before each
        step; None turns clipping off. min-char-rnn clips (at 5, element-wise);
        try 1.0 to 5.0 when training diverges.

    batch_size : int or 'auto', default='auto'
        Streams per minibatch: each step holds one chunk of ``bptt_steps``
        tokens from each of ``batch_size`` sequences (many sentences at once;
        one, for a text given as one sequence). 'auto' means
        ``min(200, n_samples)``.

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
        'auto' is 0.5, or no averaging with ``early_stopping``
        (RNNClassifier's default).

    max_iter : int, default=100
        Epochs (passes over all the tokens).

    tol : float, default=1e-4
        Training stops once the loss (or the validation score, with early
        stopping) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs.

    n_iter_no_change : int, default=10
        See ``tol``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences, stop when their
        mean log-likelihood per token stops improving, and keep the best
        weights. Needs at least two sequences.

    validation_fraction : float, default=0.1
        Used with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the order of the sequences every epoch (the chunks of one
        sequence are always read in order).

    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the shuffling, the validation split and
        the dropout masks.

    verbose : bool, default=False
        Print one line per epoch.

    warm_start : bool, default=False
        Continue from the ``weights_`` of the previous fit.

    Attributes
    ----------
    input_size_ : int
        Token slots (``n_token_slots_`` of the transformer): the width of
        the input and of the softmax.

    n_features_in_ : int
        Steps per sequence of a 2-D array of token ids given to fit; only set
        then.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame of token ids given to fit.

    weights_ : dict of str -> ndarray
        Every weight and bias, in PyTorch's names, shapes and gate orders,
        as in `RNNClassifier`: ``weight_ih_l{k}``, ``weight_hh_l{k}``,
        ``bias_ih_l{k}``, ``bias_hh_l{k}``, with ``embedding_size`` also
        ``weight_embedding`` (n_token_slots, E); the output layer
        ``weight_out`` (n_token_slots, hidden_size) and ``bias_out``
        (n_token_slots,): ``torch.nn.Linear(hidden_size, n_token_slots)``;
        with ``direct_order``, ``weight_direct`` (direct_size,
        n_token_slots), which no PyTorch module holds. With ``average``,
        the averaged weights.

    first_token_counts_ : ndarray of shape (n_token_slots,)
        How many training sequences begin with each token (sample-weighted).
        `sample` draws its first token from them when given no prefix.

    loss_ : float
        Training loss (mean cross-entropy per token, in nats) of the last
        epoch.

    loss_curve_ : list of float
        Training loss per epoch.

    best_loss_ : float or None
        Lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        Mean log-likelihood per token of the held-out sequences per epoch,
        with early stopping.

    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    n_iter_ : int
        Epochs run.

    t_ : int
        Training sequences seen by the solver.

    See Also
    --------
    RNNClassifier : The same recurrent layers, classifying whole sequences.
    OneHotSequenceTransformer : Turns text into token sequences.

    Notes
    -----
    **Where sequences begin and end.** Every sequence is read from the zero
    state, and its first token is read, not predicted: a sequence of L
    tokens contributes its L - 1 next tokens to the loss and to `score`, and
    a sequence of one token contributes nothing (it may still be given).
    There is no end-of-sequence slot: the model predicts only tokens that
    are there, so the input and the softmax have the same slots as the
    transformer and the first layer is laid out as `RNNClassifier`'s (a
    classifier can start from a language model's ``weights_``). `sample`
    begins from a prefix, or from a first token drawn from
    ``first_token_counts_``. Between sequences nothing is carried: two
    sentences are independent, and a text that should be read as one goes
    in as one sequence.

    **The loss** is the mean cross-entropy per predicted token,
    ``sum_i w_i sum_t -log p(x_{i,t+1} | x_{i,..t}) / sum_i w_i (L_i - 1)``
    plus ``alpha / 2 * ||W||^2`` over the same denominator, with ``w_i``
    the sample weight of sequence i, so that a sequence of weight k counts
    as k copies of it. ``loss_curve_`` is in nats per token;
    ``-score(X)`` is its value on X without the penalty, and
    ``perplexity(X) = exp(-score(X))``.

    **Long texts.** A sequence longer than ``bptt_steps`` is trained chunk
    by chunk, the state carried across chunks (the gradient stops at each
    chunk's start). Minibatches hold one chunk of each of ``batch_size``
    sequences; a stream whose sequence ends takes the next one, so a mix of
    long and short sequences keeps every minibatch full. A whole book given
    as one sequence trains one chunk at a time, as min-char-rnn; it trains
    faster cut into pieces (chapters or paragraphs, each read from the zero
    state) that train side by side.

    Input of dtype float32 (``OneHotSequenceTransformer(dtype=np.float32)``)
    gives a float32 model; anything else, float64.

    **scikit-learn's estimator checks** run on 2-D arrays of token ids (the
    ``categorical`` and ``positive_only`` input tags make them round their
    data to non-negative integers). One cannot apply and is listed, with its
    reason, in ``skrnn._language_model.EXPECTED_FAILED_CHECKS``:
    ``check_sample_weight_equivalence_on_dense_data`` fits on continuous
    floats, which are not token ids.

    Examples
    --------
    A character model of a short text, in a Pipeline; `sample` returns token
    ids (a `OneHotSequences` of one sequence) that the transformer's
    ``inverse_transform`` turns back into characters:

    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import OneHotSequenceTransformer, RNNLanguageModel
    >>> text = "the cat sat on the mat. the dog sat on the log. " * 8
    >>> model = make_pipeline(
    ...     OneHotSequenceTransformer(analyzer="char", lowercase=False),
    ...     RNNLanguageModel(hidden_size=32, cell="gru", learning_rate=0.01,
    ...                      max_iter=30, random_state=0),
    ... ).fit([text])
    >>> transformer, lm = model[0], model[-1]
    >>> lm.perplexity(transformer.transform([text])) < 4
    True
    >>> model.score([text]) == lm.score(transformer.transform([text]))
    True
    >>> ids = lm.sample(30, prefix=transformer.transform(["the "]),
    ...                 random_state=0, temperature=0.5)
    >>> ids
    <OneHotSequences: 1 sequences, 30 tokens, longest 30, 15 token slots, dtype float64>
    >>> sampled = "".join(transformer.inverse_transform(ids)[0])
    >>> len(sampled), set(sampled) <= set(text)
    (30, True)
    """

    _output = "next_token"

    _input_kind = "tokens"
    _direct_rate = 1
    _text_advice = (
        "Put OneHotSequenceTransformer in front of it to turn text into token "
        "sequences: make_pipeline(OneHotSequenceTransformer(analyzer='char'), "
        "{name}()) for a character model, or the default analyzer='word' for "
        "words."
    )

    _parameter_constraints: dict = {
        **BaseRNN._parameter_constraints,
        "bptt_steps": [Count(1)],
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
        bptt_steps=25,
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
        average=False,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
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
            average=average,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )
        self.bptt_steps = bptt_steps

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the language model to token sequences X.

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Training sequences: the output of `OneHotSequenceTransformer`,
            or integer token ids. At least one must hold 2 tokens or more.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence, applied to each of its tokens.

        Returns
        -------
        self : RNNLanguageModel
            The fitted model.
        """
        return self._fit(X, None, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one epoch over X, continuing from the current weights.

        Each call reads its sequences from the zero state (no state is
        carried from one call to the next).

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Training sequences, as for `fit`, with the same token slots.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence, applied to each of its tokens.

        Returns
        -------
        self : RNNLanguageModel
            The updated model.
        """
        return self._fit(X, None, sample_weight, incremental=True)

    def _check_fit_options(self, incremental):
        if self.bidirectional:
            raise ValueError(
                f"{type(self).__name__} does not support bidirectional=True: a "
                "language model predicts each token from the tokens before it, "
                "and a backward direction would read the token it predicts. "
                "Set bidirectional=False (a bidirectional RNNClassifier can "
                "still start its forward direction from this model)."
            )
        super()._check_fit_options(incremental)

    def _check_input(self, X, *, reset):
        sequences, form, _ = check_sequences(X, self, reset=reset, kind="tokens")
        if reset and form.two_d and form.shape[1] < 2:
            raise ValueError(
                f"X is a 2-D array of token ids with {form.shape[1]} feature(s) "
                f"(steps): every sequence holds fewer than 2 tokens, and "
                f"{type(self).__name__} learns from pairs of consecutive tokens."
            )
        return sequences, form.two_d

    def _network_options(self):
        return {"bidirectional": False}

    def _fit_data(self, sequences, y, sample_weight, *, incremental, classes,
                  continuing):
        """The next tokens as targets: the `_Chunks` of the sequences' (token,
        next token) pairs; and ``first_token_counts_``."""
        pairs = np.maximum(sequences.lengths - 1, 0)
        if not pairs.any():
            raise ValueError(
                "Every sequence of X holds fewer than 2 tokens, and "
                f"{type(self).__name__} learns from pairs of "
                "consecutive tokens: it needs at least one sequence of 2 tokens "
                "or more (an empty text, or a text of one token, has nothing "
                "to predict)."
            )
        if not (sample_weight * pairs).sum() > 0:
            raise ValueError(
                "Every sequence of 2 tokens or more has sample_weight 0; at "
                "least one must have a positive weight."
            )
        if not continuing:
            distinct = np.flatnonzero(np.bincount(sequences.values))
            if len(distinct) < 2:
                raise ValueError(
                    f"X holds a single distinct token (id {distinct[0]}): a "
                    "vocabulary of one token leaves nothing to predict. A "
                    "language model needs text of at least 2 different tokens."
                )
        V = sequences.input_size
        starts = sequences.lengths > 0
        first = np.bincount(
            sequences.values[sequences.offsets[:-1][starts]],
            weights=sample_weight[starts], minlength=V,
        )
        if incremental and continuing and hasattr(self, "first_token_counts_"):
            first = first + self.first_token_counts_
        return _FitData(
            sequences,
            _Chunks(sequences, self.bptt_steps, direct=self._direct_of(V)),
            sample_weight, V,
            {"first_token_counts_": first},
        )

    def _direct_of(self, n_token_slots):
        """``(order, rows)`` of the direct connections, or None."""
        rows = self._direct_rows(n_token_slots)
        return None if rows is None else (self.direct_order, rows)

    def _dropout_keys(self, data):
        return data.targets.keys()  # of the chunks, which minibatches pack

    def _train_epoch(self, state, order):
        """One epoch of truncated BPTT: `_run_streams` over the chunks, one
        optimizer step per round. Returns the mean loss per token."""
        network, data = state.network, state.data
        chunks, sample_weight = data.targets, data.sample_weight
        order = order[sample_weight[order] > 0]  # nothing to learn from the others
        totals = {"loss": 0.0, "weight": 0.0}

        def run(batch, targets, positions, initial_state):
            sequence = chunks.sequence[batch.order]
            weight = sample_weight[sequence]
            token_weight = float(np.dot(weight, batch.lengths))
            loss, final_state, _ = network.loss_and_gradient(
                state.views, state.grad_views, batch, targets, weight, self.alpha,
                state.noise, state.row_sparse, initial_state=initial_state,
                return_state=True, direct=chunks.direct_features(positions, dtype),
            )
            # the samples this step starts: the sequences of their first chunk
            started = np.count_nonzero(chunks.first[sequence] == batch.order)
            loss = self._step(state, loss, token_weight, started)
            totals["loss"] += loss * token_weight
            totals["weight"] += token_weight
            return final_state

        dtype = sample_weight.dtype
        _run_streams(
            chunks, order, state.batch_size, lambda n: network.zero_state(n, dtype), run
        )
        if not totals["weight"] > 0:
            raise ValueError(
                "The training part of X holds no sequence of 2 tokens or more "
                "with a positive sample_weight (early_stopping's validation "
                "split may have taken them all); there is nothing to train on."
            )
        return totals["loss"] / totals["weight"]

    def _outputs_finite(self, state, params):
        log_p, _ = self._log_likelihoods(state.network, params, state.data.sequences)
        return bool(np.isfinite(log_p).all())

    def _held_out_score(self, state, params, validation):
        data = state.data
        log_p, n_pairs = self._log_likelihoods(
            state.network, params, data.sequences.take(validation)
        )
        weight = data.sample_weight[validation].astype(np.float64)
        tokens = np.dot(weight, n_pairs)
        if not tokens > 0:
            raise ValueError(
                "early_stopping's validation split holds no sequence of 2 "
                "tokens or more with a positive sample_weight, so it cannot "
                "be scored; raise validation_fraction or give more sequences."
            )
        return float(np.dot(weight, log_p) / tokens)

    # ------------------------------------------------------------------
    # Prediction: log-likelihood, hidden states, samples
    # ------------------------------------------------------------------

    def _inference_streams(self, network, params, sequences, pairs, run):
        """Run every sequence through `_run_streams`, in chunks as large as
        `INFERENCE_ELEMENTS` allows (the state carried across them)."""
        width = max(
            params["weight_out"].shape[0], network.cell.n_gates * network.hidden_size
        )
        rows = max(1, INFERENCE_ELEMENTS // width)
        steps = np.maximum(sequences.lengths - 1, 0) if pairs else sequences.lengths
        busy = int((steps > 0).sum())
        if not busy:
            return
        size = max(self.bptt_steps, rows // busy)
        size = max(1, min(size, int(steps.max())))
        direct = self._direct_of(params["weight_out"].shape[0]) if pairs else None
        chunks = _Chunks(sequences, size, pairs, direct=direct)
        order = np.argsort(-steps, kind="stable")  # similar lengths together
        dtype = params["weight_out"].dtype
        _run_streams(
            chunks, order, max(1, rows // size),
            lambda n: network.zero_state(n, dtype),
            lambda batch, targets, positions, state: run(
                chunks, batch, targets, positions, state
            ),
        )

    def _log_likelihoods(self, network, params, sequences):
        """(log_p, n_pairs): each sequence's summed log-likelihood of its next
        tokens, and how many it has."""
        log_p = np.zeros(len(sequences))

        def run(chunks, batch, targets, positions, state):
            direct = chunks.direct_features(positions, params["weight_out"].dtype)
            step_log_p, final_state = network.log_likelihood(
                params, batch, targets, state, direct
            )
            rows = chunks.sequence[batch.order][batch.row_of]
            log_p[:] += np.bincount(rows, weights=step_log_p, minlength=len(log_p))
            return final_state

        self._inference_streams(network, params, sequences, True, run)
        return log_p, np.maximum(sequences.lengths - 1, 0)

    def score_samples(self, X):
        """Log-likelihood of each sequence: the sum over its next tokens.

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Token sequences, as for `fit`.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            ``sum_t log p(x_{t+1} | x_0 .. x_t)`` in nats over the sequence's
            tokens after the first; 0 for a sequence of fewer than 2 tokens.
        """
        sequences = self._validated(X)
        return self._log_likelihoods(self._make_network(), self.weights_, sequences)[0]

    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood per token of X (higher is better).

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Token sequences, as for `fit`.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence, applied to each of its tokens.

        Returns
        -------
        score : float
            ``sum_i w_i log p(X_i) / sum_i w_i (L_i - 1)``, in nats per
            predicted token: the negative of the training loss (without the
            penalty), and ``-log(perplexity(X))``.
        """
        sequences = self._validated(X)
        sample_weight = check_sample_weight(sample_weight, len(sequences))
        log_p, n_pairs = self._log_likelihoods(
            self._make_network(), self.weights_, sequences
        )
        tokens = float(np.dot(sample_weight, n_pairs))
        if not tokens > 0:
            raise ValueError(
                "X holds no sequence of 2 tokens or more (with a positive "
                "sample_weight): there is no next token to score."
            )
        return float(np.dot(sample_weight, log_p) / tokens)

    def perplexity(self, X, sample_weight=None):
        """Perplexity of X: ``exp(-score(X))``, lower is better.

        The geometric mean of ``1 / p(next token)``: a uniform guess over V
        token slots has perplexity V.

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Token sequences, as for `fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence, applied to each of its tokens.

        Returns
        -------
        perplexity : float
        """
        return float(np.exp(-self.score(X, sample_weight=sample_weight)))

    def hidden_states(self, X, layer=-1):
        """The hidden states the network computes while reading each sequence.

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps)
            Token sequences, as for `fit`.
        layer : int, default=-1
            Which recurrent layer (negative counts from the last).

        Returns
        -------
        states : list of ndarray of shape (length_i, hidden_size)
            One array per sequence: row t is the state after reading token
            t (the state that predicts token t + 1). A long sequence is read
            in chunks with the state carried across them, which equals
            reading it whole.
        """
        sequences = self._validated(X)
        check_layer(layer, self.num_layers)
        network, params = self._make_network(), self.weights_
        flat = np.zeros(
            (len(sequences.values), self.hidden_size), dtype=params["weight_out"].dtype
        )

        def run(chunks, batch, targets, positions, state):
            out, final_state = network.hidden_states(
                params, batch, layer, state, return_state=True
            )
            flat[positions] = out
            return final_state

        self._inference_streams(network, params, sequences, False, run)
        return [
            flat[start:stop]
            for start, stop in zip(sequences.offsets[:-1], sequences.offsets[1:])
        ]

    def sample(self, n_tokens, *, prefix=None, temperature=1.0, random_state=None):
        """Draw a sequence of tokens from the model, one after another.

        Parameters
        ----------
        n_tokens : int
            How many tokens to draw.
        prefix : OneHotSequences of one sequence, array-like of int, or None
            Tokens to read first (say ``transformer.transform(["Alice "])``);
            the sample continues them and does not include them. Without one,
            the first token is drawn from ``first_token_counts_`` (how
            training sequences begin) and the rest from the model.
        temperature : float, default=1.0
            Each token is drawn from ``softmax(logits / temperature)``: below
            1 sharper (more likely, more repetitive), above 1 flatter (more
            surprising); 1 samples the model itself.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        tokens : OneHotSequences
            One sequence of ``n_tokens`` token ids (``tokens.ids``); the
            transformer's ``inverse_transform(tokens)[0]`` gives the tokens
            back (``"".join`` them for characters, ``" ".join`` for words).
        """
        check_is_fitted(self)
        if not isinstance(n_tokens, numbers.Integral) or isinstance(n_tokens, bool) \
                or n_tokens < 1:
            raise ValueError(f"n_tokens must be an int >= 1, got {n_tokens!r}.")
        if not isinstance(temperature, Real) or not np.isfinite(temperature) \
                or not temperature > 0:
            raise ValueError(
                f"temperature must be a positive number, got {temperature!r}."
            )
        rng = check_random_state(random_state)
        network, params = self._make_network(), self.weights_
        V = self.input_size_
        dtype = params["weight_out"].dtype
        prefix = self._check_prefix(prefix)
        tokens = np.empty(n_tokens, dtype=np.intp)
        direct = self._direct_of(V)

        def features(history, last):
            """The direct features of the last ``last`` tokens of ``history``."""
            if direct is None:
                return None
            order, n_rows = direct
            window = history[-(last + order - 1):]  # with the tokens before them
            ids = ngram_ids(
                Sequences(window, np.array([0, len(window)]), V, True, dtype), order,
                n_rows,
            )
            return step_features(ids, np.arange(len(window) - last, len(window)),
                                 n_rows, dtype)

        state = None
        if len(prefix):
            logits, state = network.logits(
                params, _one_sequence(prefix, V), direct=features(prefix, len(prefix))
            )
            tokens[0] = sample_token(logits[-1], temperature, rng)
        else:
            with np.errstate(divide="ignore"):
                start = np.log(self.first_token_counts_)
            tokens[0] = sample_token(start, temperature, rng)
        for t in range(1, n_tokens):
            # read the token just drawn, from the state before it
            if direct is not None:  # the prefix, then what was drawn
                back = direct[0]
                history = np.concatenate([prefix[-back:], tokens[max(0, t - back) : t]])
            logits, state = network.logits(
                params, _one_sequence(tokens[t - 1 : t], V), state,
                direct=features(history, 1) if direct is not None else None,
            )
            tokens[t] = sample_token(logits[-1], temperature, rng)
        return OneHotSequences(tokens, [0, n_tokens], V, dtype=dtype)

    def _check_prefix(self, prefix):
        """The token ids of ``prefix`` (empty when None)."""
        if prefix is None:
            return np.zeros(0, dtype=np.intp)
        if isinstance(prefix, OneHotSequences):
            if len(prefix) != 1:
                raise ValueError(
                    f"prefix must hold one sequence, got {len(prefix)}; pass "
                    "transformer.transform([text]) for one text."
                )
            if prefix.n_token_slots != self.input_size_:
                raise ValueError(
                    f"prefix has {prefix.n_token_slots} token slots, but the "
                    f"model was fitted on {self.input_size_} (input_size_)."
                )
            return np.asarray(prefix.ids, dtype=np.intp)
        if is_text(prefix):
            raise TypeError(
                "prefix is text; pass its token ids, "
                "transformer.transform([text]), instead."
            )
        ids = np.asarray(prefix)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(
                "prefix must be a OneHotSequences of one sequence or a 1-D "
                f"array of token ids, got an array of shape {ids.shape} and "
                f"dtype {ids.dtype}."
            )
        ids = ids.astype(np.intp)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_size_):
            raise ValueError(
                f"prefix holds token ids outside [0, {self.input_size_})."
            )
        return ids

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = False
        tags.input_tags.two_d_array = True
        # token ids: scikit-learn's checks then give non-negative integers
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        tags.target_tags.required = False
        return tags
