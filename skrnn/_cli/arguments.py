"""The command line's options: the parsers of the main job and of ``predict``,
and the description of the file formats that both print with ``--help``."""

import argparse

from .data import MAX_CLASS_CODES

FORMATS = f"""\
files (--data, --test):
  sentences   UTF-8, tab-separated, a header line naming the columns 'label'
              and 'text' (others are ignored), one sentence per line:
                  label<TAB>text
                  question<TAB>are you good
  sequences   UTF-8, no header, one numeric sequence per line: the label, then
              one tab-separated field per channel holding that channel's
              values at every step, comma-separated (the .tsv format of the
              UCR/UEA archives). Sequences may differ in length, the channels
              of one sequence may not; NaN at its end is padding, NaN inside
              it a gap (which only the recommended regressor fills):
                  label<TAB>x1,x2,...,xT<TAB>y1,y2,...,yT
                  walking<TAB>0.1,0.5,0.9<TAB>1.0,1.2,0.8
  A label column of numbers that are not whole, or of more than
  {MAX_CLASS_CODES} distinct whole numbers, is a regression target (--task
  overrides). A --test file is of the same kind as the --data file.

held-out test file:
  python -m skrnn --data train.tsv --test test.tsv
  fits both models on all of train.tsv and prints their scores on test.tsv
  (accuracy, or R²), without cross-validation unless --folds is given.

saved models:
  python -m skrnn --data FILE --save model.skops
  python -m skrnn predict model.skops FILE [--proba]
  FILE for predict: for a model saved from sentences, one sentence per line,
  or a tab-separated file with a 'text' column in its header line; for a
  model saved from sequences, sequences in the format above (the label field
  is ignored and may be empty). See python -m skrnn predict --help.
"""

DEFAULT_FOLDS = 5


def build_parser():
    """The parser of the main job, ``python -m skrnn [options]``."""
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=(
            "Cross-validate a recurrent network beside a baseline: on generated "
            "sentences whose label depends on word order, or on your own "
            "sentences or numeric sequences (--data), with the recommended "
            "configuration for them; score both on a held-out file (--test); "
            "save the refitted model (--save) and predict with it (python -m "
            "skrnn predict)."
        ),
        epilog=FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data", metavar="FILE",
        help="your data: a sentence or numeric-sequence file (formats below; "
        "default: generated questions and statements)",
    )
    parser.add_argument(
        "--test", metavar="FILE",
        help="a held-out file of the same kind as --data: fit the recurrent "
        "pipeline and the baseline on all of --data and print both scores on "
        "FILE (accuracy, or R²), instead of cross-validating (give --folds to "
        "cross-validate as well)",
    )
    parser.add_argument(
        "--task", choices=["auto", "classification", "regression"], default="auto",
        help="'auto' (the default): regression when the label column holds "
        f"numbers that are not whole, or more than {MAX_CLASS_CODES} distinct "
        "whole numbers, else classification; without --data, classification "
        "of generated questions, and 'regression' generates sentences whose "
        "target is the distance from 'red' to 'blue'",
    )
    parser.add_argument(
        "--preset", choices=["default", "recommended"], default=None,
        help="the recurrent pipeline: 'recommended', the documented "
        "configuration for the data (the default with --data), or 'default', "
        "the estimators' plain defaults (the default without --data)",
    )
    parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default=None,
                        help="recurrent cell (default: the preset's)")
    parser.add_argument("--hidden-size", type=int, default=None,
                        help="hidden units (default: the preset's)")
    parser.add_argument("--n-samples", type=int, default=1000,
                        help="generated sentences (default: 1000)")
    parser.add_argument("--folds", type=int, default=None,
                        help=f"CV folds (default: {DEFAULT_FOLDS}; with --test, "
                        "cross-validate only when given)")
    parser.add_argument("--no-cv", action="store_true",
                        help="skip cross-validation (with --save: only refit "
                        "and save)")
    parser.add_argument("--save", metavar="MODEL.skops",
                        help="after cross-validation, refit the recurrent "
                        "pipeline on all the data and save it with skops "
                        "(with --test: the one fitted for the test)")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="folds fitted in parallel processes, each with one "
                        "BLAS thread; -1: one per core (default: 1). Epoch "
                        "lines still print, prefixed by their fold, as the "
                        "folds run")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only the per-fold and summary lines (no "
                        "description of the data and models, no epoch lines)")
    parser.add_argument("--random-state", type=int, default=0)
    return parser


def build_predict_parser():
    """The parser of ``python -m skrnn predict MODEL FILE``."""
    parser = argparse.ArgumentParser(
        prog="python -m skrnn predict",
        description=(
            "Predict with a model saved by python -m skrnn --save: one "
            "predicted label (or number, for a regression model) per line of "
            "FILE, on stdout."
        ),
        epilog=FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL.skops", help="the saved model")
    parser.add_argument(
        "file", metavar="FILE",
        help="one sentence per line, or a tab-separated file whose header "
        "line names a 'text' column, for a model saved from sentences; "
        "sequences in the numeric format for a model saved from sequences "
        "(a file of the other kind is refused)",
    )
    parser.add_argument(
        "--proba", action="store_true",
        help="print class probabilities instead: a header line of the "
        "classes, then one tab-separated row per input",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true",
        help="print nothing but the predictions (they are all predict prints "
        "already; for scripts that pass --quiet to every command)",
    )
    return parser
