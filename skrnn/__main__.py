"""``python -m skrnn``: a recurrent network beside a baseline, on the same folds.

Without ``--data`` (the README's first command), cross-validates
``make_pipeline(CountVectorizer(), LogisticRegression())`` and
``make_pipeline(OneHotSequenceTransformer(), RNNClassifier())`` on generated
questions and statements that differ only in word order
(`skrnn.datasets.make_questions`), printing a line per fold, then both mean
accuracies.

``--data FILE`` runs on your own data, with the recommended configuration
(`skrnn._presets`) for what the file holds, which the first lines of output
say:

- a tab-separated file with a header naming ``label`` and ``text`` columns
  holds sentences: `text_classifier` (or `text_regressor`), beside the bag
  of words;
- a file of one numeric sequence per line, ``label<TAB>v1,v2,...`` with one
  tab-separated field of comma-separated values per channel (the format of
  UCR/UEA ``.tsv`` files, read by `skrnn.datasets.load_sequences`):
  `time_series_classifier` (or `time_series_regressor`), beside the
  majority class (or the training mean);
- a label column of numbers that are not a few class codes means regression
  (R² per fold); ``--task`` overrides.

``--preset default`` fits the plain defaults instead; ``--cell`` and
``--hidden-size`` override either. Each epoch of a recurrent fit prints a
line (``[fold 2/5] Epoch 3/12, loss = ...``; ``--quiet`` prints only the
per-fold and summary lines). ``--n-jobs`` runs the folds in parallel
processes, one BLAS thread each. ``--save model.skops`` refits the
recurrent pipeline on all the data and saves it with skops (``--no-cv``
skips the cross-validation), and ``python -m skrnn predict model.skops
FILE`` prints a prediction per line of FILE (``--proba``: probabilities).

Errors a user can make (a missing file, a file of neither format, a single
class, an empty text, a model file that is not skrnn's, ...) print one line,
``error: ...``, on stderr and exit with status 2.

Regression without ``--data`` (``--task regression``): sentences that hold
the words "red" and "blue" among filler words, whose target is how many
words after "red" "blue" comes (negative when it comes first): only word
order tells. ``CountVectorizer -> RidgeCV`` against
``OneHotSequenceTransformer -> RNNRegressor`` inside a
``TransformedTargetRegressor`` that standardises the target.
"""

import argparse
import contextlib
import csv
import io
import os
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from . import OneHotSequenceTransformer, RNNClassifier, RNNRegressor, _presets
from ._base import BaseRNN
from .datasets import _read_sequences, load_sentences, make_questions

# A numeric label column is taken for a regression target when its values
# are not whole numbers, or when there are more than this many of them;
# otherwise (say, star ratings 1 to 5) for class codes.
MAX_CLASS_CODES = 20

FILLER_WORDS = ["the", "a", "of", "and", "to", "in", "is", "it", "that", "was", "he", "for", "on", "are", "with", "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "not", "but", "some", "what", "there", "we", "can", "out", "other"]

# The types of skrnn that a model saved by --save may hold, which `predict`
# trusts when loading it with skops (docs/user_guide/saving.rst lists the
# first three; the others are the regressor, the optimizers of the other
# solvers and the preprocessing steps of the time-series configurations).
# Any other type that skops does not trust by itself is refused.
TRUSTED_TYPES = [
    "skrnn._classifier.RNNClassifier",
    "skrnn._optimizers.AdamOptimizer",
    "skrnn._transformer.OneHotSequenceTransformer",
    "skrnn._regressor.RNNRegressor",
    "skrnn._optimizers.SGDOptimizer",
    "skrnn._optimizers.AdagradOptimizer",
    "skrnn._preprocessing.SequenceScaler",
    "skrnn._preprocessing.SequenceWindows",
    "skrnn._presets._SeriesPreparation",
]

FORMATS = f"""\
files (--data):
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
  A label column of numbers that are not whole, or of more than {MAX_CLASS_CODES} distinct
  whole numbers, is a regression target (--task overrides).

saved models:
  python -m skrnn --data FILE --save model.skops
  python -m skrnn predict model.skops FILE [--proba]
  FILE for predict: one sentence per line, or a tab-separated file with a
  'text' column in its header line, or sequences in the format above (the
  label field is ignored and may be empty). See python -m skrnn predict --help.
"""


class CommandError(Exception):
    """A mistake in the command or its files: one line on stderr, status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skrnn",
        description=(
            "Cross-validate a recurrent network beside a baseline: on generated "
            "sentences whose label depends on word order, or on your own "
            "sentences or numeric sequences (--data), with the recommended "
            "configuration for them; save the refitted model (--save) and "
            "predict with it (python -m skrnn predict)."
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
    parser.add_argument("--folds", type=int, default=5, help="CV folds (default: 5)")
    parser.add_argument("--no-cv", action="store_true",
                        help="skip cross-validation (with --save: only refit "
                        "and save)")
    parser.add_argument("--save", metavar="MODEL.skops",
                        help="after cross-validation, refit the recurrent "
                        "pipeline on all the data and save it with skops")
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
        "line names a 'text' column, for a sentence model; sequences in the "
        "numeric format for a sequence model",
    )
    parser.add_argument(
        "--proba", action="store_true",
        help="print class probabilities instead: a header line of the "
        "classes, then one tab-separated row per input",
    )
    return parser


# ---------------------------------------------------------------------------
# Tasks and generated data
# ---------------------------------------------------------------------------


def numeric_labels(labels):
    """The labels as float64, or None when one of them is not a number."""
    try:
        values = np.asarray(labels, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return values if np.isfinite(values).all() else None


def choose_task(requested, labels, source):
    """``(task, reason)``: the task to run and, for regression, why (the
    first line of output)."""
    if requested == "classification":
        return "classification", None
    values = numeric_labels(labels)
    if requested == "regression":
        if values is None:
            raise CommandError(
                f"--task regression needs numeric labels, but the label column "
                f"of {source} holds text (e.g. {labels[0]!r}); leave out "
                "--task regression to classify."
            )
        return "regression", "as --task regression asks"
    if values is None:
        return "classification", None
    distinct = len(np.unique(values))
    whole = bool(np.all(values == np.round(values)))
    if whole and distinct <= MAX_CLASS_CODES:
        return "classification", None
    what = "not all whole" if not whole else f"more than {MAX_CLASS_CODES}"
    return "regression", (
        f"detected, the label column is numeric with {distinct} distinct "
        f"values, {what} (--task classification classifies instead)"
    )


def make_marker_distances(n_samples, random_state=None):
    """Sentences of filler words holding "red" and "blue" once each; the
    target is the position of "blue" minus that of "red"."""
    rng = check_random_state(random_state)
    texts, targets = [], np.empty(n_samples)
    for i in range(n_samples):
        words = list(rng.choice(FILLER_WORDS, size=rng.randint(6, 17)))
        red, blue = rng.choice(len(words) + 2, size=2, replace=False)
        for position, marker in sorted([(red, "red"), (blue, "blue")]):
            words.insert(position, marker)
        texts.append(" ".join(words))
        targets[i] = words.index("blue") - words.index("red")
    return texts, targets


# ---------------------------------------------------------------------------
# Reading files
# ---------------------------------------------------------------------------


def check_file(path, what="file"):
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such {what}.")
    if not os.path.isfile(path):
        raise CommandError(f"{path} is not a file.")


def first_line(path):
    """The first non-blank line of a text file, without its line ending."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            for line in file:
                if line.strip():
                    return line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text ({error}).") from None
    raise CommandError(f"{path} is empty.")


def holds_numbers(field):
    try:
        np.array(field.split(","), dtype=np.float64)
    except ValueError:
        return False
    return True


def is_sequence_file(path):
    """Whether the file's first line is in the numeric format: a label, then
    tab-separated fields of comma-separated numbers."""
    fields = first_line(path).split("\t")
    return len(fields) >= 2 and all(holds_numbers(f) for f in fields[1:])


def read_data(path):
    """``(kind, X, labels)`` of a --data file; kind 'sentences' (X a list of
    str) or 'sequences' (X a list of (steps, channels) arrays)."""
    check_file(path)
    if is_sequence_file(path):
        try:
            X, labels = _read_sequences(path, labels_required=True)
        except ValueError as error:
            raise CommandError(str(error)) from None
        return "sequences", X, labels
    header = first_line(path).split("\t")
    missing = [c for c in ("label", "text") if c not in header]
    if missing:
        raise CommandError(
            f"{path} has no {' and no '.join(repr(c) for c in missing)} column "
            f"(header line: {header}), and is not in the numeric sequence format "
            "either; see python -m skrnn --help for both formats."
        )
    try:
        texts, labels = load_sentences(path)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if not texts:
        raise CommandError(f"{path} holds no sentences, only its header line.")
    for i, text in enumerate(texts, 1):
        if not text.strip():
            raise CommandError(
                f"{path}: sentence {i} (after the header) has an empty text; "
                "remove it or write its text."
            )
    return "sentences", texts, labels


def read_texts(path):
    """The sentences of a file to predict: one per line, or the 'text'
    column of a tab-separated file whose header line names one."""
    check_file(path)
    header = first_line(path).split("\t")
    texts = []
    with open(path, encoding="utf-8-sig", newline="") as file:
        if "text" in header:
            reader = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            column = header.index("text")
            rows = ((reader.line_num, row) for row in reader if row)
            for number, row in rows:
                if len(row) != len(header):
                    raise CommandError(
                        f"{path}, line {number}: {len(row)} tab-separated fields, "
                        f"but the header has {len(header)}."
                    )
                texts.append((number, row[column]))
        else:
            lines = file.read().splitlines()
            while lines and not lines[-1].strip():
                lines.pop()  # trailing blank lines
            texts = list(enumerate(lines, 1))
    for number, text in texts:
        if not text.strip():
            raise CommandError(
                f"{path}, line {number}: empty text; every line must hold a "
                "sentence, so that the predictions line up with the lines."
            )
    if not texts:
        raise CommandError(f"{path} holds no sentences.")
    return [text for _, text in texts]


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


def recurrent_estimators(model):
    """The skrnn estimators inside ``model`` (itself included)."""
    found = [model] if isinstance(model, BaseRNN) else []
    if hasattr(model, "get_params"):
        found += [v for v in model.get_params(deep=True).values()
                  if isinstance(v, BaseRNN)]
    return found


def step_names(model):
    """``A -> B -> C`` for a pipeline, with a target transformer in front;
    each recurrent estimator with the parameters that differ from its
    defaults."""
    if isinstance(model, TransformedTargetRegressor):
        target = type(model.transformer).__name__
        return f"{step_names(model.regressor)} (target standardised by {target})"
    steps = [step for _, step in model.steps] if isinstance(model, Pipeline) else [model]
    names = []
    for step in steps:
        name = type(step).__name__
        if isinstance(step, BaseRNN):
            defaults = type(step)().get_params()
            changed = [
                f"{k}={v!r}" for k, v in step.get_params(deep=False).items()
                if k not in ("random_state", "verbose") and v != defaults[k]
            ]
            name += f"({', '.join(changed)})"
        names.append(name)
    return " -> ".join(names)


def recurrent_model(kind, task, args):
    """The recurrent pipeline of --preset, with --cell and --hidden-size."""
    seed = args.random_state
    if args.preset == "recommended":
        cell = args.cell or "gru"
        if kind == "sentences":
            model = (_presets.text_regressor(cell=cell, random_state=seed)
                     if task == "regression"
                     else _presets.text_classifier(cell=cell, random_state=seed))
        else:
            model = (_presets.time_series_regressor(random_state=seed)
                     if task == "regression"
                     else _presets.time_series_classifier(random_state=seed))
            if args.cell:
                for estimator in recurrent_estimators(model):
                    estimator.set_params(cell=args.cell)
    else:
        Estimator = RNNRegressor if task == "regression" else RNNClassifier
        network = Estimator(cell=args.cell or "rnn", random_state=seed)
        model = (make_pipeline(OneHotSequenceTransformer(), network)
                 if kind == "sentences" else network)
        if task == "regression":
            model = TransformedTargetRegressor(
                regressor=model, transformer=StandardScaler()
            )
    if args.hidden_size is not None:
        for estimator in recurrent_estimators(model):
            estimator.set_params(hidden_size=args.hidden_size)
    return model


def baseline_model(kind, task):
    if kind == "sentences":
        if task == "regression":
            return "bag of words", make_pipeline(CountVectorizer(), RidgeCV())
        return "bag of words", make_pipeline(
            CountVectorizer(), LogisticRegression(max_iter=1000)
        )
    if task == "regression":
        return "training mean", DummyRegressor()
    return "majority class", DummyClassifier()


def preset_name(kind, task, preset):
    what = {"sentences": "text", "sequences": "time-series"}[kind]
    role = "regressor" if task == "regression" else "classifier"
    if preset == "recommended":
        return f"the recommended {what} {role} (--preset default: the plain defaults)"
    return f"the plain {role} defaults (--preset recommended: the documented configuration)"


# ---------------------------------------------------------------------------
# Fitting, with progress
# ---------------------------------------------------------------------------


class PrefixedLines(io.TextIOBase):
    """A text stream that writes each complete line to ``target`` with
    ``prefix`` in front, flushed, in one write (so that the lines of folds
    running in parallel processes interleave whole)."""

    def __init__(self, target, prefix):
        self.target = target
        self.prefix = prefix
        self.pending = ""

    def writable(self):
        return True

    def write(self, text):
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        if lines:
            self.target.write("".join(f"{self.prefix}{line}\n" for line in lines))
            self.target.flush()
        return len(text)

    def flush(self):
        self.target.flush()


def fit(model, X, y, *, prefix=None):
    """``model`` fitted on X, y; with ``prefix``, its recurrent estimators
    print a line per epoch with ``prefix`` in front (the L-BFGS ones, whose
    fits are quick and whose lines are per iteration, stay silent). An input
    error of the estimators becomes a `CommandError`."""
    for estimator in recurrent_estimators(model):
        estimator.set_params(verbose=prefix is not None and estimator.solver != "lbfgs")
    out = PrefixedLines(sys.stdout, prefix or "")
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # small folds of a preset's batch size: nothing the user need act on
        warnings.filterwarnings("ignore", message="Got batch_size=", category=UserWarning)
        try:
            return model.fit(X, y)
        except (ValueError, TypeError) as error:
            raise CommandError(f"fitting {step_names(model)} failed: {error}") from None
        finally:
            out.write("\n" if out.pending else "")


def take(X, index):
    return [X[i] for i in index]


def run_fold(k, n_folds, models, X, y, train, test, verbose, blas_threads=None):
    """Fit every model on one fold; ``[(score, seconds), ...]`` in order."""
    limits = contextlib.nullcontext()
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=blas_threads, user_api="blas")
    results = []
    with limits:
        for name, model in models.items():
            start = time.perf_counter()
            prefix = f"[fold {k}/{n_folds}] " if verbose and name == "recurrent" else None
            fitted = fit(clone(model), take(X, train), y[train], prefix=prefix)
            try:
                score = fitted.score(take(X, test), y[test])
            except (ValueError, TypeError) as error:
                raise CommandError(f"scoring {name} failed: {error}") from None
            results.append((score, time.perf_counter() - start))
    return results


def folds_of(task, args, y):
    if args.folds < 2:
        raise CommandError(f"--folds must be at least 2, got {args.folds}.")
    if task == "regression":
        if len(y) < args.folds:
            raise CommandError(
                f"{len(y)} samples cannot make {args.folds} folds; lower --folds."
            )
        return KFold(args.folds, shuffle=True, random_state=args.random_state)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < args.folds:
        rare = classes[np.argmin(counts)]
        raise CommandError(
            f"class {str(rare)!r} has {counts.min()} sample(s), fewer than the "
            f"{args.folds} folds; lower --folds (or skip cross-validation with "
            "--no-cv --save)."
        )
    return StratifiedKFold(args.folds, shuffle=True, random_state=args.random_state)


def cross_validate(models, X, y, folds, task, args, verbose):
    metric = "R² " if task == "regression" else ""
    splits = list(folds.split(np.zeros(len(y)), y))
    n = len(splits)
    jobs = [(k, n, models, X, y, train, test, verbose)
            for k, (train, test) in enumerate(splits, start=1)]
    if args.n_jobs == 1:
        results = (run_fold(*job) for job in jobs)
    else:
        from joblib import Parallel, delayed, parallel_config

        with parallel_config(backend="loky", inner_max_num_threads=1):
            results = Parallel(n_jobs=args.n_jobs, return_as="generator")(
                delayed(run_fold)(*job, blas_threads=1) for job in jobs
            )
            results = list(print_folds(results, models, n, metric))
        return summarize(results, models, task)
    return summarize(list(print_folds(results, models, n, metric)), models, task)


def print_folds(results, models, n, metric):
    for k, result in enumerate(results, start=1):
        line = ", ".join(
            f"{name} {metric}{score:.3f} ({seconds:.1f} s)"
            for name, (score, seconds) in zip(models, result)
        )
        print(f"fold {k}/{n}: {line}", flush=True)
        yield result


def summarize(results, models, task):
    print("mean R²:" if task == "regression" else "mean accuracy:")
    for i, name in enumerate(models):
        values = [result[i][0] for result in results]
        print(f"  {name:>14}: {np.mean(values):.3f} +/- {np.std(values):.3f}")


# ---------------------------------------------------------------------------
# Saving and loading
# ---------------------------------------------------------------------------


def skops_io():
    try:
        import skops.io
    except ImportError:
        raise CommandError(
            "saving and loading models needs skops: pip install skops (or "
            "pip install -e \".[persist]\")."
        ) from None
    return skops.io


def check_writable(path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"cannot save to {path}: no folder {folder}.")
    if os.path.isdir(path):
        raise CommandError(f"cannot save to {path}: it is a folder.")


def load_model(path):
    """The model saved at ``path``, loaded by skops trusting skrnn's types."""
    sio = skops_io()
    check_file(path, "model file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # noqa: BLE001 - any unreadable file
        raise CommandError(
            f"{path} is not a model saved by python -m skrnn --save (skops cannot "
            f"read it: {type(error).__name__}: {error})."
        ) from None
    foreign = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if foreign:
        raise CommandError(
            f"{path} holds types that skrnn does not trust: {foreign}; it was "
            "not saved by python -m skrnn --save. If you trust it, load it "
            "yourself with skops.io.load(path, trusted=[...])."
        )
    try:
        model = sio.load(path, trusted=untrusted)
    except Exception as error:  # noqa: BLE001
        raise CommandError(
            f"{path} could not be loaded by skops ({type(error).__name__}: "
            f"{error})."
        ) from None
    if not recurrent_estimators(model):
        raise CommandError(
            f"{path} holds a {type(model).__name__}, not a skrnn model saved by "
            "python -m skrnn --save."
        )
    return model


def takes_text(model):
    """Whether a fitted model reads sentences (a OneHotSequenceTransformer first)."""
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return isinstance(model, Pipeline) and isinstance(
        model.steps[0][1], OneHotSequenceTransformer
    )


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------


def run(args):
    """The main job: cross-validate, and refit and save."""
    if args.n_jobs == 0:
        raise CommandError("--n-jobs must not be 0 (1: no parallelism; -1: all cores).")
    if args.no_cv and not args.save:
        raise CommandError("--no-cv leaves nothing to do without --save MODEL.skops.")
    if args.save:
        skops_io()
        check_writable(args.save)
    if args.preset is None:
        args.preset = "recommended" if args.data else "default"
    say = (lambda *a, **k: None) if args.quiet else print
    reason = None
    if args.data:
        kind, X, labels = read_data(args.data)
        source = args.data
        task, reason = choose_task(args.task, labels, source)
    elif args.task == "regression":
        kind = "sentences"
        X, labels = make_marker_distances(args.n_samples, random_state=args.random_state)
        source = f"generated red/blue distances (n_samples={args.n_samples})"
        task, reason = "regression", "as --task regression asks"
    else:
        kind = "sentences"
        X, labels = make_questions(args.n_samples, random_state=args.random_state)
        source = f"make_questions(n_samples={args.n_samples})"
        task = "classification"
    if kind == "sequences":
        lengths = [len(x) for x in X]
        channels = X[0].shape[1]
        what = (f"{len(X)} numeric sequences from {source} ({channels} "
                f"channel{'s' if channels > 1 else ''}, {min(lengths)} to "
                f"{max(lengths)} steps)")
    else:
        what = f"{len(X)} sentences from {source}"
    if task == "regression":
        y = numeric_labels(labels)
    else:
        y = np.asarray(labels)
        classes = np.unique(y)
        if len(classes) < 2:
            raise CommandError(
                f"every label of {source} is {str(classes[0])!r}: classification "
                "needs at least 2 classes."
            )
    folds = None if args.no_cv else folds_of(task, args, y)  # errors before work
    if task == "regression":
        say(f"Regression: {reason}.")
        say(f"{what}, targets from {y.min():g} to {y.max():g}")
    else:
        say(f"{what}, {len(classes)} classes")
    recurrent = recurrent_model(kind, task, args)
    if args.data or args.preset != "default":
        say(f"Recurrent pipeline: {preset_name(kind, task, args.preset)}")
    # epoch lines, but for the generated demo with its quick defaults, whose
    # output stays a line per fold
    verbose = not args.quiet and (args.data is not None or args.preset != "default")
    if not args.no_cv:
        baseline, model = baseline_model(kind, task)
        models = {baseline: model, "recurrent": recurrent}
        say(f"{args.folds}-fold cross-validation of:")
        for name, model in models.items():
            say(f"  {name:>14}: {step_names(model)}")
        cross_validate(models, X, y, folds, task, args, verbose)
    if args.save:
        sio = skops_io()
        if args.no_cv:
            say(f"Fitting: {step_names(recurrent)}")
        start = time.perf_counter()
        fitted = fit(recurrent, X, y, prefix="[refit] " if verbose else None)
        print(f"refit on all {len(y)} samples ({time.perf_counter() - start:.1f} s)")
        sio.dump(fitted, args.save)
        print(f"saved to {args.save}; predict with: python -m skrnn predict "
              f"{args.save} FILE")
    return 0


def checked(method, X, text):
    """``method(X)``, an input error of the model becoming a `CommandError`."""
    try:
        return method(X)
    except (ValueError, TypeError) as error:
        what = "sentences" if text else "numeric sequences"
        raise CommandError(
            f"the model (which reads {what}) cannot predict this input: {error}"
        ) from None


def predict(argv):
    args = build_predict_parser().parse_args(argv)
    model = load_model(args.model)
    text = takes_text(model)
    if text:
        X = read_texts(args.file)
    else:
        check_file(args.file)
        try:
            X, _ = _read_sequences(args.file, labels_required=False)
        except ValueError as error:
            raise CommandError(f"this model reads numeric sequences: {error}") from None
    out = sys.stdout
    if args.proba:
        if not hasattr(model, "predict_proba"):
            raise CommandError(
                f"{args.model} is a regression model: it has no probabilities; "
                "leave out --proba."
            )
        probabilities = checked(model.predict_proba, X, text)
        out.write("\t".join(str(c) for c in model.classes_) + "\n")
        for row in probabilities:
            out.write("\t".join(f"{p:.6f}" for p in row) + "\n")
    else:
        for value in checked(model.predict, X, text):
            if isinstance(value, (float, np.floating)):
                value = repr(float(value))
            out.write(f"{value}\n")
    out.flush()
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["predict"]:
            return predict(argv[1:])
        return run(build_parser().parse_args(argv))
    except CommandError as error:
        message = " ".join(str(error).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (python -m skrnn predict ... | head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
