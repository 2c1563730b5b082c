"""Plots of the memory: hidden states and token influence.

In the style of scikit-learn's Display classes: ``from_estimator`` computes,
``plot(ax=...)`` draws, and the drawn objects are kept as attributes
(``ax_``, ``figure_``, ``image_``). matplotlib is imported only when plotting
(``pip install skrnn[plot]``).
"""

import numbers

import numpy as np
from sklearn.base import is_regressor

from ._influence import sequences_of, token_influence


def _tokens_of(estimator, X, sequences):
    """Tick labels: the tokens, when a step of the pipeline can give them
    back (one-hot token sequences); else the step numbers."""
    from sklearn.pipeline import Pipeline

    from .._one_hot_sequences import OneHotSequences

    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        head = estimator[:-1]
        last = head[-1]
        if hasattr(last, "inverse_transform"):
            read = head.transform(X)
            # A numeric step (SequenceScaler) also inverts, into numbers.
            if isinstance(read, OneHotSequences):
                tokens = last.inverse_transform(read)
                return [[str(token) for token in sequence] for sequence in tokens]
    return [[str(t) for t in range(length)] for length in sequences.lengths]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _centred_image(ax, values, cmap):
    """``imshow`` of a (masked) array with a colour scale symmetric about 0."""
    limit = float(np.abs(values).max()) if np.ma.count(values) else 0.0
    limit = limit or 1.0
    return ax.imshow(
        values, aspect="auto", cmap=cmap, vmin=-limit, vmax=limit,
        interpolation="nearest",
    )


class HiddenStateDisplay:
    """Heat map of the hidden units over the steps of a few sequences.

    Columns are the steps (tokens) of the sequences, side by side; rows are
    the hidden units (forward direction first when bidirectional). Create it
    with `from_estimator`.

    Parameters
    ----------
    states : list of ndarray of shape (length_i, n_units)
        Hidden states, as ``hidden_states`` of `RNNClassifier` or
        `RNNRegressor` returns them.
    tokens : list of list of str
        The label of each step.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    image_ : matplotlib AxesImage

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import OneHotSequenceTransformer, RNNClassifier
    >>> from skrnn.datasets import make_questions
    >>> from skrnn.inspection import HiddenStateDisplay
    >>> X, y = make_questions(200, random_state=0)
    >>> model = make_pipeline(OneHotSequenceTransformer(),
    ...                       RNNClassifier(hidden_size=8, max_iter=20,
    ...                                     random_state=0)).fit(X, y)
    >>> display = HiddenStateDisplay.from_estimator(
    ...     model, ["are you good", "you are good"])
    >>> [label.get_text() for label in display.ax_.get_xticklabels()]
    ['are', 'you', 'good', 'you', 'are', 'good']
    """

    def __init__(self, states, tokens):
        self.states = states
        self.tokens = tokens

    @classmethod
    def from_estimator(cls, estimator, X, *, layer=-1, ax=None, cmap="RdBu_r",
                       colorbar=True):
        """Compute the hidden states of X and plot them.

        Parameters
        ----------
        estimator : RNNClassifier, RNNRegressor or Pipeline ending in one
            Fitted.
        X : sentences, sequences, or OneHotSequences
            A few sequences, as the estimator takes them.
        layer : int, default=-1
            Which recurrent layer.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        cmap : str, default='RdBu_r'
            Colormap, centred on zero.
        colorbar : bool, default=True
            Draw a colorbar.

        Returns
        -------
        display : HiddenStateDisplay
        """
        final, (_, _, sequences), X_read = sequences_of(estimator, X)
        states = final.hidden_states(X_read, layer=layer)
        tokens = _tokens_of(estimator, X, sequences)
        return cls(states, tokens).plot(ax=ax, cmap=cmap, colorbar=colorbar)

    def plot(self, ax=None, *, cmap="RdBu_r", colorbar=True):
        """Draw the heat map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        cmap : str, default='RdBu_r'
            Colormap, centred on zero.
        colorbar : bool, default=True
            Draw a colorbar.

        Returns
        -------
        display : HiddenStateDisplay
        """
        ax = _axes(ax)
        n_units = max((s.shape[1] for s in self.states), default=0)
        columns = [s.T for s in self.states]
        image = np.hstack(columns) if columns else np.zeros((n_units, 0))
        self.image_ = _centred_image(ax, image, cmap)
        labels = [token for tokens in self.tokens for token in tokens]
        ax.set_xticks(np.arange(len(labels)))
        ax.set_xticklabels(labels, rotation=90)
        edges = np.cumsum([len(t) for t in self.tokens])[:-1]
        for edge in edges:
            ax.axvline(edge - 0.5, color="black", linewidth=1.5)
        ax.set_ylabel("hidden unit")
        ax.set_xlabel("token")
        if colorbar:
            ax.figure.colorbar(self.image_, ax=ax, label="state")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class TokenInfluenceDisplay:
    """Sentences with each token coloured by its influence on the prediction.

    One row per sentence; each cell holds a token, coloured by how much it
    raises (red) or lowers (blue) the probability of the chosen class (for a
    classifier) or the chosen predicted value (for a regressor). Create it
    with `from_estimator`.

    Parameters
    ----------
    influence : list of ndarray of shape (length_i,)
        Influence of each token on the class or output.
    tokens : list of list of str
        The tokens.
    target : object
        The class (classifier) or output index (regressor) the influence is
        about.
    regression : bool, default=False
        Whether ``target`` is an output of a regressor (it changes only the
        labels of the plot).

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    image_ : matplotlib AxesImage
    texts_ : list of matplotlib Text
        The token labels, row by row.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrnn import OneHotSequenceTransformer, RNNClassifier
    >>> from skrnn.datasets import make_questions
    >>> from skrnn.inspection import TokenInfluenceDisplay
    >>> X, y = make_questions(200, random_state=0)
    >>> model = make_pipeline(OneHotSequenceTransformer(),
    ...                       RNNClassifier(hidden_size=8, max_iter=20,
    ...                                     random_state=0)).fit(X, y)
    >>> display = TokenInfluenceDisplay.from_estimator(
    ...     model, ["are you good", "you are good"], target="question")
    >>> [text.get_text() for text in display.texts_]
    ['are', 'you', 'good', 'you', 'are', 'good']
    """

    def __init__(self, influence, tokens, target, regression=False):
        self.influence = influence
        self.tokens = tokens
        self.target = target
        self.regression = regression

    @classmethod
    def from_estimator(cls, estimator, X, *, target=None, method="occlusion",
                       ax=None, cmap="RdBu_r", colorbar=True):
        """Compute the influence of each token of X and plot it.

        Parameters
        ----------
        estimator : RNNClassifier, RNNRegressor or Pipeline ending in one
            Fitted.
        X : sentences, sequences, or OneHotSequences
            A few sequences, as the estimator takes them.
        target : class label or int, default=None
            For a classifier, the class whose probability the influence is
            about; None means the last of ``classes_`` (the positive class of
            a binary problem). For a regressor, the index of the output
            (column of a 2-D ``y``, from 0 to ``n_outputs_ - 1``) whose
            predicted value the influence is about; None means 0, the only
            output of a regressor fitted on a 1-D ``y``.
        method : {'occlusion', 'gradient'}, default='occlusion'
            See `token_influence`.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        cmap : str, default='RdBu_r'
            Colormap, centred on zero.
        colorbar : bool, default=True
            Draw a colorbar.

        Returns
        -------
        display : TokenInfluenceDisplay
        """
        final, (_, _, sequences), _ = sequences_of(estimator, X)
        regression = is_regressor(final)
        if regression:
            n_outputs = final.n_outputs_
            if target is None:
                target = 0
            if not (
                isinstance(target, numbers.Integral)
                and not isinstance(target, bool)
                and 0 <= target < n_outputs
            ):
                raise ValueError(
                    f"target={target!r} is not an output of the regressor: for "
                    "a regressor, target is the index of an output, an int "
                    f"from 0 to {n_outputs - 1} (n_outputs_={n_outputs})."
                )
            column = int(target)
        else:
            classes = list(final.classes_)
            if target is None:
                target = classes[-1]
            if target not in classes:
                raise ValueError(
                    f"target={target!r} is not one of the classes {classes}."
                )
            column = classes.index(target)
        influence = [a[:, column] for a in token_influence(estimator, X, method=method)]
        tokens = _tokens_of(estimator, X, sequences)
        return cls(influence, tokens, target, regression).plot(
            ax=ax, cmap=cmap, colorbar=colorbar
        )

    def plot(self, ax=None, *, cmap="RdBu_r", colorbar=True):
        """Draw the coloured tokens.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure when None.
        cmap : str, default='RdBu_r'
            Colormap, centred on zero.
        colorbar : bool, default=True
            Draw a colorbar.

        Returns
        -------
        display : TokenInfluenceDisplay
        """
        ax = _axes(ax)
        n_rows = len(self.influence)
        width = max((len(a) for a in self.influence), default=0)
        grid = np.ma.masked_all((n_rows, max(width, 1)))
        for i, values in enumerate(self.influence):
            grid[i, : len(values)] = values
        self.image_ = _centred_image(ax, grid, cmap)
        self.texts_ = []
        for i, tokens in enumerate(self.tokens):
            for t, token in enumerate(tokens):
                self.texts_.append(
                    ax.text(t, i, token, ha="center", va="center", fontsize=9)
                )
        ax.set_yticks(np.arange(n_rows))
        ax.set_yticklabels([str(i) for i in range(n_rows)])
        ax.set_xticks([])
        ax.set_ylabel("sequence")
        if self.regression:
            ax.set_title(f"influence on predicted output {self.target}")
            label = "change in prediction"
        else:
            ax.set_title(f"influence on P({self.target})")
            label = "change in probability"
        if colorbar:
            ax.figure.colorbar(self.image_, ax=ax, label=label)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
