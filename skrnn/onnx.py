"""Export a fitted skrnn model to ONNX, to serve it with ONNX Runtime.

`to_onnx` writes the network of a fitted `RNNClassifier` or `RNNRegressor`
(or of a Pipeline ending in one, after a `OneHotSequenceTransformer`) as an
ONNX graph of the standard operators; `onnx_inputs` turns any X that
``predict_proba`` (``predict``) takes into the feed for
``onnxruntime.InferenceSession.run``.

The graph, by layer:

- inputs: ``token_ids`` (int64, (batch, steps), zero-padded) for a model of
  one-hot input, or ``X`` (float32, (batch, steps, input_size), zero-padded)
  for numeric input; and ``lengths`` (int64, (batch,)), each sequence's
  number of steps. Steps past a sequence's length are never read: the
  lengths go to every recurrent operator as ``sequence_lens``, and pooling
  masks them.
- the input of the first layer: the rows of ``weight_embedding`` picked by
  ``Gather`` (with ``embedding_size``, one-hot input), the product with it
  (``MatMul``, numeric input), or the input itself. One-hot input without an
  embedding is either expanded by ``OneHot`` or, when the vocabulary is wider
  than ``directions * gates * hidden_size``, replaced by its exact input
  projections (see `to_onnx`).
- one ``RNN``, ``GRU`` or ``LSTM`` operator per layer, both directions in one
  (``direction='bidirectional'``), with the weights in ONNX's gate orders
  (GRU z, r, h and ``linear_before_reset=1``, which is PyTorch's GRU; LSTM i,
  o, f, c; PyTorch's are r, z, n and i, f, g, o).
- pooling: the final states ``Y_h`` ('last'), or a masked ``ReduceSum``
  divided by the lengths ('mean'), or a ``ReduceMax`` over the steps with the
  padding set to -inf ('max'); an empty sequence's summary is zero, as in
  skrnn.
- direct connections (``direct_order``): the inputs ``direct_rows`` (int64,
  (batch, features)) and ``direct_values`` (float32, the same shape), each
  sequence's hashed n-grams as `onnx_inputs` computes them (the hashing is
  not in the graph), zero-padded; ``Gather`` picks their rows of
  ``weight_direct``, weighted by the values and summed (``ReduceSum``) into
  the logits.
- the output layer (``Gemm``) and, for a classifier, ``Softmax``: outputs
  ``probabilities`` (batch, n_classes), columns in the order of
  ``classes_``, and ``label``, the class of largest probability (when
  ``classes_`` are numbers, booleans or strings); for a regressor, no
  softmax: ``predictions``, (batch,) or (batch, n_outputs) as ``predict``.

The graph is float32: ONNX Runtime runs its ``RNN``, ``GRU`` and ``LSTM``
kernels in float32 only (version 1.32 refuses double), so a float64 model is
rounded to float32 on export. onnx is imported when a function is called,
never by ``import skrnn``.
"""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import fitted_network
from ._ngrams import ngram_ids, sequence_features
from ._one_hot_sequences import OneHotSequences
from ._transformer import OneHotSequenceTransformer

__all__ = ["onnx_inputs", "to_onnx"]

OPSET = 18
"""The ONNX operator set of the exported graphs (ONNX Runtime >= 1.14 runs it)."""

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
_OPERATORS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
# ONNX's gates as PyTorch's gate blocks: GRU (r, z, n) -> (z, r, h),
# LSTM (i, f, g, o) -> (i, o, f, c).
_ONNX_GATE_ORDER = {"rnn": (0,), "gru": (1, 0, 2), "lstm": (0, 3, 1, 2)}
_ACTIVATIONS = {"tanh": "Tanh", "relu": "Relu"}
_POOLINGS = ("last", "mean", "max")
_NEEDED_PARAMS = (
    "cell", "hidden_size", "num_layers", "bidirectional", "pooling",
    "nonlinearity", "embedding_size",
)
_DTYPE = np.float32


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def to_onnx(estimator, *, token_ids=None):
    """Export a fitted skrnn model as an ONNX graph of the standard operators.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor or Pipeline
        A fitted `RNNClassifier` or `RNNRegressor`, or a fitted Pipeline of
        a `OneHotSequenceTransformer` followed by one. The transformer's work
        (tokenizing, the vocabulary) stays outside the graph: `onnx_inputs`
        does it, giving the graph token ids.
    token_ids : bool, default=None
        Whether the graph reads token ids (int64) rather than float steps:
        for a model trained on `OneHotSequences`. None means True for a
        Pipeline with a `OneHotSequenceTransformer` and False for a bare
        estimator, which skrnn cannot tell from one trained on numbers; a
        bare estimator trained on `OneHotSequences` should be exported with
        ``token_ids=True`` (the float graph gives the same numbers, from a
        dense one-hot input). Pass the same value to `onnx_inputs`.

    Returns
    -------
    onnx.ModelProto
        Inputs ``token_ids`` (int64, (batch, steps)) or ``X`` (float32,
        (batch, steps, ``input_size_``)), and ``lengths`` (int64, (batch,));
        outputs ``probabilities`` (float32, (batch, n_classes)) and
        ``label`` (batch,) for a classifier; ``predictions`` (float32,
        (batch,) or (batch, n_outputs), as ``predict``) for a regressor.
        Operator set 18.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator (or the transformer) is not fitted.
    TypeError
        If the estimator is not an skrnn classifier or regressor, or a
        Pipeline step before it is not a `OneHotSequenceTransformer`.
    ValueError
        If an option has no ONNX equivalent, or ``weights_`` does not match
        the estimator's parameters (changed by ``set_params`` after fit).

    See Also
    --------
    onnx_inputs : The input feed of the graph for an X.

    Notes
    -----
    ONNX's recurrent operators compute the input projection ``X W^T``
    themselves. For one-hot input without an embedding, the projection of
    token v is column v of ``weight_ih_l0``, and the graph gives the first
    operator one of two equivalent inputs, whichever is narrower: the dense
    one-hot steps (``OneHot``, width V = ``input_size_``, with ``W`` =
    ``weight_ih_l0``), or, when V > directions * gates * hidden_size, the
    token's projections themselves, gathered from the columns of
    ``weight_ih_l0`` (both directions side by side), with ``W`` a 0/1
    selection matrix. Both are exact (a product with 0 and 1); the
    operator's ``X W^T`` then costs min(V, directions * gates * hidden)
    multiply-adds per gate unit and step, where skrnn's gather costs none. A
    model with ``embedding_size`` gathers its embedding and has no such
    cost.

    The graph computes in float32 whatever the model's dtype (ONNX Runtime's
    recurrent kernels are float32 only); a float32 model matches its
    `predict_proba` to about 1e-6.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skrnn import RNNClassifier
    >>> from skrnn.onnx import to_onnx, onnx_inputs
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 5, 1, 4)]
    >>> clf = RNNClassifier(hidden_size=4, cell="gru", max_iter=2,
    ...                     random_state=0).fit(X, [0, 1, 0, 1])
    >>> model = to_onnx(clf)
    >>> [i.name for i in model.graph.input], [o.name for o in model.graph.output]
    (['X', 'lengths'], ['probabilities', 'label'])
    >>> session = onnxruntime.InferenceSession(
    ...     model.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> feed = onnx_inputs(clf, X)
    >>> feed["X"].shape, feed["lengths"]
    ((4, 5, 2), array([3, 5, 1, 4]))
    >>> probabilities, labels = session.run(None, feed)
    >>> bool(np.abs(probabilities - clf.predict_proba(X)).max() < 1e-5)
    True
    """
    onnx = _import_onnx()
    steps, final = _split(estimator)
    spec = _ModelSpec(final)
    ids = _uses_token_ids(steps, token_ids)
    for step in steps:
        if step.n_token_slots_ != spec.input_size:
            raise ValueError(
                f"The OneHotSequenceTransformer makes {step.n_token_slots_} "
                f"token slots, but the estimator was fitted on steps of "
                f"{spec.input_size} (input_size_)."
            )
    graph = _GraphBuilder(onnx)
    if ids:
        source = graph.input("token_ids", onnx.TensorProto.INT64, ["batch", "steps"])
    else:
        source = graph.input(
            "X", onnx.TensorProto.FLOAT, ["batch", "steps", spec.input_size]
        )
    lengths = graph.input("lengths", onnx.TensorProto.INT64, ["batch"])
    if spec.direct:
        graph.input("direct_rows", onnx.TensorProto.INT64, ["batch", "features"])
        graph.input("direct_values", onnx.TensorProto.FLOAT, ["batch", "features"])
    sequence_lens = graph.op("Cast", [lengths], to=onnx.TensorProto.INT32)
    x, first_weights = _first_layer_input(graph, spec, source, ids)
    for k in range(spec.num_layers):
        y, y_h = _recurrent_layer(
            graph, spec, k, x, sequence_lens, first_weights if k == 0 else None
        )
        # Y (steps, directions, batch, H) -> (steps, batch, directions * H),
        # forward direction first: the next layer's input
        x = graph.op(
            "Reshape",
            [graph.op("Transpose", [y], perm=[0, 2, 1, 3]),
             graph.ints("shape", [0, 0, -1])],
        )
    summary = _pool(graph, spec, x, y_h, source, lengths)
    _output_head(graph, final, spec, summary)
    model = graph.model(
        doc_string=(
            f"{type(final).__name__}(cell={spec.cell!r}, hidden_size="
            f"{spec.hidden_size}, num_layers={spec.num_layers}, bidirectional="
            f"{spec.directions == 2}, pooling={spec.pooling!r}, embedding_size="
            f"{spec.embedding_size!r}) exported by skrnn.onnx.to_onnx. Inputs: "
            + ("token_ids (int64, batch x steps, zero-padded)"
               if ids else "X (float32, batch x steps x input_size, zero-padded)")
            + " and lengths (int64, batch); see skrnn.onnx.onnx_inputs."
        )
    )
    onnx.checker.check_model(model)
    return model


def onnx_inputs(estimator, X, *, token_ids=None):
    """The input feed of `to_onnx`'s graph for X, as NumPy arrays.

    Parameters
    ----------
    estimator : RNNClassifier, RNNRegressor or Pipeline
        The fitted estimator that was exported. For a Pipeline, its
        `OneHotSequenceTransformer` turns X (raw text) into token ids here.
    X : array-like, list of arrays, or OneHotSequences
        What the estimator's ``predict_proba`` takes: a 2-D array
        (n_samples, n_steps), a 3-D array (n_samples, n_steps, n_features)
        whose trailing all-NaN steps are padding, a list of 1-D or 2-D
        arrays of differing lengths, `OneHotSequences`, or, for a Pipeline,
        the text its transformer takes.
    token_ids : bool, default=None
        As given to `to_onnx`.

    Returns
    -------
    dict of str -> ndarray
        ``{'token_ids': int64 (n_samples, steps), 'lengths': int64
        (n_samples,)}`` or ``{'X': float32 (n_samples, steps, input_size_),
        'lengths': ...}``, zero-padded to the longest sequence (at least one
        step), for ``session.run(None, feed)``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.
    TypeError
        If X is text for a bare estimator, or not `OneHotSequences` where
        the graph reads token ids, or holds no numbers.
    ValueError
        If X is empty, has steps of another width than the fitted model's,
        or holds NaN inside a sequence or infinity.

    See Also
    --------
    to_onnx : The graph this feed is for.

    Examples
    --------
    >>> from skrnn import OneHotSequences, RNNClassifier
    >>> from skrnn.onnx import onnx_inputs
    >>> X = OneHotSequences([2, 0, 1, 1], offsets=[0, 3, 3, 4], n_token_slots=4)
    >>> clf = RNNClassifier(hidden_size=3, max_iter=1).fit(X, [0, 1, 1])
    >>> feed = onnx_inputs(clf, X, token_ids=True)
    >>> feed["token_ids"]
    array([[2, 0, 1],
           [0, 0, 0],
           [1, 0, 0]])
    >>> feed["lengths"]
    array([3, 0, 1])
    """
    steps, final = _split(estimator)
    spec = _ModelSpec(final)
    ids = _uses_token_ids(steps, token_ids)
    for step in steps:
        X = step.transform(X)
    if ids and not isinstance(X, OneHotSequences):
        raise TypeError(
            "This graph reads token ids (token_ids=True), so X must be the "
            "OneHotSequences of a OneHotSequenceTransformer, or the raw text "
            f"given to a Pipeline that starts with one; got {type(X).__name__}."
        )
    # read and checked exactly as the estimator's predict reads it
    network, _, sequences = fitted_network(final, X)
    lengths = sequences.lengths.astype(np.int64)
    mask = np.arange(max(1, int(lengths.max()))) < lengths[:, np.newaxis]
    if ids:
        padded = np.zeros(mask.shape, dtype=np.int64)
        padded[mask] = sequences.values
        feed = {"token_ids": padded, "lengths": lengths}
    else:
        padded = np.zeros(mask.shape + (spec.input_size,), dtype=_DTYPE)
        if sequences.one_hot:
            padded[mask, sequences.values] = 1
        else:
            padded[mask] = sequences.values
        feed = {"X": padded, "lengths": lengths}
    if spec.direct:
        feed.update(_direct_inputs(network, sequences))
    return feed


def _direct_inputs(network, sequences):
    """``direct_rows`` and ``direct_values``: each sequence's hashed n-grams
    (as the network computes them), zero-padded to the longest list."""
    features = sequence_features(
        ngram_ids(sequences, network.direct_order, network.direct_size),
        sequences, np.arange(len(sequences)), network.direct_size, _DTYPE,
        network.direct_values,
    )
    counts = np.diff(features.indptr)
    mask = np.arange(max(1, int(counts.max(initial=0)))) < counts[:, np.newaxis]
    rows = np.zeros(mask.shape, dtype=np.int64)
    values = np.zeros(mask.shape, dtype=_DTYPE)
    rows[mask] = features.indices
    values[mask] = features.data
    return {"direct_rows": rows, "direct_values": values}


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def _import_onnx():
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            "skrnn.onnx.to_onnx needs the onnx package: pip install onnx "
            "onnxruntime (or, in a checkout of skrnn, pip install -e \".[onnx]\")."
        ) from error
    return onnx


def _split(estimator):
    """(transformers before the final estimator, final estimator)."""
    if not isinstance(estimator, Pipeline):
        return [], estimator
    steps = []
    for name, step in estimator.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if not isinstance(step, OneHotSequenceTransformer):
            raise TypeError(
                f"skrnn.onnx exports a Pipeline of a OneHotSequenceTransformer "
                f"and an skrnn estimator; its step {name!r} is a "
                f"{type(step).__name__}, which it cannot export. Export the "
                "final estimator alone, to_onnx(pipeline[-1]), and apply "
                "pipeline[:-1].transform(X) before onnx_inputs."
            )
        check_is_fitted(step)
        steps.append(step)
    if len(steps) > 1:
        raise TypeError(
            "The Pipeline has more than one OneHotSequenceTransformer; only "
            "one, in front of the estimator, can be exported."
        )
    return steps, estimator.steps[-1][1]


def _uses_token_ids(steps, token_ids):
    if token_ids is None:
        return bool(steps)
    if not isinstance(token_ids, (bool, np.bool_)):
        raise TypeError(f"token_ids must be True, False or None, got {token_ids!r}.")
    return bool(token_ids)


class _ModelSpec:
    """What the graph needs from a fitted estimator: its parameters, checked
    against ``weights_`` (read from get_params and the fitted attributes).
    """

    def __init__(self, estimator):
        if not hasattr(estimator, "get_params") or not (
            is_classifier(estimator) or is_regressor(estimator)
        ):
            raise TypeError(
                "skrnn.onnx exports skrnn classifiers and regressors (or a "
                f"Pipeline ending in one), got {type(estimator).__name__}."
            )
        params = estimator.get_params(deep=False)
        missing = [name for name in _NEEDED_PARAMS if name not in params]
        if missing:
            raise TypeError(
                f"{type(estimator).__name__} is not an skrnn recurrent "
                f"estimator (it has no parameter(s) {missing}); skrnn.onnx "
                "exports skrnn classifiers and regressors."
            )
        check_is_fitted(estimator, ["weights_", "input_size_"])
        self.classifier = is_classifier(estimator)
        self.cell = params["cell"]
        if self.cell not in _GATES:
            raise ValueError(
                f"cell={self.cell!r} has no ONNX operator; skrnn.onnx exports "
                f"the cells {sorted(_GATES)}."
            )
        self.nonlinearity = params["nonlinearity"]
        if self.cell == "rnn" and self.nonlinearity not in _ACTIVATIONS:
            raise ValueError(
                f"nonlinearity={self.nonlinearity!r} has no activation in the "
                f"ONNX RNN operator that skrnn exports; use one of "
                f"{sorted(_ACTIVATIONS)}."
            )
        self.pooling = params["pooling"]
        if self.pooling not in _POOLINGS:
            raise ValueError(
                f"pooling={self.pooling!r} cannot be exported; skrnn.onnx "
                f"exports pooling {list(_POOLINGS)}."
            )
        self.hidden_size = int(params["hidden_size"])
        self.num_layers = int(params["num_layers"])
        self.directions = 2 if params["bidirectional"] else 1
        self.embedding_size = params["embedding_size"]
        self.direct = bool(params.get("direct_order"))
        self.input_size = int(estimator.input_size_)
        self.weights = {
            name: np.asarray(array) for name, array in estimator.weights_.items()
        }
        self._check_shapes(type(estimator).__name__)

    def suffix(self, k, d):
        return f"_l{k}" + ("_reverse" if d else "")

    def _check_shapes(self, name):
        G, H, D = _GATES[self.cell], self.hidden_size, self.directions
        n_in = self.input_size
        expected = {}
        if self.embedding_size is not None:
            expected["weight_embedding"] = (self.input_size, self.embedding_size)
            n_in = self.embedding_size
        for k in range(self.num_layers):
            for d in range(D):
                sfx = self.suffix(k, d)
                expected["weight_ih" + sfx] = (G * H, n_in if k == 0 else D * H)
                expected["weight_hh" + sfx] = (G * H, H)
                expected["bias_ih" + sfx] = (G * H,)
                expected["bias_hh" + sfx] = (G * H,)
        n_out = self.weights.get("weight_out", np.empty((0, 0))).shape[0]
        expected["weight_out"] = (n_out, D * H)
        expected["bias_out"] = (n_out,)
        if self.direct:
            rows = self.weights.get("weight_direct", np.empty((0, 0))).shape[0]
            expected["weight_direct"] = (rows, n_out)
        for key, shape in expected.items():
            found = self.weights.get(key)
            if found is None or found.shape != shape:
                what = "is missing" if found is None else f"has shape {found.shape}"
                raise ValueError(
                    f"{name}.weights_[{key!r}] {what}, but the parameters "
                    f"(cell={self.cell!r}, hidden_size={H}, num_layers="
                    f"{self.num_layers}, bidirectional={D == 2}, embedding_size="
                    f"{self.embedding_size!r}) need {shape}: were they changed "
                    "with set_params after fit? Refit, or restore them."
                )
        if n_out == 0:
            raise ValueError(f"{name}.weights_['weight_out'] has no output unit.")

    def gate_rows(self):
        """Row order that puts PyTorch's gate blocks in ONNX's order."""
        H = self.hidden_size
        return np.concatenate(
            [np.arange(g * H, (g + 1) * H) for g in _ONNX_GATE_ORDER[self.cell]]
        )


# ---------------------------------------------------------------------------
# The graph
# ---------------------------------------------------------------------------


class _GraphBuilder:
    """Nodes, initializers, inputs and outputs of one graph, with unique names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes, self.initializers = [], []
        self.inputs, self.outputs = [], []
        self._count = 0

    def _name(self, base):
        self._count += 1
        return f"{base}_{self._count}"

    def input(self, name, elem_type, shape):
        info = self.onnx.helper.make_tensor_value_info(name, elem_type, shape)
        self.inputs.append(info)
        return name

    def output(self, name, elem_type, shape):
        info = self.onnx.helper.make_tensor_value_info(name, elem_type, shape)
        self.outputs.append(info)

    def ints(self, base, values):
        """An int64 initializer: a scalar, or a list of axes or a shape."""
        return self.constant(base, np.array(values, dtype=np.int64))

    def constant(self, base, array, cast=True):
        """An initializer holding ``array``; floats in the graph's float32
        unless ``cast`` is False."""
        name = self._name(base)
        array = np.asarray(array)
        if cast and array.dtype.kind == "f":
            array = array.astype(_DTYPE)
        self.initializers.append(
            self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        )
        return name

    def op(self, op_type, inputs, n_outputs=1, outputs=None, **attributes):
        """Add a node; returns its output name (or names, if several)."""
        if outputs is None:
            outputs = [self._name(op_type.lower()) for _ in range(n_outputs)]
        self.nodes.append(
            self.onnx.helper.make_node(
                op_type, inputs, outputs, name=self._name("node_" + op_type),
                **attributes,
            )
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def model(self, doc_string):
        helper = self.onnx.helper
        from . import __version__

        graph = helper.make_graph(
            self.nodes, "skrnn", self.inputs, self.outputs, self.initializers
        )
        opset = [helper.make_opsetid("", OPSET)]
        model = helper.make_model(
            graph, opset_imports=opset, producer_name="skrnn",
            producer_version=__version__, doc_string=doc_string,
        )
        # the oldest IR version that has this opset: older runtimes load it
        model.ir_version = helper.find_min_ir_version_for(opset)
        return model


def _first_layer_input(graph, spec, source, ids):
    """The time-major input (steps, batch, width) of the first recurrent
    operator, and the ``W`` its directions use (None: ``weight_ih_l0``).

    With ``ids``, ``source`` is (batch, steps) token ids, else (batch,
    steps, input_size) floats.
    """
    perm = [1, 0] if ids else [1, 0, 2]
    x = graph.op("Transpose", [source], perm=perm)
    w = spec.weights
    if spec.embedding_size is not None:
        table = graph.constant("weight_embedding", w["weight_embedding"])
        if ids:
            return graph.op("Gather", [table, x], axis=0), None
        return graph.op("MatMul", [x, table]), None
    if not ids:
        return x, None
    G, H, D, V = _GATES[spec.cell], spec.hidden_size, spec.directions, spec.input_size
    if V <= D * G * H:
        depth = graph.ints("vocabulary_size", [V])
        values = graph.constant("one_hot_values", np.array([0, 1], dtype=_DTYPE))
        return graph.op("OneHot", [x, depth, values], axis=-1), None
    # The projections x W_ih^T of each token, both directions side by side:
    # (V, D * G * H); direction d then selects its block with a 0/1 W.
    projections = np.hstack(
        [w["weight_ih" + spec.suffix(0, d)].T for d in range(D)]
    )
    table = graph.constant("input_projections_l0", projections)
    selections = []
    for d in range(D):
        selection = np.zeros((G * H, D * G * H), dtype=_DTYPE)
        selection[np.arange(G * H), d * G * H + np.arange(G * H)] = 1
        selections.append(selection)
    return graph.op("Gather", [table, x], axis=0), selections


def _recurrent_layer(graph, spec, k, x, sequence_lens, w_ih=None):
    """One ONNX RNN/GRU/LSTM operator for layer ``k``, both directions.

    ``w_ih``: per direction, the ``W`` to use in PyTorch's gate order, in
    place of ``weight_ih_l{k}``. Returns the names of Y (steps, directions,
    batch, H) and Y_h (directions, batch, H).
    """
    rows = spec.gate_rows()
    w = spec.weights
    W, R, B = [], [], []
    for d in range(spec.directions):
        sfx = spec.suffix(k, d)
        W.append((w["weight_ih" + sfx] if w_ih is None else w_ih[d])[rows])
        R.append(w["weight_hh" + sfx][rows])
        B.append(np.concatenate([w["bias_ih" + sfx][rows], w["bias_hh" + sfx][rows]]))
    attributes = {
        "hidden_size": spec.hidden_size,
        "direction": "bidirectional" if spec.directions == 2 else "forward",
    }
    if spec.cell == "rnn":
        attributes["activations"] = [_ACTIVATIONS[spec.nonlinearity]] * spec.directions
    if spec.cell == "gru":
        attributes["linear_before_reset"] = 1  # PyTorch's GRU
    return graph.op(
        _OPERATORS[spec.cell],
        [x, graph.constant(f"W_l{k}", np.stack(W)),
         graph.constant(f"R_l{k}", np.stack(R)),
         graph.constant(f"B_l{k}", np.stack(B)), sequence_lens],
        n_outputs=2, **attributes,
    )


def _pool(graph, spec, out, y_h, source, lengths):
    """The summary (batch, directions * H) of the last layer.

    ``out`` is the last layer's output (steps, batch, directions * H),
    ``y_h`` its final states (directions, batch, H).
    """
    if spec.pooling == "last":
        # (directions, batch, H) -> (batch, directions * H), forward first
        return graph.op(
            "Reshape",
            [graph.op("Transpose", [y_h], perm=[1, 0, 2]),
             graph.ints("shape", [0, -1])],
        )
    # valid[t, b, 0]: step t is inside sequence b
    n_steps = graph.op("Squeeze", [graph.op("Shape", [source], start=1, end=2),
                                   graph.ints("axes", [0])])
    steps = graph.op(
        "Range", [graph.ints("zero", 0), n_steps, graph.ints("one", 1)]
    )
    valid = graph.op(
        "Less",
        [graph.op("Unsqueeze", [steps, graph.ints("axes", [1])]),
         graph.op("Unsqueeze", [lengths, graph.ints("axes", [0])])],
    )
    valid = graph.op("Unsqueeze", [valid, graph.ints("axes", [2])])
    time_axis = graph.ints("axes", [0])
    if spec.pooling == "mean":
        mask = graph.op("Cast", [valid], to=graph.onnx.TensorProto.FLOAT)
        total = graph.op(
            "ReduceSum", [graph.op("Mul", [out, mask]), time_axis], keepdims=0
        )
        count = graph.op(
            "Max",
            [graph.op("Cast", [lengths], to=graph.onnx.TensorProto.FLOAT),
             graph.constant("one_float", np.array(1, dtype=_DTYPE))],
        )
        count = graph.op("Unsqueeze", [count, graph.ints("axes", [1])])
        return graph.op("Div", [total, count])
    # max: padding at -inf never wins; an empty sequence's summary is zero
    minus_inf = graph.constant("minus_inf", np.array(-np.inf, dtype=_DTYPE))
    largest = graph.op(
        "ReduceMax", [graph.op("Where", [valid, out, minus_inf]), time_axis],
        keepdims=0,
    )
    nonempty = graph.op("Greater", [lengths, graph.ints("zero", 0)])
    nonempty = graph.op("Unsqueeze", [nonempty, graph.ints("axes", [1])])
    zero = graph.constant("zero_float", np.array(0, dtype=_DTYPE))
    return graph.op("Where", [nonempty, largest, zero])


def _output_head(graph, estimator, spec, summary):
    """The output layer and the graph's outputs.

    A classifier: ``probabilities`` = softmax(summary W_out^T + b_out), the
    columns in the order of ``classes_``, then ``label``. A regressor (for
    skrnn's RNNRegressor: identity output): ``predictions``, of shape
    (batch,) when ``weight_out`` has one row (as MLPRegressor's predict),
    (batch, n_outputs) otherwise.
    """
    onnx = graph.onnx
    weight_out, bias_out = spec.weights["weight_out"], spec.weights["bias_out"]
    n_out = weight_out.shape[0]
    logits = graph.op(
        "Gemm",
        [summary, graph.constant("weight_out", weight_out),
         graph.constant("bias_out", bias_out)],
        transB=1,
    )
    if spec.direct:
        # sum_f value[b, f] * weight_direct[row[b, f]]: (batch, n_out)
        rows = graph.op(
            "Gather", [graph.constant("weight_direct", spec.weights["weight_direct"]),
                       "direct_rows"], axis=0,
        )
        values = graph.op("Unsqueeze", ["direct_values", graph.ints("axes", [2])])
        direct = graph.op(
            "ReduceSum", [graph.op("Mul", [rows, values]), graph.ints("axes", [1])],
            keepdims=0,
        )
        logits = graph.op("Add", [logits, direct])
    if not spec.classifier:
        if n_out == 1:
            graph.op(
                "Reshape",
                [logits, graph.ints("shape", [-1])],
                outputs=["predictions"],
            )
            graph.output("predictions", onnx.TensorProto.FLOAT, ["batch"])
        else:
            graph.op("Identity", [logits], outputs=["predictions"])
            graph.output("predictions", onnx.TensorProto.FLOAT, ["batch", n_out])
        return
    graph.op("Softmax", [logits], outputs=["probabilities"], axis=1)
    graph.output("probabilities", onnx.TensorProto.FLOAT, ["batch", n_out])
    classes = _label_values(getattr(estimator, "classes_", None), n_out)
    if classes is not None:
        index = graph.op("ArgMax", ["probabilities"], axis=1, keepdims=0)
        graph.op(
            "Gather", [graph.constant("classes", classes, cast=False), index],
            outputs=["label"],
        )
        if classes.dtype == object:
            elem_type = onnx.TensorProto.STRING
        else:
            elem_type = onnx.helper.np_dtype_to_tensor_dtype(classes.dtype)
        graph.output("label", elem_type, ["batch"])


def _label_values(classes, n_out):
    """``classes_`` as an ONNX-storable array, or None to leave ``label`` out."""
    if classes is None or len(classes) != n_out:
        return None
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu":
        return classes.astype(np.int64)
    if classes.dtype.kind in "fb":
        return classes
    if classes.dtype.kind in "US" or (
        classes.dtype == object and all(isinstance(c, str) for c in classes)
    ):
        return np.array([str(c) for c in classes], dtype=object)
    return None
