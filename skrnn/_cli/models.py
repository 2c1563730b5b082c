"""Choosing the models for the data: the recurrent pipeline and its baseline.

The recurrent pipeline is a documented configuration of `skrnn._presets`
(``--preset recommended``) or the estimators' plain defaults (``--preset
default``), with ``--cell`` and ``--hidden-size`` on top; the baseline is a
bag of words for sentences, the majority class or the training mean for
numeric sequences.
"""

from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .. import _presets
from .._base import BaseRNN
from .._classifier import RNNClassifier
from .._regressor import RNNRegressor
from .._transformer import OneHotSequenceTransformer


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


def recurrent_model(kind, task, *, preset, cell=None, hidden_size=None,
                    random_state=None):
    """The recurrent pipeline of ``preset`` ('recommended' or 'default') for
    ``kind`` of data and ``task``, with ``cell`` and ``hidden_size`` (None:
    the preset's) set on its recurrent estimators."""
    if preset == "recommended":
        if kind == "sentences":
            build = (_presets.text_regressor if task == "regression"
                     else _presets.text_classifier)
            model = build(cell=cell or "gru", random_state=random_state)
        else:
            build = (_presets.time_series_regressor if task == "regression"
                     else _presets.time_series_classifier)
            model = build(random_state=random_state)
            if cell:
                for estimator in recurrent_estimators(model):
                    estimator.set_params(cell=cell)
    else:
        Estimator = RNNRegressor if task == "regression" else RNNClassifier
        network = Estimator(cell=cell or "rnn", random_state=random_state)
        model = (make_pipeline(OneHotSequenceTransformer(), network)
                 if kind == "sentences" else network)
        if task == "regression":
            model = TransformedTargetRegressor(
                regressor=model, transformer=StandardScaler()
            )
    if hidden_size is not None:
        for estimator in recurrent_estimators(model):
            estimator.set_params(hidden_size=hidden_size)
    return model


def baseline_model(kind, task):
    """``(name, model)``: the order-free baseline for the data."""
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
    """What the recurrent pipeline is, for the line that says so."""
    what = {"sentences": "text", "sequences": "time-series"}[kind]
    role = "regressor" if task == "regression" else "classifier"
    if preset == "recommended":
        return f"the recommended {what} {role} (--preset default: the plain defaults)"
    return f"the plain {role} defaults (--preset recommended: the documented configuration)"


def takes_text(model):
    """Whether a fitted model reads sentences (a OneHotSequenceTransformer first)."""
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return isinstance(model, Pipeline) and isinstance(
        model.steps[0][1], OneHotSequenceTransformer
    )
