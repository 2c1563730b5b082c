"""Epoch and prediction time of RNNClassifier against PyTorch on one workload.

The reference workload (issue 6): 5,000 sequences of token ids, lengths
uniform in 5..40, a vocabulary of 5,000 words, 2 classes, minibatches of 64,
plain SGD (learning rate 0.1, no momentum, no clipping, alpha 0), hidden sizes
32, 128 and 512, the three cells, float32 and float64, and one pool of 2
threads (``torch.set_num_threads(2)``; NumPy's BLAS keeps its default, 2 on a
2-core machine).

skrnn gets the input as `OneHotSequences` from `OneHotSequenceTransformer`
and trains ``RNNClassifier(solver='sgd', momentum=0, alpha=0,
max_grad_norm=None, batch_size=64)`` through ``partial_fit`` (one epoch per
call): once as is (``skrnn``) and once with ``bucket_batches=10``
(``skrnn-b``, minibatches of similar length, like the bucketed torch route).

The PyTorch model is what a PyTorch user writes: ``nn.Embedding(V, H) ->
nn.RNN/GRU/LSTM(H, H) -> nn.Linear`` on each sequence's last state,
``CrossEntropyLoss``, ``torch.optim.SGD``, fed three ways:

* ``packed``: the zero-padded batch embedded once, then
  ``pack_padded_sequence(..., enforce_sorted=False)`` (the documented way);
* ``padded``: the zero-padded time-major batch; the state is read at each
  row's last step (the same model; PyTorch's dense kernels are faster);
* ``bucketed``: padded, with minibatches of similar length (indices sorted
  by length within chunks of ten batches, then cut into batches).

Each configuration times one training epoch after a warm-up epoch, and one
``predict_proba`` pass over all sequences (torch: ``inference_mode``,
batches of 512; ``bucketed`` sorts them by length first, skrnn always does).
Every timing is the best of ``--repeats`` runs, the variants interleaved in
each repeat so that load on a shared machine hits them alike.

skrnn's achieved GFLOP/s counts the recurrent products of training:
forward ``h W_hh^T``, backward ``d_a W_hh`` and the weight gradient
``d_a^T h`` (2 * G * H * H flops each per token, the first step of each
sequence only in the weight gradient; the input projection is a gather).
NumPy's matmul GFLOP/s is measured in the same run, in the model's dtype,
two ways: at a full minibatch's step shape, (64, H) x (H, G * H)
(``numpy GFLOP/s``, ``share``; ``skrnn-b share`` is the bucketed run's,
whose steps mostly have all 64 rows); and by replaying exactly the products of
one epoch (``replay``, ``share (replay)``): per minibatch, sorted by length,
each step's ``(b_t, H) x (H, G * H)`` and ``(b_t, G * H) x (G * H, H)``
with ``b_t`` the rows still running at step t (fewer than 64 once the short
sequences have ended), and the weight gradient ``(H, n) x (n, G * H)`` over
the minibatch's ``n`` tokens. The replay share is the fraction of skrnn's
epoch that NumPy needs for its products alone.

Without torch (``pip install torch==2.13.0``, the CPU build; never unpinned)
the torch columns are skipped.

Run::

    python benchmarks/compare_torch.py                     # everything, 20-40 min
    python benchmarks/compare_torch.py --cells rnn --hidden-sizes 32,512 \\
        --dtypes float32 --repeats 2
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

# Measure the skrnn of this checkout, whatever else is installed; _common
# beside this file.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import (  # noqa: E402
    GATES,
    add_workload_arguments,
    best_time,
    make_data,
    print_environment,
)

from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier  # noqa: E402

try:
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence
except ImportError:  # the skrnn side still runs
    torch = None

VARIANTS = ("packed", "padded", "bucketed")
PREDICT_BATCH = 512


def bucketed_order(order, lengths, batch_size, chunk_batches=10):
    """``order`` sorted by length within chunks of ``chunk_batches`` batches."""
    chunk = batch_size * chunk_batches
    parts = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        parts.append(part[np.argsort(lengths[part], kind="stable")])
    return np.concatenate(parts)


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------


class TorchModel(nn.Module if torch else object):
    """Embedding -> RNN / GRU / LSTM -> Linear on each sequence's last state."""

    def __init__(self, cell, vocabulary, hidden_size, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, hidden_size)
        self.rnn = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[cell](
            hidden_size, hidden_size
        )
        self.out = nn.Linear(hidden_size, n_classes)

    def forward(self, ids, lengths, packed):
        """``ids`` (T, B) zero-padded, time-major; ``lengths`` (B,) int64."""
        embedded = self.embedding(ids)
        if packed:
            sequence = pack_padded_sequence(embedded, lengths, enforce_sorted=False)
            _, h_n = self.rnn(sequence)
            if isinstance(h_n, tuple):
                h_n = h_n[0]
            last = h_n[-1]
        else:
            out, _ = self.rnn(embedded)
            last = out[lengths - 1, torch.arange(ids.shape[1])]
        return self.out(last)


class TorchRun:
    """One torch model trained and evaluated one way."""

    def __init__(self, variant, cell, padded, lengths, y, vocabulary, H, dtype, seed):
        torch.manual_seed(seed)
        self.variant = variant
        self.padded, self.lengths, self.y = padded, lengths, y
        self.model = TorchModel(cell, vocabulary, H, 2).to(
            torch.float32 if dtype == np.float32 else torch.float64
        )
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.loss = nn.CrossEntropyLoss()
        self.rng = np.random.RandomState(seed)

    def _batch(self, index):
        lengths = self.lengths[index]
        ids = self.padded[index, : lengths.max()].T  # (T, B), time-major
        return (
            torch.from_numpy(np.ascontiguousarray(ids)),
            torch.from_numpy(lengths),
        )

    def epoch(self, batch_size):
        order = self.rng.permutation(len(self.y))
        if self.variant == "bucketed":
            order = bucketed_order(order, self.lengths, batch_size)
        self.model.train()
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            ids, lengths = self._batch(index)
            self.optimizer.zero_grad()
            logits = self.model(ids, lengths, packed=self.variant == "packed")
            loss = self.loss(logits, torch.from_numpy(self.y[index]))
            loss.backward()
            self.optimizer.step()

    def predict_proba(self):
        order = np.arange(len(self.y))
        if self.variant == "bucketed":
            order = np.argsort(-self.lengths, kind="stable")
        proba = np.empty((len(order), 2))
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), PREDICT_BATCH):
                index = order[start : start + PREDICT_BATCH]
                ids, lengths = self._batch(index)
                logits = self.model(ids, lengths, packed=self.variant == "packed")
                proba[index] = torch.softmax(logits, dim=1).numpy()
        return proba


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def matmul_gflops(b, H, G, dtype, seconds=0.3):
    """NumPy's GFLOP/s of (b, H) x (H, G * H), the recurrent step's product."""
    rng = np.random.RandomState(0)
    a = rng.standard_normal((b, H)).astype(dtype)
    w = rng.standard_normal((H, G * H)).astype(dtype)
    out = np.empty((b, G * H), dtype=dtype)
    n = max(1, int(2e8 / (2 * b * H * G * H)))
    best = np.inf
    deadline = time.perf_counter() + seconds
    while True:
        start = time.perf_counter()
        for _ in range(n):
            np.matmul(a, w, out=out)
        best = min(best, (time.perf_counter() - start) / n)
        if time.perf_counter() > deadline:
            break
    return 2 * b * H * G * H / best / 1e9


def replay_gflops(lengths, batch_size, H, G, dtype, seed, repeats=2):
    """NumPy's GFLOP/s over the recurrent products of one unbucketed epoch.

    The minibatches are a random permutation cut into ``batch_size``
    sequences, as skrnn's epoch; each is sorted by decreasing length, so
    step t runs ``b_t`` rows. Products, in skrnn's operand layouts: forward
    ``h_{t-1} (b_t, H) @ W_hh^T (H, G * H)`` for t > 0, backward
    ``d_a (b_t, G * H) @ W_hh (G * H, H)`` for t > 0, and the weight
    gradient ``h_prev^T (H, n) @ d_a (n, G * H)``.
    """
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(lengths))
    step_rows = []
    for start in range(0, len(order), batch_size):
        batch = np.sort(lengths[order[start : start + batch_size]])[::-1]
        step_rows.append([int((batch > t).sum()) for t in range(1, int(batch[0]))]
                         + [int(batch.sum())])
    rows = max(r[-1] for r in step_rows)
    h = rng.standard_normal((rows, H)).astype(dtype)
    d_a = rng.standard_normal((rows, G * H)).astype(dtype)
    w_t = rng.standard_normal((H, G * H)).astype(dtype)
    w = np.ascontiguousarray(w_t.T)
    out_g = np.empty((batch_size, G * H), dtype=dtype)
    out_h = np.empty((batch_size, H), dtype=dtype)
    out_w = np.empty((H, G * H), dtype=dtype)
    flops = 0
    for r in step_rows:
        flops += 2 * G * H * H * (2 * sum(r[:-1]) + r[-1])

    def epoch():
        for r in step_rows:
            for b in r[:-1]:
                np.matmul(h[:b], w_t, out=out_g[:b])
                np.matmul(d_a[:b], w, out=out_h[:b])
            np.matmul(h[: r[-1]].T, d_a[: r[-1]], out=out_w)

    return flops / best_time(epoch, repeats) / 1e9


def skrnn_classifier(cell, H, bucket_batches, seed):
    return RNNClassifier(
        hidden_size=H, cell=cell, solver="sgd", learning_rate=0.1, momentum=0.0,
        alpha=0.0, max_grad_norm=None, batch_size=64, random_state=seed,
        **({"bucket_batches": bucket_batches} if bucket_batches > 1 else {}),
    )


def has_bucketing():
    return "bucket_batches" in RNNClassifier().get_params()


def run_config(cell, H, dtype, data, args):
    X, y, padded, lengths = data
    X = OneHotSequences(X.ids, X.offsets, X.n_token_slots, dtype=dtype)
    V = X.shape[2]
    G = GATES[cell]
    runs = {"skrnn": skrnn_classifier(cell, H, 1, args.random_state)}
    if has_bucketing():
        runs["skrnn-b"] = skrnn_classifier(cell, H, 10, args.random_state)
    train = {}
    predict = {}
    for name, clf in runs.items():
        clf.partial_fit(X, y, classes=[0, 1])  # warm-up epoch
        train[name] = lambda clf=clf: clf.partial_fit(X, y)
        predict[name] = lambda clf=clf: clf.predict_proba(X)
    if torch is not None:
        for variant in VARIANTS:
            model = TorchRun(
                variant, cell, padded, lengths, y, V, H, dtype, args.random_state
            )
            model.epoch(64)  # warm-up epoch
            train[variant] = lambda model=model: model.epoch(64)
            predict[variant] = model.predict_proba
    fit_time = {name: np.inf for name in train}
    predict_time = {name: np.inf for name in train}
    for _ in range(args.repeats):
        for name in train:
            fit_time[name] = min(fit_time[name], best_time(train[name]))
            predict_time[name] = min(predict_time[name], best_time(predict[name]))
    tokens = int(X.lengths.sum())
    # a sequence's first step has no previous state: no recurrent product
    flops = 2 * G * H * H * (3 * tokens - 2 * len(y))
    return {
        "fit": fit_time, "predict": predict_time,
        "gflops": flops / fit_time["skrnn"] / 1e9,
        "gflops_b": flops / fit_time["skrnn-b"] / 1e9 if "skrnn-b" in fit_time else None,
        "numpy_gflops": matmul_gflops(64, H, G, dtype),
        "replay_gflops": replay_gflops(
            np.asarray(X.lengths), 64, H, G, dtype, args.random_state
        ),
    }


def format_row(cell, H, dtype, result):
    fit, predict = result["fit"], result["predict"]
    cells = [cell, str(H), np.dtype(dtype).name]
    cells += [f"{fit[k]:.3f}" if k in fit else "-" for k in
              ("skrnn", "skrnn-b", *VARIANTS)]

    def ratio(a, b):
        return f"{fit[a] / fit[b]:.2f}" if a in fit and b in fit else "-"

    cells += [ratio("skrnn", "packed"), ratio("skrnn", "padded"),
              ratio("skrnn-b" if "skrnn-b" in fit else "skrnn", "bucketed")]
    torch_predict = [predict[k] for k in VARIANTS if k in predict]
    cells += [f"{predict['skrnn']:.3f}"]
    if torch_predict:
        cells += [f"{min(torch_predict):.3f}", f"{predict['skrnn'] / min(torch_predict):.2f}"]
    else:
        cells += ["-", "-"]
    share = result["gflops"] / result["numpy_gflops"]
    cells += [f"{result['gflops']:.1f}", f"{result['numpy_gflops']:.1f}", f"{share:.0%}"]
    gflops_b = result.get("gflops_b")
    cells += [f"{gflops_b / result['numpy_gflops']:.0%}" if gflops_b else "-"]
    replay = result["gflops"] / result["replay_gflops"]
    cells += [f"{result['replay_gflops']:.1f}", f"{replay:.0%}"]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| cell | H | dtype | skrnn s | skrnn-b s | packed s | padded s | bucketed s "
    "| skrnn/packed | skrnn/padded | skrnn-b/bucketed | predict skrnn s "
    "| predict torch best s | predict ratio | skrnn GFLOP/s | numpy GFLOP/s | share "
    "| skrnn-b share "
    "| replay GFLOP/s | share (replay) |"
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", default="rnn,gru,lstm")
    parser.add_argument("--hidden-sizes", default="32,128,512")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--repeats", type=int, default=2,
                        help="timed runs per configuration, the best kept (default 2)")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch.set_num_threads (default 2)")
    add_workload_arguments(parser)
    args = parser.parse_args(argv)
    cells = args.cells.split(",")
    hidden_sizes = [int(h) for h in args.hidden_sizes.split(",")]
    dtypes = [np.dtype(d).type for d in args.dtypes.split(",")]

    print_environment(
        versions={"torch": torch.__version__ if torch else "absent: torch columns skipped"},
        threads=f"torch.set_num_threads({args.threads})" if torch else None,
    )
    if torch is not None:
        torch.set_num_threads(args.threads)
    elif args.threads:
        print("torch is not installed (pip install torch==2.13.0): skrnn only")

    tokens, y = make_data(args.n_samples, args.vocab, args.min_length,
                          args.max_length, args.random_state)
    X = OneHotSequenceTransformer(dtype=np.float64).fit_transform(tokens)
    lengths = X.lengths.astype(np.int64)
    padded = np.zeros((len(lengths), lengths.max()), dtype=np.int64)
    padded[np.arange(lengths.max()) < lengths[:, None]] = X.ids
    print(f"workload: {len(y)} sequences, lengths {lengths.min()}..{lengths.max()}, "
          f"{int(lengths.sum())} tokens, {X.shape[2]} token slots, batch 64, "
          f"SGD lr 0.1; seconds are the best of {args.repeats}")
    print()
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    results = []
    for dtype in dtypes:
        for cell in cells:
            for H in hidden_sizes:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = run_config(cell, H, dtype, (X, y, padded, lengths), args)
                results.append((cell, H, dtype, result))
                print(format_row(cell, H, dtype, result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
