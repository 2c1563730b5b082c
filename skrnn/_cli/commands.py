"""The commands, orchestrated: ``run`` (the main job), ``predict``, and
``main``, which turns a user's mistake into one ``error:`` line and status 2."""

import contextlib
import os
import sys
import time
import warnings

import numpy as np

from . import evaluation, files, models, saving
from .arguments import DEFAULT_FOLDS, build_parser, build_predict_parser
from .data import check_same_kind, choose_task, describe, generated, targets
from .errors import CommandError


def check_options(args):
    """Mistakes in the options alone, before any file is read."""
    if args.n_jobs == 0:
        raise CommandError("--n-jobs must not be 0 (1: no parallelism; -1: all cores).")
    if args.test and not args.data:
        raise CommandError(
            "--test FILE needs --data TRAIN, the file to fit on (the generated "
            "demo has no test file)."
        )
    if args.no_cv and not (args.save or args.test):
        raise CommandError(
            "--no-cv leaves nothing to do without --save MODEL.skops or --test FILE."
        )


def run(args):
    """The main job: cross-validate and/or score on a test file, then save.

    ``args`` (from `build_parser`) is not changed.
    """
    check_options(args)
    preset = args.preset or ("recommended" if args.data else "default")
    cross_validating = not args.no_cv and (args.test is None or args.folds is not None)
    n_folds = DEFAULT_FOLDS if args.folds is None else args.folds
    if args.save:
        saving.check_writable(args.save)
    say = (lambda *a, **k: None) if args.quiet else print

    if args.data:
        data = files.read_data(args.data)
        task, reason = choose_task(args.task, data.labels, data.source)
    else:
        data, task, reason = generated(args.task, args.n_samples, args.random_state)
    y = targets(task, data)
    if args.test:
        test = files.read_data(args.test)
        check_same_kind(test, data)
        y_test = targets(task, test, at_least_two_classes=False)
    folds = (evaluation.folds_of(task, n_folds, y, args.random_state)
             if cross_validating else None)  # errors before any work

    if task == "regression":
        say(f"Regression: {reason}.")
    say(describe(data, y, task))
    if args.test:
        say(f"Test file: {describe(test, y_test, task)}")
    recurrent = models.recurrent_model(
        data.kind, task, preset=preset, cell=args.cell, hidden_size=args.hidden_size,
        random_state=args.random_state,
    )
    if args.data or preset != "default":
        say(f"Recurrent pipeline: {models.preset_name(data.kind, task, preset)}")
    # epoch lines, but for the generated demo with its quick defaults, whose
    # output stays a line per fold
    verbose = not args.quiet and (args.data is not None or preset != "default")

    baseline, model = models.baseline_model(data.kind, task)
    compared = {baseline: model, "recurrent": recurrent}
    if cross_validating or args.test:
        if cross_validating and args.test:
            say(f"{n_folds}-fold cross-validation, then a fit on all the data "
                f"scored on {args.test}, of:")
        elif cross_validating:
            say(f"{n_folds}-fold cross-validation of:")
        else:
            say(f"Fitted on all the data, scored on {args.test}:")
        for name, estimator in compared.items():
            say(f"  {name:>14}: {models.step_names(estimator)}")
    if cross_validating:
        evaluation.cross_validate(compared, data.X, y, folds, task,
                                  n_jobs=args.n_jobs, verbose=verbose)
    fitted = None
    if args.test:
        fitted = evaluation.score_on_test(
            compared, data.X, y, test.X, y_test, task, source=args.test,
            verbose=verbose,
        )["recurrent"]
    if args.save:
        if fitted is None:
            if not cross_validating:
                say(f"Fitting: {models.step_names(recurrent)}")
            start = time.perf_counter()
            fitted = evaluation.fit(recurrent, data.X, y,
                                    prefix="[refit] " if verbose else None)
            print(f"refit on all {len(y)} samples ({time.perf_counter() - start:.1f} s)")
        saving.save_model(fitted, args.save)
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
    """``python -m skrnn predict MODEL FILE``: a prediction per input on stdout."""
    args = build_predict_parser().parse_args(argv)
    quiet = warnings.catch_warnings() if args.quiet else contextlib.nullcontext()
    with quiet:
        if args.quiet:
            warnings.simplefilter("ignore")
        model = saving.load_model(args.model)
        text = models.takes_text(model)
        X = files.read_to_predict(args.file, text=text, model_path=args.model)
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
    """``python -m skrnn [options]`` or ``python -m skrnn predict ...``; the
    exit status (0, 2 for a user's mistake, 130 when interrupted)."""
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
