"""Seed ensembles the scikit-learn way (issue 28.2): ``VotingClassifier(
voting='soft')`` or ``VotingRegressor`` over clones of a pipeline that differ
only in ``random_state``, the recipe of docs/user_guide/ensembles.rst."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import VotingClassifier, VotingRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skrnn import (
    OneHotSequenceTransformer,
    RNNClassifier,
    RNNRegressor,
    SequenceScaler,
    SequenceWindows,
)
from skrnn.datasets import make_questions

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SEEDS = (0, 1, 2)


def seed_ensemble(model, seeds=SEEDS, param="rnnclassifier__random_state", voting=True):
    """The recipe: one clone of ``model`` per seed, ``param`` set to it."""
    members = [(f"seed{s}", clone(model).set_params(**{param: s})) for s in seeds]
    if voting:
        return VotingClassifier(members, voting="soft")
    return VotingRegressor(members)


def sentence_pipeline(**params):
    return make_pipeline(
        OneHotSequenceTransformer(),
        RNNClassifier(hidden_size=4, max_iter=8, learning_rate=0.02, **params),
    )


def series_pipeline(**params):
    return make_pipeline(
        SequenceScaler(), SequenceWindows(n_windows=6),
        RNNClassifier(cell="gru", hidden_size=4, bidirectional=True, pooling="max",
                      learning_rate=0.02, max_iter=10, average=0.5, **params),
    )


def bumps(n, seed=0):
    """Ragged univariate series of 30-50 steps with a bump early ('early') or
    late ('late'): the class is where, not what."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for i in range(n):
        x = rng.normal(scale=0.3, size=(rng.randint(30, 51), 1))
        late = i % 2
        start = len(x) * (3 if late else 1) // 5
        x[start:start + 5] += 3.0
        X.append(x)
        y.append("late" if late else "early")
    return X, np.array(y)


@pytest.fixture(scope="module")
def questions():
    return make_questions(80, random_state=0)


@pytest.fixture(scope="module")
def series():
    return bumps(40)


@pytest.fixture(scope="module")
def fitted_sentence_ensemble(questions):
    X, y = questions
    return seed_ensemble(sentence_pipeline()).fit(X, y)


def test_recipe_on_sentences(questions, fitted_sentence_ensemble):
    X, y = questions
    ensemble = fitted_sentence_ensemble
    assert list(ensemble.classes_) == ["question", "statement"]
    assert [name for name, _ in ensemble.estimators] == ["seed0", "seed1", "seed2"]
    # the unfitted members keep their seeds; the fitted ones are clones
    assert [m[-1].random_state for _, m in ensemble.estimators] == list(SEEDS)
    assert [m[-1].random_state for m in ensemble.estimators_] == list(SEEDS)
    proba = ensemble.predict_proba(X[:10])
    assert proba.shape == (10, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(ensemble.predict(X)) <= {"question", "statement"}
    assert 0.0 <= ensemble.score(X, y) <= 1.0


def test_predict_proba_is_the_mean_of_the_members(questions, fitted_sentence_ensemble):
    X, _ = questions
    ensemble = fitted_sentence_ensemble
    members = np.mean([m.predict_proba(X) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(X), members, rtol=1e-12)
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[members.argmax(axis=1)])


def test_members_differ_by_their_seed(questions, fitted_sentence_ensemble):
    X, _ = questions
    weights = [m[-1].weights_ for m in fitted_sentence_ensemble.estimators_]
    assert weights[0].keys() == weights[1].keys()
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert any(not np.array_equal(weights[a][k], weights[b][k]) for k in weights[a])
    probas = [m.predict_proba(X) for m in fitted_sentence_ensemble.estimators_]
    assert not np.allclose(probas[0], probas[1])


def test_a_member_is_the_single_model_of_its_seed(questions, fitted_sentence_ensemble):
    """Each member is what fitting the pipeline alone with its seed gives
    (the ensemble fits the members on the labels encoded 0..k-1, in the
    order of ``classes_``, the order the classifier uses anyway)."""
    X, y = questions
    single = sentence_pipeline(random_state=1).fit(X, y)
    member = fitted_sentence_ensemble.named_estimators_["seed1"]
    np.testing.assert_allclose(member.predict_proba(X), single.predict_proba(X))


def test_recipe_on_numeric_sequences(series):
    X, y = series
    ensemble = seed_ensemble(series_pipeline()).fit(X, y)
    assert list(ensemble.classes_) == ["early", "late"]
    proba = ensemble.predict_proba(X)
    members = np.mean([m.predict_proba(X) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(proba, members, rtol=1e-12)
    # averaging: each member predicts with its averaged weights
    assert all(m[-1].average == 0.5 for m in ensemble.estimators_)
    assert ensemble.predict(X[:5]).shape == (5,)


def test_recipe_with_the_regressor(series):
    X, _ = series
    target = np.array([float(np.argmax(x[:, 0])) for x in X])  # where the bump is
    network = make_pipeline(
        SequenceScaler(), SequenceWindows(n_windows=6),
        RNNRegressor(hidden_size=4, max_iter=10, learning_rate=0.02),
    )
    model = TransformedTargetRegressor(regressor=network, transformer=StandardScaler())
    ensemble = seed_ensemble(model, param="regressor__rnnregressor__random_state",
                             voting=False).fit(X, target)
    members = np.mean([m.predict(X) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(ensemble.predict(X), members, rtol=1e-12)
    first, second = (m.regressor_[-1].weights_ for m in ensemble.estimators_[:2])
    assert any(not np.array_equal(first[k], second[k]) for k in first)


def test_tune_one_model_then_ensemble_it(questions):
    """GridSearchCV on one seed, then the ensemble of its best parameters."""
    X, y = questions
    search = GridSearchCV(sentence_pipeline(random_state=0),
                          {"rnnclassifier__hidden_size": [2, 4]}, cv=2)
    search.fit(X, y)
    ensemble = seed_ensemble(search.best_estimator_).fit(X, y)
    sizes = {m[-1].hidden_size for m in ensemble.estimators_}
    assert sizes == {search.best_params_["rnnclassifier__hidden_size"]}
    assert {m[-1].random_state for m in ensemble.estimators_} == set(SEEDS)


def test_grid_search_over_the_ensemble(questions):
    """A grid over the whole ensemble: one dict per value, each member's
    parameter named, ties the members together (a plain grid over
    ``seed0__...`` and ``seed1__...`` would try their mixtures)."""
    X, y = questions
    ensemble = seed_ensemble(sentence_pipeline(), seeds=(0, 1))
    grid = [
        {f"seed{s}__rnnclassifier__hidden_size": [size] for s in (0, 1)}
        for size in (2, 4)
    ]
    search = GridSearchCV(ensemble, grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    best = search.best_estimator_
    assert len({m[-1].hidden_size for m in best.estimators_}) == 1
    assert [m[-1].random_state for m in best.estimators_] == [0, 1]
    assert search.predict_proba(X[:3]).shape == (3, 2)


def test_the_seeds_come_from_the_recipe(questions):
    """VotingClassifier has no random_state: it leaves each member's seed as
    the recipe set it."""
    X, y = questions
    ensemble = seed_ensemble(sentence_pipeline(), seeds=(5, 6))
    assert "random_state" not in ensemble.get_params(deep=False)
    ensemble.fit(X[:40], y[:40])
    assert [m[-1].random_state for m in ensemble.estimators_] == [5, 6]
