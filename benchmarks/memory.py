"""Peak memory of OneHotSequenceTransformer and RNNClassifier on a large vocabulary.

Generates sentences of random words ``w12345`` (Zipf-like frequencies over a
vocabulary of V words, every word used at least once, lengths 5 to 40,
seeded), turns them into one-hot sequences with `OneHotSequenceTransformer`,
and trains `RNNClassifier` on them for a few epochs. `tracemalloc` (which sees
NumPy's buffers as well as Python objects) measures the peak of

(a) ``OneHotSequenceTransformer().fit_transform(sentences)``,
(b) ``RNNClassifier(...).fit(X, y)``,

(the peak is reset between them) and prints them beside what a dense one-hot
array would take, the size of the token ids, and the size of the weights. The
design promises memory O(total tokens + batch * T * H) besides the model: the
one-hot input is never densified. Checks print OK or FAIL lines.

The run is repeated at two vocabulary sizes (default 10,000 and 100,000) with
everything else fixed, to separate the part of the peak that scales with the
weights (V * gates * H: the embedding, its gradient, Adam's two moments and
temporaries of the update) from the part that does not.

``--solver`` picks the optimizer: ``adam`` (the default settings),
``lazy_adam`` (the same settings, ``RNNClassifier(solver='lazy_adam')``: Adam
that updates only the embedding / first-layer ``W_ih`` rows of the
minibatch's tokens, with their moments and their L2 penalty, as TensorFlow's
LazyAdam and PyTorch's SparseAdam; a step costs O(tokens in the minibatch)
instead of O(vocabulary), and a word's moments do not decay while it is
absent), or ``sgd`` (issue 6's plain SGD, whose embedding update is
row-sparse and exactly the dense one).

Run::

    python benchmarks/memory.py                       # V = 10,000 and 100,000
    python benchmarks/memory.py --cell lstm --vocab 100000
    python benchmarks/memory.py --solver lazy_adam --vocab 10000,100000
    python benchmarks/memory.py --solver sgd --vocab 5000,50000   # issue 6's SGD
    python benchmarks/memory.py --direct-order 3 --vocab 10000    # with the table
"""

import argparse
import os
import sys
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

# Measure the skrnn of this checkout, whatever else is installed; _common
# beside this file.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import GATES, ints, print_environment  # noqa: E402

from skrnn import OneHotSequenceTransformer, RNNClassifier  # noqa: E402

# Constants of the checks, fixed before measuring (see RESULTS.md):
# the model state is params + gradient + Adam's m and v = 4 copies of the
# weights; per minibatch the network keeps a handful of (rows, gates * H)
# arrays (input projection, states, gate activations, their gradients): at
# most ACTIVATION_COPIES of them; the whole peak may be SLACK times the sum.
STATE_COPIES = 4
ACTIVATION_COPIES = 8
SLACK = 2.0


def make_sentences(n, vocabulary, min_length, max_length, exponent, seed):
    """``n`` sentences of words ``w0 .. w{vocabulary-1}``, every word used.

    Word ranks are drawn with probability proportional to
    ``1 / (rank + 1) ** exponent``; then each word never drawn replaces a
    repeated token at a random place (mostly of the most frequent words), so
    the vocabulary is exactly ``vocabulary``.
    Labels: 1 if the sentence's first word is more frequent (lower rank) than
    its last, else 0 (a learnable, order-dependent rule).
    """
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_length, max_length + 1, size=n)
    total = int(lengths.sum())
    if total < vocabulary:
        raise ValueError(
            f"{n} sentences of {min_length}-{max_length} words hold {total} "
            f"tokens, fewer than the vocabulary of {vocabulary}."
        )
    p = 1.0 / np.arange(1, vocabulary + 1) ** exponent
    ids = rng.choice(vocabulary, size=total, p=p / p.sum())
    unseen = np.setdiff1d(np.arange(vocabulary), ids)
    # Overwrite repeat uses only (never a word's first use), so every word
    # drawn keeps at least one use; there are total - drawn >= len(unseen).
    _, first = np.unique(ids, return_index=True)
    repeats = np.setdiff1d(np.arange(total), first)
    ids[rng.choice(repeats, size=len(unseen), replace=False)] = unseen
    words = np.array([f"w{i}" for i in range(vocabulary)], dtype=object)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    sentences = [" ".join(words[ids[a:b]]) for a, b in zip(offsets[:-1], offsets[1:])]
    y = (ids[offsets[:-1]] < ids[offsets[1:] - 1]).astype(int)
    return sentences, y


def mb(n_bytes):
    return f"{n_bytes / 2**20:,.1f} MiB"


def size(n_bytes):
    """Human-readable size, up to TiB."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}"
    return f"{n_bytes / 2**10:,.1f} KiB"


def check(ok, message):
    print(f"  {'OK  ' if ok else 'FAIL'} {message}")
    return ok


def run(vocabulary, args):
    sentences, y = make_sentences(
        args.n_samples, vocabulary, args.min_length, args.max_length,
        args.exponent, args.random_state,
    )
    print(f"V = {vocabulary:,}: {len(sentences):,} sentences generated")

    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    transformer = OneHotSequenceTransformer()
    X = transformer.fit_transform(sentences)
    transform_time = time.perf_counter() - start
    current, peak = tracemalloc.get_traced_memory()
    transform_peak = peak - base
    kept_after_transform = current - base

    solver = {
        "adam": {},
        # Adam's settings otherwise; only the minibatch's embedding rows move
        "lazy_adam": dict(solver="lazy_adam"),
        # issue 6's reference: plain SGD, the embedding updated row-sparse
        "sgd": dict(solver="sgd", learning_rate=0.1, momentum=0.0, alpha=0.0,
                    max_grad_norm=None),
    }[args.solver]
    clf = RNNClassifier(
        hidden_size=args.hidden_size, cell=args.cell, batch_size=args.batch_size,
        max_iter=args.max_iter, random_state=args.random_state,
        direct_order=args.direct_order, direct_size=args.direct_size, **solver,
    )
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    fit_time = time.perf_counter() - start
    fit_peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()

    n, T, V = X.shape
    tokens = int(X.lengths.sum())
    H, G = args.hidden_size, GATES[args.cell]
    itemsize = np.dtype(X.dtype).itemsize
    dense = n * T * V * itemsize
    ids = X.ids.nbytes + X.offsets.nbytes
    n_params = sum(w.size for w in clf.weights_.values())
    weights = n_params * itemsize
    embedding = clf.weights_["weight_ih_l0"].nbytes
    activations = args.batch_size * T * G * H * itemsize
    bound = SLACK * (
        STATE_COPIES * weights + tokens * 8 + ACTIVATION_COPIES * activations
    )

    print(f"  X: {X!r}")
    print(f"  total tokens {tokens:,}, longest T = {T}, token slots V = {V:,}; "
          f"{args.cell} cell, H = {H}, gates = {G}, batch = {args.batch_size}, "
          f"solver {args.solver}, "
          f"{args.max_iter} epochs (transform {transform_time:.1f} s, fit "
          f"{fit_time:.1f} s, final loss {clf.loss_curve_[-1]:.3f})")
    rows = [
        ("dense one-hot array n*T*V*8", dense),
        ("token ids + offsets (O(total tokens))", ids),
        ("weights, all (V*G*H*8 for W_ih)", weights),
        ("  of which the embedding W_ih", embedding),
        ("  of which the direct table (direct_size * classes * 8)",
         clf.weights_["weight_direct"].nbytes if args.direct_order else 0),
        ("one batch of activations batch*T*G*H*8", activations),
        ("peak of (a) fit_transform", transform_peak),
        ("  kept after it (X, vocabulary_)", kept_after_transform),
        ("peak of (b) RNNClassifier.fit", fit_peak),
        ("bound " + f"{SLACK:g}*({STATE_COPIES}*weights + 8*tokens + "
         f"{ACTIVATION_COPIES}*activations)", bound),
    ]
    for name, value in rows:
        print(f"  {name:<52} {size(value):>12}")
    print(f"  peak fit / weights = {fit_peak / weights:.2f}; peak fit / dense "
          f"one-hot = {fit_peak / dense:.2e}; fit_transform peak per token = "
          f"{transform_peak / tokens:.0f} bytes")
    check(fit_peak < bound, f"peak fit {size(fit_peak)} < bound {size(bound)}")
    check(fit_peak < dense / 100, "peak fit is under 1 % of the dense one-hot array")
    check(
        transform_peak < 1000 * tokens,
        f"fit_transform peak is O(total tokens): {transform_peak / tokens:.0f} "
        "bytes per token < 1000",
    )
    return {
        "V": V, "weights": weights, "fit_peak": fit_peak,
        "transform_peak": transform_peak, "tokens": tokens,
        "activations": activations,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocab", type=ints,
                        default=[10_000, 100_000], metavar="V[,V...]",
                        help="vocabulary sizes (default: 10000,100000)")
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--min-length", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=40)
    parser.add_argument("--exponent", type=float, default=1.0,
                        help="Zipf exponent of word frequencies (default: 1.0)")
    parser.add_argument("--cell", choices=list(GATES), default="rnn")
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-iter", type=int, default=2, help="epochs (default: 2)")
    parser.add_argument("--solver", choices=["adam", "lazy_adam", "sgd"],
                        default="adam",
                        help="adam (default settings); lazy_adam (the same "
                        "settings, Adam on the minibatch's embedding rows "
                        "only, as TensorFlow's LazyAdam / PyTorch's "
                        "SparseAdam); or sgd: issue 6's plain SGD (lr 0.1, no "
                        "momentum, alpha 0, no clipping), whose embedding "
                        "gradient and update are row-sparse")
    parser.add_argument("--direct-order", type=int, default=0,
                        help="direct n-gram connections of orders 1 .. this "
                        "(default: 0, none)")
    parser.add_argument("--direct-size", type=int, default=None,
                        help="rows of the direct table (default: the "
                        "estimator's)")
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    results = []
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        print_environment(threads=f"{args.blas_threads} BLAS thread(s)")
        print()
        for vocabulary in args.vocab:
            results.append(run(vocabulary, args))
            print()

    if len(results) >= 2:
        small, large = results[0], results[-1]
        # peak = a * weights + b: a counts the weight-sized arrays alive at the
        # peak, b is what does not depend on the vocabulary.
        a = (large["fit_peak"] - small["fit_peak"]) / (large["weights"] - small["weights"])
        b = small["fit_peak"] - a * small["weights"]
        print(f"vocabulary scaling, V = {small['V']:,} -> {large['V']:,} "
              f"(weights x{large['weights'] / small['weights']:.1f}):")
        print(f"  peak fit {size(small['fit_peak'])} -> {size(large['fit_peak'])}"
              f" (x{large['fit_peak'] / small['fit_peak']:.1f})")
        print(f"  peak fit = a * weights + b with a = {a:.2f} weight-sized arrays "
              f"and b = {size(b)} independent of V")
        print(f"  fit_transform peak {size(small['transform_peak'])} -> "
              f"{size(large['transform_peak'])}")
        check(a <= SLACK * STATE_COPIES,
              f"the peak grows with V only through the weights: a = {a:.2f} <= "
              f"{SLACK * STATE_COPIES:g} (params, gradient, Adam m and v, "
              "update temporaries)")
        fixed = large["tokens"] * 8 + ACTIVATION_COPIES * large["activations"]
        check(b <= SLACK * fixed,
              f"the V-independent part b = {size(b)} <= {SLACK:g}*(8*tokens + "
              f"{ACTIVATION_COPIES}*activations) = {size(SLACK * fixed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
