"""Held-out perplexity of RNNLanguageModel with and without direct connections.

Issue 27: the hashed n-grams ending at each token (orders 1 .. k) add their
rows of a table to the next-token logits (Mikolov et al. 2011, RNNME). This
script trains the same network, the same number of epochs, with
``direct_order=0`` and with ``direct_order=k``, on two texts:

- characters: the passage of *Alice's Adventures in Wonderland* of
  ``examples/plot_char_language_model.py`` (the seed's experiment), its
  first 80 % read as one sequence for training and the rest held out;
- words: TREC's training questions (``../shared/data/trec/train.tsv``), one
  sequence per question, the stratified dev split of ``sentences.py --dev
  1000`` held out (``OneHotSequenceTransformer(min_frequency=2)``).

It prints, per seed, the held-out perplexity and the fit time, then the
mean and standard deviation over the seeds.

    python benchmarks/language_model.py [--seeds 0,1,2] [--order 3]
"""

import argparse
import ast
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _common import SHARED_DATA, ints, print_environment  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from skrnn import OneHotSequenceTransformer, RNNLanguageModel  # noqa: E402
from skrnn.datasets import load_sentences  # noqa: E402

EXAMPLE = os.path.join(HERE, os.pardir, "examples", "plot_char_language_model.py")

# The networks compared, each with and without direct connections.
CHARACTERS = dict(hidden_size=100, cell="rnn", learning_rate=0.01, bptt_steps=25,
                  batch_size=1, max_iter=20)
WORDS = dict(hidden_size=128, cell="gru", embedding_size=64, learning_rate=0.005,
             batch_size=64, max_iter=10)


def alice_passage():
    """The example's PASSAGE, read from its source (not run)."""
    with open(EXAMPLE, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "PASSAGE" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise RuntimeError(f"no PASSAGE in {EXAMPLE}")


def character_task():
    text = alice_passage()
    cut = int(0.8 * len(text))
    transformer = OneHotSequenceTransformer(analyzer="char", lowercase=False)
    transformer.fit([text])
    return "characters (Alice)", transformer.transform([text[:cut]]), \
        transformer.transform([text[cut:]]), CHARACTERS


def word_task():
    texts, labels = load_sentences(os.path.join(SHARED_DATA, "trec", "train.tsv"))
    train, held_out = train_test_split(
        np.arange(len(texts)), test_size=1000, random_state=0, stratify=labels
    )
    transformer = OneHotSequenceTransformer(min_frequency=2)
    transformer.fit([texts[i] for i in train])
    return (
        "words (TREC questions)",
        transformer.transform([texts[i] for i in train]),
        transformer.transform([texts[i] for i in held_out]),
        WORDS,
    )


def run(task, order, seeds):
    name, X_train, X_held_out, params = task
    print(f"\n{name}: {len(X_train)} training sequences, {X_train.lengths.sum()} "
          f"tokens, {X_held_out.lengths.sum()} held out, {X_train.n_token_slots} "
          f"token slots; {params}")
    rows = {}
    for direct_order in (0, order):
        for seed in seeds:
            model = RNNLanguageModel(direct_order=direct_order, random_state=seed,
                                     n_iter_no_change=1000, **params)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train)
            seconds = time.perf_counter() - start
            perplexity = model.perplexity(X_held_out)
            rows.setdefault(direct_order, []).append((perplexity, seconds))
            table = model.weights_.get("weight_direct")
            size = "" if table is None else f", table {table.shape[0]} x {table.shape[1]}"
            print(f"  direct_order={direct_order} seed {seed}: held-out perplexity "
                  f"{perplexity:.3f}, train {model.perplexity(X_train):.3f}, "
                  f"{seconds:.1f} s{size}", flush=True)
    for direct_order, values in rows.items():
        values = np.array(values)
        print(f"  direct_order={direct_order}: perplexity {values[:, 0].mean():.3f} "
              f"+/- {values[:, 0].std():.3f}, fit {values[:, 1].mean():.1f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=ints, default=[0, 1, 2])
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--task", choices=["characters", "words", "both"],
                        default="both")
    args = parser.parse_args()
    with threadpool_limits(1, user_api="blas"):
        print_environment(threads="1 BLAS thread")
        if args.task in ("characters", "both"):
            run(character_task(), args.order, args.seeds)
        if args.task in ("words", "both"):
            run(word_task(), args.order, args.seeds)


if __name__ == "__main__":
    main()
