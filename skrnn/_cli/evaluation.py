"""Fitting with progress lines, cross-validation and scores on a test file,
and printing them: a line per fold, then a summary per model."""

import contextlib
import io
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold

from .errors import CommandError
from .models import recurrent_estimators, step_names


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


def score(name, model, X, y):
    """``model.score(X, y)``, an input error becoming a `CommandError`."""
    try:
        return model.score(X, y)
    except (ValueError, TypeError) as error:
        raise CommandError(f"scoring {name} failed: {error}") from None


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
            value = score(name, fitted, take(X, test), y[test])
            results.append((value, time.perf_counter() - start))
    return results


def folds_of(task, n_folds, y, random_state):
    """The splitter of the cross-validation; a `CommandError`, before any
    work, if the data cannot make ``n_folds`` folds."""
    if n_folds < 2:
        raise CommandError(f"--folds must be at least 2, got {n_folds}.")
    if task == "regression":
        if len(y) < n_folds:
            raise CommandError(
                f"{len(y)} samples cannot make {n_folds} folds; lower --folds."
            )
        return KFold(n_folds, shuffle=True, random_state=random_state)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < n_folds:
        rare = classes[np.argmin(counts)]
        raise CommandError(
            f"class {str(rare)!r} has {counts.min()} sample(s), fewer than the "
            f"{n_folds} folds; lower --folds (or skip cross-validation with "
            "--no-cv --save, or score on a file with --test)."
        )
    return StratifiedKFold(n_folds, shuffle=True, random_state=random_state)


def metric_name(task):
    return "R²" if task == "regression" else "accuracy"


def cross_validate(models, X, y, folds, task, *, n_jobs=1, verbose=False):
    """Cross-validate every model on the same folds, printing a line per
    fold as it ends, then the mean and standard deviation of each score."""
    metric = "R² " if task == "regression" else ""
    splits = list(folds.split(np.zeros(len(y)), y))
    n = len(splits)
    jobs = [(k, n, models, X, y, train, test, verbose)
            for k, (train, test) in enumerate(splits, start=1)]
    if n_jobs == 1:
        results = list(print_folds((run_fold(*job) for job in jobs), models, n, metric))
    else:
        from joblib import Parallel, delayed, parallel_config

        with parallel_config(backend="loky", inner_max_num_threads=1):
            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(run_fold)(*job, blas_threads=1) for job in jobs
            )
            results = list(print_folds(results, models, n, metric))
    summarize(results, models, task)


def print_folds(results, models, n, metric):
    for k, result in enumerate(results, start=1):
        line = ", ".join(
            f"{name} {metric}{value:.3f} ({seconds:.1f} s)"
            for name, (value, seconds) in zip(models, result)
        )
        print(f"fold {k}/{n}: {line}", flush=True)
        yield result


def summarize(results, models, task):
    print(f"mean {metric_name(task)}:")
    for i, name in enumerate(models):
        values = [result[i][0] for result in results]
        print(f"  {name:>14}: {np.mean(values):.3f} +/- {np.std(values):.3f}")


def score_on_test(models, X, y, X_test, y_test, task, *, source, verbose=False):
    """Fit every model on all of X, y and score it on the test file's
    samples, printing the scores side by side; the fitted models, by name."""
    fitted, results = {}, []
    for name, model in models.items():
        start = time.perf_counter()
        prefix = "[fit] " if verbose and name == "recurrent" else None
        fitted[name] = fit(clone(model), X, y, prefix=prefix)
        value = score(name, fitted[name], X_test, y_test)
        results.append((value, time.perf_counter() - start))
    print(f"test {metric_name(task)} on {source} ({len(y_test)} samples), "
          f"fitted on all {len(y)} samples:")
    for name, (value, seconds) in zip(models, results):
        print(f"  {name:>14}: {value:.3f} ({seconds:.1f} s)")
    return fitted
