"""TREC with the recommended model rebuilt in PyTorch: what the model can reach.

A cross-check of ``sentences.py --preset recommended``. The same tokens
(``OneHotSequenceTransformer(min_frequency=2)`` fitted on the training part),
the same model and the same training, built from PyTorch's own layers:

    nn.Embedding(V, E) -> dropout -> bidirectional nn.GRU(E, H) or nn.LSTM
    (packed, so each sequence is read to its own length) -> max over each
    sequence's steps -> dropout -> nn.Linear(2H, n_classes)

trained with Adam (``--learning-rate``, no weight decay) on shuffled
minibatches of ``--batch-size`` with the cross-entropy loss. The defaults are
``sentences.py``'s recommended configuration (``RECOMMENDED_PARAMS``). It prints the
accuracy on the test part (or, with ``--dev N``, on the same stratified dev
split as ``sentences.py --dev N``) after every epoch, one line per seed, and
the mean over seeds at each epoch. Differences from skrnn's model: no L2
penalty (skrnn's ``alpha=1e-4``), and PyTorch's own random streams.

It answers one question: is a gap between skrnn and a published figure
skrnn's, or the model's? Run (one thread; about 90 s per seed for the GRU,
110 s for the LSTM)::

    pip install torch==2.13.0          # the CPU build; never an unpinned torch
    python benchmarks/sentences_torch.py --seeds 0,1,2
    python benchmarks/sentences_torch.py --cell lstm --seeds 0,1,2 --dev 1000
    python benchmarks/sentences_torch.py --dropout 0.5 --seeds 0,1,2   # issue 5's model
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from skrnn import OneHotSequenceTransformer

# The sibling script's data location, split and recommended configuration
# (on sys.path when run as a script; added for an import by path).
sys.path.append(str(Path(__file__).resolve().parent))
from sentences import (  # noqa: E402
    DATA,
    RECOMMENDED_PARAMS,
    RECOMMENDED_TRANSFORMER,
    read_data,
)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, default=DATA / "train.tsv")
    parser.add_argument("--test", type=Path, default=DATA / "test.tsv")
    parser.add_argument("--cell", choices=["gru", "lstm"], default="gru")
    parser.add_argument("--seeds", default="0", metavar="S[,S...]",
                        help="torch.manual_seed of each run (default: 0)")
    recommended = RECOMMENDED_PARAMS  # the defaults below
    parser.add_argument("--epochs", type=int, default=recommended["max_iter"])
    parser.add_argument("--hidden-size", type=int, default=recommended["hidden_size"])
    parser.add_argument("--embedding-size", type=int,
                        default=recommended["embedding_size"])
    parser.add_argument("--dropout", type=float, default=recommended["dropout"],
                        help="on the embedding and on the summary "
                        "(default: %(default)s)")
    parser.add_argument("--learning-rate", type=float,
                        default=recommended["learning_rate"])
    parser.add_argument("--batch-size", type=int, default=recommended["batch_size"])
    parser.add_argument("--min-frequency", type=int,
                        default=RECOMMENDED_TRANSFORMER["min_frequency"])
    parser.add_argument("--dev", type=int, default=None, metavar="N",
                        help="score on a stratified split of N training sentences "
                        "(random_state=0, as sentences.py --dev) instead of the test file")
    return parser


def token_tensors(torch, sequences):
    """One LongTensor of token ids per sequence of a `OneHotSequences`."""
    ids, offsets = sequences.ids, sequences.offsets
    return [  # torch.tensor copies: the ids are read-only
        torch.tensor(ids[offsets[i] : offsets[i + 1]], dtype=torch.long)
        for i in range(len(sequences))
    ]


def make_model(torch, args, n_token_slots, n_classes):
    nn = torch.nn
    recurrent_layer = nn.GRU if args.cell == "gru" else nn.LSTM

    class MaxPooledRecurrentNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(n_token_slots, args.embedding_size)
            self.recurrent = recurrent_layer(
                args.embedding_size, args.hidden_size, batch_first=True,
                bidirectional=True,
            )
            self.dropout = nn.Dropout(args.dropout)
            self.out = nn.Linear(2 * args.hidden_size, n_classes)

        def forward(self, sequences):
            lengths = torch.tensor([len(s) for s in sequences])
            padded = nn.utils.rnn.pad_sequence(sequences, batch_first=True)
            embedded = self.dropout(self.embedding(padded))
            packed = nn.utils.rnn.pack_padded_sequence(
                embedded, lengths, batch_first=True, enforce_sorted=False
            )
            outputs, _ = self.recurrent(packed)
            # Padding below any state, so that the max ignores it.
            outputs, _ = nn.utils.rnn.pad_packed_sequence(
                outputs, batch_first=True, padding_value=-np.inf
            )
            return self.out(self.dropout(outputs.max(dim=1).values))

    return MaxPooledRecurrentNet()


def run(torch, args, seed, train, test, n_token_slots, n_classes):
    (X_train, y_train), (X_test, y_test) = train, test
    torch.manual_seed(seed)
    model = make_model(torch, args, n_token_slots, n_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    accuracies = []
    start = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        order = torch.randperm(len(X_train))
        for i in range(0, len(X_train), args.batch_size):
            rows = order[i : i + args.batch_size]
            logits = model([X_train[j] for j in rows])
            loss = torch.nn.functional.cross_entropy(logits, y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            predicted = torch.cat([
                model(X_test[i : i + 500]).argmax(dim=1)
                for i in range(0, len(X_test), 500)
            ])
        accuracies.append(float((predicted == y_test).float().mean()))
    return accuracies, time.perf_counter() - start


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        import torch
    except ImportError:
        print("error: this cross-check needs PyTorch: pip install torch==2.13.0 "
              "(the CPU build).", file=sys.stderr)
        return 2
    for path in (args.train,) if args.dev else (args.train, args.test):
        if not path.is_file():
            print(f"error: {path} does not exist; pass --train PATH --test PATH.",
                  file=sys.stderr)
            return 2
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    X_train, X_test, y_train, y_test = read_data(args.train, args.test, args.dev)
    transformer = OneHotSequenceTransformer(min_frequency=args.min_frequency)
    S_train = transformer.fit_transform(X_train)
    S_test = transformer.transform(X_test)
    classes = np.unique(y_train)
    train = (token_tensors(torch, S_train), torch.as_tensor(np.searchsorted(classes, y_train)))
    test = (token_tensors(torch, S_test), torch.as_tensor(np.searchsorted(classes, y_test)))
    scored_on = "dev" if args.dev else "test"
    settings = {k: v for k, v in vars(args).items() if k not in ("train", "test")}
    print(f"torch {torch.__version__}, one thread; {len(X_train)} training, "
          f"{len(X_test)} {scored_on} sentences; {json.dumps(settings)}")
    print(f"{scored_on} accuracy after epochs 1..{args.epochs}:")
    curves = []
    for seed in seeds:
        accuracies, seconds = run(
            torch, args, seed, train, test, S_train.n_token_slots, len(classes)
        )
        curves.append(accuracies)
        print(f"  seed {seed}: " + " ".join(f"{a:.3f}" for a in accuracies)
              + f"  ({seconds:.0f} s)", flush=True)
    if len(seeds) > 1:
        mean = np.mean(curves, axis=0)
        print("  mean:   " + " ".join(f"{a:.3f}" for a in mean))
    final = [c[-1] for c in curves]
    print(f"final epoch: {' / '.join(f'{a:.3f}' for a in final)}, "
          f"mean {np.mean(final):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
