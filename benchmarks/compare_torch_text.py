"""Epoch and prediction time of the recommended text model against PyTorch.

The recommended text configuration of the README (``sentences.py``'s
``RECOMMENDED_TRANSFORMER`` and ``RECOMMENDED_PARAMS``: a 256-wide
embedding, one bidirectional GRU or LSTM layer of 256 units, max pooling,
dropout 0.3 on the embedding and on the summary, Adam at 0.002, minibatches
of 64) on TREC's training part (5,452 questions), in skrnn and in PyTorch, in
the same process (issue 20):

* skrnn: ``OneHotSequenceTransformer(min_frequency=2, dtype=...)`` fitted on
  the training part, then ``RNNClassifier(cell=..., **RECOMMENDED_PARAMS)``.
  An epoch is one ``partial_fit`` call, a prediction pass one
  ``predict_proba`` over the training part. The ``float32`` row is the
  configuration in float32 end to end (``dtype=np.float32`` in the
  transformer); the ``float64`` row is the transformer's default dtype,
  which the README's pipeline ran until it set ``dtype=np.float32``. The
  dtype printed is that of the fitted weights, checked against the input's
  and the predictions'.
* PyTorch: the model of ``sentences_torch.py``, imported from it, in
  float32: ``nn.Embedding`` -> dropout -> bidirectional ``nn.GRU`` or
  ``nn.LSTM`` on packed sequences -> max over each sequence's steps ->
  dropout -> ``nn.Linear``, Adam, on the same token ids. An epoch is
  ``sentences_torch.run``'s training loop (a fresh permutation, each
  minibatch padded, embedded, then packed); a prediction pass is the softmax
  in ``inference_mode`` over batches of ``--predict-batch`` sequences, in
  file order. Both rows of a cell are divided by the same PyTorch timings.

Differences that remain, as in ``sentences_torch.py``: skrnn's default L2
penalty (``alpha=1e-4``) and its own random streams; PyTorch uses one
dropout rate (``dropout``) for both sites, which the recommended
configuration sets equal.

Threads, ``--threads`` (default 1 and 2): NumPy's BLAS is limited with
threadpoolctl (``user_api='blas'``) and PyTorch with
``torch.set_num_threads``. At 2 threads skrnn runs the two directions of the
layer in two threads of one BLAS thread each (its own choice, see
``threads.py``); at 1, serially.

On a machine whose cores are busy with other processes, PyTorch's pool of
2 OpenMP threads waits at every operation for a thread that is not running:
its 2-thread epochs then took 7 to 10 times its 1-thread epochs (2026-12-03,
load average 5-6 on 2 cores). The ``load`` column (the 1-minute load average
as the row ends) says how busy the machine was; trust the 2-thread rows only
near a load of 2 or less.

Timing: for each model and thread count, every contender (skrnn float32,
skrnn float64, PyTorch) trains one warm-up epoch and predicts once; then in
each of ``--repeats`` rounds each trains one epoch, then each predicts once,
the order rotating from round to round, so that load on a shared machine hits
them alike. Every figure is the best of the rounds; ratios are
skrnn / PyTorch (below 1: skrnn is faster).

The new estimators, in float32, same alternation:

* ``regressor``: ``RNNRegressor`` against ``nn.GRU`` + ``nn.Linear`` on the
  last state + ``MSELoss``, on generated sequences of equal length
  (``--regressor-*``); prediction is ``predict``.
* ``language-model``: ``RNNLanguageModel(cell='lstm', embedding_size=...,
  bptt_steps=25)`` against ``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear``
  over characters with truncated BPTT of 25 steps (the state carried from
  window to window, detached), on the first ``--lm-chars`` characters of
  the training text cut into ``--lm-batch`` pieces read side by side (both
  models see the same windows); prediction is the mean log-likelihood of
  the text (skrnn's ``score``, one forward pass in PyTorch).

A model whose class skrnn lacks is skipped with a note. The text model with
pretraining (issue 20) is not timed here: pretraining changes the fit's
initialization, not the cost of an epoch.

Without torch (``pip install torch==2.13.0``, the CPU build; never unpinned)
the PyTorch columns are skipped. Run from the repository root; nothing else
meanwhile (on 2 cores a second process changes the ratios)::

    python benchmarks/compare_torch_text.py                  # 10-15 min on 2 free cores
    python benchmarks/compare_torch_text.py --cells gru --threads 2 --dtypes float32
    python benchmarks/compare_torch_text.py --models regressor,language-model --repeats 5
"""

import argparse
import contextlib
import json
import os
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

# Measure the skrnn of this checkout, whatever else is installed; the sibling
# scripts give the data location, the configuration and the PyTorch model.
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _common import print_environment, seconds  # noqa: E402
from sentences import DATA, RECOMMENDED_PARAMS, RECOMMENDED_TRANSFORMER  # noqa: E402
from sentences_torch import make_model, token_tensors  # noqa: E402

import skrnn  # noqa: E402
from skrnn import OneHotSequenceTransformer, RNNClassifier  # noqa: E402
from skrnn.datasets import load_sentences  # noqa: E402

try:
    import torch
except ImportError:  # the skrnn side still runs
    torch = None

MODELS = ("text", "regressor", "language-model")
HEADER = (
    "| model | skrnn dtype | threads | skrnn epoch s | torch epoch s "
    "| epoch skrnn/torch | skrnn predict s | torch predict s "
    "| predict skrnn/torch | load |"
)


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def threads(n):
    """NumPy's BLAS and PyTorch's intra-op pool limited to ``n`` threads."""
    with threadpool_limits(limits=n, user_api="blas"):
        if torch is None:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)


def interleaved(contenders, repeats):
    """Best epoch and prediction seconds of each contender, alternating.

    ``contenders``: dict of name -> object with ``warm_up``, ``epoch`` and
    ``predict``. Returns dict name -> (epoch seconds, predict seconds).
    """
    for contender in contenders.values():
        contender.warm_up()
    names = list(contenders)
    best = {name: [np.inf, np.inf] for name in names}
    for i in range(repeats):
        turn = names[i % len(names):] + names[: i % len(names)]
        for name in turn:
            best[name][0] = min(best[name][0], seconds(contenders[name].epoch))
        for name in turn:
            best[name][1] = min(best[name][1], seconds(contenders[name].predict))
    return {name: tuple(value) for name, value in best.items()}


def print_header():
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))


def format_row(model, dtype, n_threads, mine, theirs):
    """A table row: ``mine`` and ``theirs`` are (epoch, predict) or None."""
    cells = [model, dtype, str(n_threads), f"{mine[0]:.3f}"]
    cells += [f"{theirs[0]:.3f}", f"{mine[0] / theirs[0]:.2f}"] if theirs else ["-", "-"]
    cells += [f"{mine[1]:.3f}"]
    cells += [f"{theirs[1]:.3f}", f"{mine[1] / theirs[1]:.2f}"] if theirs else ["-", "-"]
    cells += [f"{os.getloadavg()[0]:.1f}"]  # of the last minute, as the row ends
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------------------
# The recommended text model
# ---------------------------------------------------------------------------


class SkrnnText:
    """``RNNClassifier`` trained by ``partial_fit``, one epoch per call."""

    def __init__(self, cell, X, y, params, seed):
        self.X, self.y, self.classes = X, y, np.unique(y)
        self.clf = RNNClassifier(cell=cell, random_state=seed, **params)

    def warm_up(self):
        self.clf.partial_fit(self.X, self.y, classes=self.classes)
        proba = self.predict()
        weights = self.clf.weights_["weight_out"].dtype
        if proba.dtype != weights or weights != self.X.dtype:
            raise AssertionError(
                f"dtype changed along the path: input {self.X.dtype}, weights "
                f"{weights}, predictions {proba.dtype}"
            )
        self.dtype = weights.name

    def epoch(self):
        self.clf.partial_fit(self.X, self.y)

    def predict(self):
        return self.clf.predict_proba(self.X)


class TorchText:
    """``sentences_torch.py``'s model and training loop, in float32."""

    def __init__(self, cell, sequences, y, params, seed, predict_batch):
        torch.manual_seed(seed)
        classes = np.unique(y)
        spec = SimpleNamespace(
            cell=cell, embedding_size=params["embedding_size"],
            hidden_size=params["hidden_size"], dropout=params["dropout"],
        )
        self.model = make_model(torch, spec, sequences.n_token_slots, len(classes))
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=params["learning_rate"]
        )
        self.X = token_tensors(torch, sequences)
        self.y = torch.as_tensor(np.searchsorted(classes, y))
        self.batch_size = params["batch_size"]
        self.predict_batch = predict_batch

    def warm_up(self):
        self.epoch()
        self.predict()

    def epoch(self):  # the loop of sentences_torch.run
        model, optimizer, X, y = self.model, self.optimizer, self.X, self.y
        model.train()
        order = torch.randperm(len(X))
        for i in range(0, len(X), self.batch_size):
            rows = order[i : i + self.batch_size]
            logits = model([X[j] for j in rows])
            loss = torch.nn.functional.cross_entropy(logits, y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def predict(self):
        self.model.eval()
        with torch.inference_mode():
            return torch.cat([
                torch.softmax(self.model(self.X[i : i + self.predict_batch]), dim=1)
                for i in range(0, len(self.X), self.predict_batch)
            ]).numpy()


def text_rows(args, texts, y):
    """Rows of the recommended configuration: each cell, thread count, dtype."""
    params = {**RECOMMENDED_PARAMS, **args.params}
    if params["embedding_size"] is None:
        raise SystemExit("error: the PyTorch model needs an embedding_size.")
    if params.get("input_dropout", params["dropout"]) != params["dropout"]:
        print(f"note: PyTorch's model uses dropout={params['dropout']} at both "
              f"sites; skrnn's input_dropout is {params['input_dropout']}.")
    data = {}
    for dtype in args.dtypes:
        transformer = OneHotSequenceTransformer(
            **{**RECOMMENDED_TRANSFORMER, "dtype": np.dtype(dtype).type}
        )
        data[dtype] = transformer.fit_transform(texts)
    tokens = data[args.dtypes[0]]  # the same ids in every dtype
    transformer = ", ".join(
        f"{k}={v!r}" for k, v in RECOMMENDED_TRANSFORMER.items() if k != "dtype"
    )
    classifier = ", ".join(f"{k}={v!r}" for k, v in params.items())
    print(f"text: {args.train.name}, {len(y)} sentences, {int(tokens.lengths.sum())} "
          f"tokens, longest {int(tokens.lengths.max())}, {tokens.n_token_slots} token "
          f"slots; OneHotSequenceTransformer({transformer}, dtype=...) -> "
          f"RNNClassifier({classifier}); torch float32, the model of "
          "sentences_torch.py")
    print()
    print_header()
    rows = []
    for cell in args.cells:
        for n_threads in args.threads:
            with threads(n_threads):
                contenders = {
                    dtype: SkrnnText(cell, X, y, params, args.random_state)
                    for dtype, X in data.items()
                }
                if torch is not None:
                    contenders["torch"] = TorchText(
                        cell, tokens, y, params, args.random_state, args.predict_batch
                    )
                best = interleaved(contenders, args.repeats)
            for dtype in data:
                row = format_row(
                    f"text {cell}", contenders[dtype].dtype, n_threads, best[dtype],
                    best.get("torch"),
                )
                rows.append(row)
                print(row, flush=True)
    return rows


# ---------------------------------------------------------------------------
# The new estimators
# ---------------------------------------------------------------------------


def make_series(n, length, features, seed):
    """``n`` float32 sequences (length, features) and an order-dependent target."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, length, features)).astype(np.float32)
    window = max(1, length // 5)
    y = X[:, :window, 0].mean(axis=1) - X[:, -window:, -1].mean(axis=1)
    return X, y.astype(np.float32)


class SkrnnRegressor:
    def __init__(self, X, y, params, seed):
        from skrnn import RNNRegressor

        self.X, self.y = X, y
        self.reg = RNNRegressor(random_state=seed, **params)

    def warm_up(self):
        self.reg.partial_fit(self.X, self.y)
        self.predict()
        self.dtype = self.reg.weights_["weight_out"].dtype.name

    def epoch(self):
        self.reg.partial_fit(self.X, self.y)

    def predict(self):
        return self.reg.predict(self.X)


class TorchRegressor:
    """``nn.GRU`` (or LSTM, RNN) + ``nn.Linear`` on the last state, MSELoss, Adam."""

    def __init__(self, X, y, params, seed, predict_batch):
        nn = torch.nn
        torch.manual_seed(seed)
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[params["cell"]]

        class Regressor(nn.Module):
            def __init__(self):
                super().__init__()
                self.recurrent = layer(X.shape[2], params["hidden_size"], batch_first=True)
                self.out = nn.Linear(params["hidden_size"], 1)

            def forward(self, x):
                _, h_n = self.recurrent(x)
                if isinstance(h_n, tuple):
                    h_n = h_n[0]
                return self.out(h_n[-1]).squeeze(1)

        self.model = Regressor()
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=params["learning_rate"]
        )
        self.loss = nn.MSELoss()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.batch_size = params["batch_size"]
        self.predict_batch = predict_batch

    def warm_up(self):
        self.epoch()
        self.predict()

    def epoch(self):
        self.model.train()
        order = torch.randperm(len(self.X))
        for i in range(0, len(self.X), self.batch_size):
            rows = order[i : i + self.batch_size]
            loss = self.loss(self.model(self.X[rows]), self.y[rows])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def predict(self):
        self.model.eval()
        with torch.inference_mode():
            return torch.cat([
                self.model(self.X[i : i + self.predict_batch])
                for i in range(0, len(self.X), self.predict_batch)
            ]).numpy()


def regressor_rows(args):
    """``RNNRegressor`` against nn.GRU + nn.Linear + MSELoss, float32."""
    if "RNNRegressor" not in skrnn.__all__:
        print("note: regressor skipped: skrnn has no RNNRegressor yet.")
        return []
    X, y = make_series(args.regressor_samples, args.regressor_length,
                       args.regressor_features, args.random_state)
    params = {"cell": args.regressor_cell, "hidden_size": args.regressor_hidden,
              "learning_rate": 0.001, "batch_size": 64}
    described = ", ".join(f"{k}={v!r}" for k, v in params.items())
    layer = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[params["cell"]]
    print(f"regressor: {len(X)} generated float32 sequences of {X.shape[1]} steps "
          f"x {X.shape[2]} features; RNNRegressor({described}) (last state, "
          f"alpha=1e-4) against nn.{layer} + nn.Linear on the last state + "
          "MSELoss, Adam without weight decay (Adam's steps do not depend on "
          "skrnn's halved loss)")
    print()
    print_header()
    rows = []
    for n_threads in args.threads:
        with threads(n_threads):
            contenders = {"skrnn": SkrnnRegressor(X, y, params, args.random_state)}
            if torch is not None:
                contenders["torch"] = TorchRegressor(
                    X, y, params, args.random_state, args.predict_batch
                )
            best = interleaved(contenders, args.repeats)
        row = format_row(
            f"regressor {params['cell']} {params['hidden_size']}",
            contenders["skrnn"].dtype, n_threads, best["skrnn"], best.get("torch"),
        )
        rows.append(row)
        print(row, flush=True)
    return rows


class SkrnnLanguageModel:
    """``RNNLanguageModel``: an epoch is one ``partial_fit``, a prediction
    pass one ``score`` (mean log-likelihood per token) over the text."""

    def __init__(self, X, params, seed):
        from skrnn import RNNLanguageModel

        self.X = X
        self.lm = RNNLanguageModel(random_state=seed, **params)

    def warm_up(self):
        self.lm.partial_fit(self.X)
        self.predict()
        self.dtype = self.lm.weights_["weight_out"].dtype.name

    def epoch(self):
        self.lm.partial_fit(self.X)

    def predict(self):
        return self.lm.score(self.X)


class TorchLanguageModel:
    """``nn.Embedding`` -> ``nn.LSTM`` (GRU, RNN) -> ``nn.Linear`` over the
    characters, truncated BPTT: the text cut into ``batch_size`` pieces read
    side by side in windows of ``bptt_steps``, the state carried from window
    to window and detached; cross-entropy, Adam. Prediction: one forward pass
    over the whole pieces, the mean log-likelihood of every next character."""

    def __init__(self, X, params, seed):
        nn = torch.nn
        torch.manual_seed(seed)
        V, E, H = X.n_token_slots, params["embedding_size"], params["hidden_size"]
        layer = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[params["cell"]]

        class CharModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(V, E)
                self.recurrent = layer(E, H, batch_first=True)
                self.out = nn.Linear(H, V)

            def forward(self, ids, state=None):
                outputs, state = self.recurrent(self.embedding(ids), state)
                return self.out(outputs), state

        self.model = CharModel()
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=params["learning_rate"]
        )
        lengths = np.diff(X.offsets)
        if len(set(lengths.tolist())) != 1:
            raise ValueError("the pieces of the text must have equal lengths")
        ids = np.asarray(X.ids).reshape(len(lengths), -1)
        self.ids = torch.tensor(ids, dtype=torch.long)  # a copy: X's are read-only
        self.bptt = params["bptt_steps"]

    def warm_up(self):
        self.epoch()
        self.predict()

    def epoch(self):
        model, ids, functional = self.model, self.ids, torch.nn.functional
        model.train()
        state = None
        n_pairs = ids.shape[1] - 1
        for start in range(0, n_pairs, self.bptt):
            stop = min(start + self.bptt, n_pairs)
            logits, state = model(ids[:, start:stop], state)
            state = (tuple(s.detach() for s in state) if isinstance(state, tuple)
                     else state.detach())
            loss = functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                ids[:, start + 1 : stop + 1].reshape(-1),
            )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def predict(self):
        self.model.eval()
        with torch.inference_mode():
            logits, _ = self.model(self.ids[:, :-1])
            log_p = torch.log_softmax(logits, dim=-1)
            return float(log_p.gather(2, self.ids[:, 1:, None]).mean())


def language_model_rows(args, texts):
    """``RNNLanguageModel`` against a PyTorch character model, float32.

    The text: the TREC training questions (or the tiny file given), one per
    line, the first ``--lm-chars`` characters, cut into ``--lm-batch``
    pieces of equal length read side by side (the streams of a minibatch)
    in chunks of 25 predicted characters, the state carried from chunk to
    chunk: truncated BPTT of 25 steps in both.
    """
    if "RNNLanguageModel" not in skrnn.__all__:
        print("note: language model skipped: skrnn has no RNNLanguageModel yet "
              "(this row times an epoch and a prediction pass against an "
              "nn.LSTM character model with truncated BPTT of 25 steps).")
        return []
    text = "\n".join(texts)[: args.lm_chars]
    B = args.lm_batch
    length = len(text) // B
    pieces = [text[i * length : (i + 1) * length] for i in range(B)]
    X = OneHotSequenceTransformer(analyzer="char", dtype=np.float32).fit_transform(pieces)
    params = {"cell": args.lm_cell, "hidden_size": args.lm_hidden,
              "embedding_size": args.lm_embedding, "bptt_steps": 25,
              "batch_size": B, "learning_rate": 0.002}
    described = ", ".join(f"{k}={v!r}" for k, v in params.items())
    layer = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[params["cell"]]
    print(f"language model: {B * length:,} characters of the training text in {B} "
          f"pieces of {length:,}, {X.n_token_slots} token slots; "
          f"RNNLanguageModel({described}) (alpha=1e-4; prediction: score) against "
          f"nn.Embedding + nn.{layer} + nn.Linear, truncated BPTT of 25 steps, "
          "Adam without weight decay (prediction: log-likelihood of the pieces)")
    print()
    print_header()
    rows = []
    for n_threads in args.threads:
        with threads(n_threads):
            contenders = {"skrnn": SkrnnLanguageModel(X, params, args.random_state)}
            if torch is not None:
                contenders["torch"] = TorchLanguageModel(X, params, args.random_state)
            best = interleaved(contenders, args.repeats)
        row = format_row(
            f"language model {params['cell']} {params['hidden_size']}",
            contenders["skrnn"].dtype, n_threads, best["skrnn"], best.get("torch"),
        )
        rows.append(row)
        print(row, flush=True)
    return rows


# ---------------------------------------------------------------------------


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.tsv",
                        help="TREC training file (default: %(default)s)")
    parser.add_argument("--models", default="text,regressor,language-model",
                        help=f"comma-separated, of {', '.join(MODELS)} (default: all)")
    parser.add_argument("--cells", default="gru,lstm")
    parser.add_argument("--threads", default="1,2",
                        help="thread counts, comma-separated (default: 1,2)")
    parser.add_argument("--dtypes", default="float32,float64",
                        help="skrnn's dtypes of the text model (default: "
                        "float32,float64; float64 is the transformer's default)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed rounds, the best kept (default: 3)")
    parser.add_argument("--params", type=json.loads, default={}, metavar="JSON",
                        help="RNNClassifier parameters over RECOMMENDED_PARAMS "
                        "(hidden_size, embedding_size, dropout, learning_rate "
                        "and batch_size also set the PyTorch model)")
    parser.add_argument("--n-samples", type=int, default=None,
                        help="use the first N training sentences (default: all)")
    parser.add_argument("--predict-batch", type=int, default=512,
                        help="PyTorch's prediction batch (default: 512)")
    parser.add_argument("--regressor-cell", choices=["rnn", "gru", "lstm"], default="gru")
    parser.add_argument("--regressor-hidden", type=int, default=64)
    parser.add_argument("--regressor-samples", type=int, default=5000)
    parser.add_argument("--regressor-length", type=int, default=50)
    parser.add_argument("--regressor-features", type=int, default=3)
    parser.add_argument("--lm-cell", choices=["rnn", "gru", "lstm"], default="lstm")
    parser.add_argument("--lm-hidden", type=int, default=128)
    parser.add_argument("--lm-embedding", type=int, default=64)
    parser.add_argument("--lm-batch", type=int, default=32,
                        help="pieces of the text read side by side (default: 32)")
    parser.add_argument("--lm-chars", type=int, default=100_000,
                        help="characters of the training text (default: 100000)")
    parser.add_argument("--random-state", type=int, default=0)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.models = args.models.split(",")
    args.cells = args.cells.split(",")
    args.threads = [int(n) for n in args.threads.split(",")]
    args.dtypes = [np.dtype(d).name for d in args.dtypes.split(",")]
    unknown = sorted(set(args.models) - set(MODELS))
    unknown_params = sorted(set(args.params) - set(RNNClassifier().get_params()))
    if unknown or unknown_params or not set(args.dtypes) <= {"float32", "float64"}:
        print(f"error: unknown models {unknown}, RNNClassifier parameters "
              f"{unknown_params}, or dtypes other than float32/float64 in "
              f"{args.dtypes}.", file=sys.stderr)
        return 2
    if {"text", "language-model"} & set(args.models) and not args.train.is_file():
        print(f"error: the TREC training file {args.train} does not exist; put "
              f"train.tsv in {DATA} or pass --train PATH.", file=sys.stderr)
        return 2

    print_environment(
        versions={"torch": torch.__version__ if torch else "absent: torch columns skipped"},
        threads="each row's count for NumPy's BLAS (threadpoolctl) and "
        "torch.set_num_threads",
    )
    print(f"seconds: best of {args.repeats} rounds after a warm-up, contenders "
          "alternating; ratios skrnn / torch (torch always float32); load: the "
          "1-minute load average as the row ends (above the core count, other "
          "processes share the cores and the 2-thread rows, PyTorch's most, "
          "are not to be trusted)")

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if {"text", "language-model"} & set(args.models):
            texts, y = load_sentences(args.train)
        if "text" in args.models:
            n = args.n_samples or len(texts)
            print()
            rows += text_rows(args, texts[:n], y[:n])
        if "regressor" in args.models:
            print()
            rows += regressor_rows(args)
        if "language-model" in args.models:
            print()
            rows += language_model_rows(args, texts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
