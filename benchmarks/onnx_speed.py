"""Prediction time of ONNX Runtime against skrnn's own predict_proba.

The reference workload of ``compare_torch.py`` (issue 6): 5,000 sequences of
token ids, lengths uniform in 5..40, a vocabulary of 5,000 words, 2 classes;
cells rnn/gru/lstm, hidden sizes 32, 128 and 512, float32 (ONNX Runtime's
recurrent kernels are float32 only). Each model is fitted for one epoch on
the first 256 sequences (the timings do not depend on the weights' values),
exported with `skrnn.onnx.to_onnx`, and timed, in the same process, the
variants interleaved in each repeat:

* ``skrnn``: ``RNNClassifier.predict_proba`` on the `OneHotSequences`;
* ``ort``: ``InferenceSession.run`` on all sequences in one batch, padded to
  the longest;
* ``ort-512``: in batches of 512 sequences sorted by length (as the bucketed
  torch route of compare_torch.py predicts), so that a batch's padding is
  short;
* ``feed``: ``onnx_inputs``, the padded ids and lengths from the
  `OneHotSequences` (Python-side work a server does once per request).

``--embedding`` adds the same models with ``embedding_size=H`` (the
architecture of compare_torch.py's torch model, ``nn.Embedding(V, H)`` in
front): without an embedding the exported graph gives the first operator the
tokens' input projections through a 0/1 matrix (see `to_onnx`), an extra
``(D * G * H)``-wide product per step that skrnn's gather does not pay.

Every timing is the best of ``--repeats``; ``skrnn/ort`` is skrnn's time over
ONNX Runtime's (above 1: ONNX Runtime is faster). ``max abs diff`` is the largest
difference between ONNX Runtime's and skrnn's probabilities. Threads: ONNX
Runtime's intra-op pool gets ``--threads``; NumPy's BLAS keeps its setting
(set ``OMP_NUM_THREADS`` to match).

Run::

    python benchmarks/onnx_speed.py --embedding           # 18 rows, about 10 minutes
    OMP_NUM_THREADS=1 python benchmarks/onnx_speed.py --threads 1 \\
        --cells gru --hidden-sizes 32 --n-samples 500 --repeats 2
"""

import argparse
import os
import sys
import warnings

import numpy as np

# Measure the skrnn of this checkout, whatever else is installed; _common
# (torch-free: the workload of compare_torch.py) beside this file.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import add_workload_arguments, best_time, make_data, print_environment  # noqa: E402

from skrnn import OneHotSequences, OneHotSequenceTransformer, RNNClassifier  # noqa: E402
from skrnn.onnx import onnx_inputs, to_onnx  # noqa: E402

BATCH = 512


def run_config(ort, cell, H, embedding, X, y, args):
    clf = RNNClassifier(
        hidden_size=H, cell=cell, embedding_size=H if embedding else None,
        solver="sgd", learning_rate=0.1, momentum=0.0, alpha=0.0,
        batch_size=64, max_iter=1, random_state=args.random_state,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X[:256], y[:256])
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        to_onnx(clf, token_ids=True).SerializeToString(), options,
        providers=["CPUExecutionProvider"],
    )
    feed = onnx_inputs(clf, X, token_ids=True)
    order = np.argsort(-X.lengths, kind="stable")
    batches = []
    for start in range(0, len(order), BATCH):
        index = order[start : start + BATCH]
        batch = onnx_inputs(clf, X[index], token_ids=True)
        batches.append((index, batch))

    def ort_batched():
        proba = np.empty((len(order), len(clf.classes_)), dtype=np.float32)
        for index, batch in batches:
            proba[index] = session.run(["probabilities"], batch)[0]
        return proba

    runs = {
        "skrnn": lambda: clf.predict_proba(X),
        "ort": lambda: session.run(["probabilities"], feed)[0],
        "ort-512": ort_batched,
        "feed": lambda: onnx_inputs(clf, X, token_ids=True),
    }
    times = {name: np.inf for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            times[name] = min(times[name], best_time(run))
    expected = clf.predict_proba(X)
    diff = max(
        np.abs(runs["ort"]() - expected).max(), np.abs(ort_batched() - expected).max()
    )
    return times, diff


HEADER = (
    "| cell | H | embedding | skrnn s | ort s | ort-512 s | feed s "
    "| skrnn/ort | skrnn/ort-512 | max abs diff |"
)


def format_row(cell, H, embedding, times, diff):
    cells = [cell, str(H), "H" if embedding else "-"]
    cells += [f"{times[k]:.3f}" for k in ("skrnn", "ort", "ort-512", "feed")]
    cells += [f"{times['skrnn'] / times['ort']:.2f}",
              f"{times['skrnn'] / times['ort-512']:.2f}", f"{diff:.1e}"]
    return "| " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", default="rnn,gru,lstm")
    parser.add_argument("--hidden-sizes", default="32,128,512")
    parser.add_argument("--embedding", action="store_true",
                        help="also time models with embedding_size=H")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per variant, the best kept (default 3)")
    parser.add_argument("--threads", type=int, default=2,
                        help="ONNX Runtime's intra-op threads (default 2)")
    add_workload_arguments(parser)
    args = parser.parse_args(argv)
    try:
        import onnx
        import onnxruntime as ort
    except ImportError:
        print("onnx_speed.py needs onnx and onnxruntime: pip install -e \".[onnx]\"")
        return 2

    print_environment(
        versions={"onnx": onnx.__version__, "onnxruntime": ort.__version__},
        threads=f"onnxruntime intra-op threads {args.threads}",
    )

    tokens, y = make_data(args.n_samples, args.vocab, args.min_length,
                          args.max_length, args.random_state)
    X = OneHotSequenceTransformer(dtype=np.float32).fit_transform(tokens)
    X = OneHotSequences(X.ids, X.offsets, X.n_token_slots, dtype=np.float32)
    print(f"workload: {len(y)} sequences, lengths {X.lengths.min()}.."
          f"{X.lengths.max()}, {int(X.lengths.sum())} tokens, {X.shape[2]} token "
          f"slots, float32; seconds are the best of {args.repeats}")
    print()
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    for embedding in (False, True) if args.embedding else (False,):
        for cell in args.cells.split(","):
            for H in [int(h) for h in args.hidden_sizes.split(",")]:
                times, diff = run_config(ort, cell, H, embedding, X, y, args)
                print(format_row(cell, H, embedding, times, diff), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
