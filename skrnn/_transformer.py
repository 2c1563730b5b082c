"""`OneHotSequenceTransformer`: sentences into one-hot token sequences.

Modelled on scikit-learn's ``CountVectorizer`` (the text is analysed by small
factories, ``build_preprocessor``, ``build_tokenizer`` and ``build_analyzer``,
and the output is built in one pass as flat token ids plus offsets, like
``_count_vocab`` builds ``j_indices`` and ``indptr``) and ``OneHotEncoder``
(``handle_unknown``, ``min_frequency``, and ``max_tokens`` in the role of
``max_categories``). Unlike ``CountVectorizer`` it keeps the order of the
tokens: the output is a `OneHotSequences`, one one-hot vector per token.
"""

import numbers
import re
from collections.abc import Iterable, Mapping
from operator import itemgetter

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, RealNotInt, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_feature_names_in,
    _check_n_features,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._one_hot_sequences import OneHotSequences

OOV_TOKEN = "<unk>"
"""Name of the out-of-vocabulary slot in feature names and inverse_transform."""


class OneHotSequenceTransformer(
    TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    r"""Turn sentences into sequences of one-hot token vectors.

    Each sentence becomes a sequence of tokens, and each token a one-hot
    vector of width ``n_token_slots_``: one slot per vocabulary token, plus
    one last slot for every token outside the vocabulary. Word order is
    kept, so "you are good" and "are you good" give different sequences; a
    bag-of-words vectorizer such as ``CountVectorizer`` gives them the same
    row. The output is a `OneHotSequences`, which stores the token ids only
    and behaves as a read-only 3-D array of shape ``(n_samples, longest
    sequence, n_token_slots_)``.

    X may be any of:

    - an iterable of strings (documents), split into tokens by ``analyzer``,
      ``token_pattern``, ``tokenizer`` and ``lowercase``;
    - an iterable of pre-tokenized sequences (lists, tuples or 1-D arrays of
      strings), whose tokens are used exactly as given;
    - a text column: a DataFrame or 2-D array of ONE column holding strings
      (``df[["text"]]``, shape ``(n_samples, 1)``), read as a list of
      documents, one per row, split into tokens as above. This is what
      selecting a text column by a list gives; ``n_features_in_`` (1) and
      ``feature_names_in_`` are set as for any table, and every cell must be
      a string (``fillna('')`` for missing text);
    - a 2-D array or DataFrame whose rows are fixed-width sequences of
      symbols: every cell is one token, compared by value (numbers or
      strings; the float ``0.5`` is a token). As for every scikit-learn table
      the width is fixed: ``n_features_in_`` is set in `fit` and another
      width in `transform` is an error. Cells that cannot be hashed (a list
      or a dict inside an object array) stand for the token ``repr(cell)``.
      A list of lists that holds no strings is read as such a table. A table
      of one column of strings is a text column (above), not sequences of
      one symbol; for those, give ``[[symbol] for symbol in column]``.

    `transform` takes the kind of X given to `fit`: text (documents,
    pre-tokenized sequences or a text column, interchangeably), or a table of
    symbols, of numbers if fitted on numbers and of strings if fitted on
    strings. Anything else is a TypeError that says what was fitted on and
    what was given, rather than sequences of unknown tokens.

    Parameters
    ----------
    analyzer : {'word', 'char'} or callable, default='word'
        How a document is split into tokens: ``'word'`` applies
        ``lowercase`` and then the tokenizer (``tokenizer`` or
        ``token_pattern``); ``'char'`` applies ``lowercase`` and makes every
        character, spaces included, a token. A callable receives the raw
        document and returns its tokens; ``lowercase``, ``token_pattern`` and
        ``tokenizer`` are then not used.
    token_pattern : str, default=r"(?u)\b\w+\b|[^\w\s]"
        Regular expression of a token, used by ``analyzer='word'`` when
        ``tokenizer`` is None. The default keeps words of any length (so
        "a" and "I") and makes each punctuation character a token of its
        own: "are you good ?" and "you are good ." differ by more than word
        order. If the pattern has a capturing group, the group is the token
        (at most one group).
    tokenizer : callable, default=None
        Replaces ``token_pattern``: called on each lowercased document with
        ``analyzer='word'``, it returns the list of tokens.
    lowercase : bool, default=True
        Lowercase documents before tokenizing. Pre-tokenized sequences and
        2-D arrays are used as given.
    min_frequency : int >= 1 or float in (0, 1), default=1
        Tokens seen fewer times than this in the training data are
        infrequent and go to the out-of-vocabulary slot. A float is a
        fraction of all token occurrences in the training data. With the
        default 1 the out-of-vocabulary slot never occurs in training, so a
        model learns nothing for it and reads words first seen at prediction
        time through its untrained initial weights; with 2, rare training
        words stand in for unknown ones, which the recommended text
        configuration uses.
    max_tokens : int >= 1, default=None
        Keep at most this many tokens in the vocabulary (the
        out-of-vocabulary slot comes on top): the most frequent ones, ties
        going to the token that sorts first. The rest are infrequent. None
        keeps all.
    handle_unknown : {'ignore', 'error'}, default='ignore'
        What `transform` does with a token never seen in `fit`: ``'ignore'``
        maps it to the out-of-vocabulary slot, ``'error'`` raises a
        ValueError naming the token and its sequence. Infrequent tokens go to
        the out-of-vocabulary slot either way.
    dtype : {np.float64, np.float32}, default=np.float64
        Dtype of the one-hot values of the output.

    Attributes
    ----------
    vocabulary_ : dict
        Token to slot index ``0 .. len(vocabulary_) - 1``, in sorted token
        order (alphabetical for strings, as ``CountVectorizer``). Slot
        ``len(vocabulary_)`` is the out-of-vocabulary slot.
    n_token_slots_ : int
        Width of the one-hot vectors, ``len(vocabulary_) + 1``.
    infrequent_tokens_ : list
        Tokens seen in `fit` but left out of the vocabulary by
        ``min_frequency`` or ``max_tokens``, in sorted order.
    n_features_in_ : int
        Width of the rows, defined only when fitted on a 2-D array (1 for a
        text column).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, defined only when fitted on a DataFrame whose column
        names are all strings.

    See Also
    --------
    OneHotSequences : The output container.
    sklearn.feature_extraction.text.CountVectorizer : Bag of words (no order).
    sklearn.preprocessing.OneHotEncoder : One-hot encoding of table columns.

    Notes
    -----
    `transform` does one pass over the tokens and stores one integer per
    token, however large the vocabulary: memory is O(total tokens). The
    dense array, ``O(n_samples * longest * n_token_slots_)``, is only made on
    request (``np.asarray``, ``OneHotSequences.toarray``).

    Examples
    --------
    >>> from skrnn import OneHotSequenceTransformer
    >>> sentences = ["you are good", "are you good ?", "I am here."]
    >>> transformer = OneHotSequenceTransformer()
    >>> X = transformer.fit_transform(sentences)
    >>> X
    <OneHotSequences: 3 sequences, 11 tokens, longest 4, 9 token slots, dtype float64>
    >>> transformer.get_feature_names_out()
    array(['.', '?', 'am', 'are', 'good', 'here', 'i', 'you', '<unk>'],
          dtype=object)
    >>> X.ids[X.offsets[0]:X.offsets[1]], X.ids[X.offsets[1]:X.offsets[2]]
    (array([7, 3, 4]), array([3, 7, 4, 1]))
    >>> X[0]
    array([[0., 0., 0., 0., 0., 0., 0., 1., 0.],
           [0., 0., 0., 1., 0., 0., 0., 0., 0.],
           [0., 0., 0., 0., 1., 0., 0., 0., 0.]])
    >>> transformer.inverse_transform(transformer.transform(["Are you here now?"]))
    [['are', 'you', 'here', '<unk>', '?']]

    A text column of a table reads as the list of its documents:

    >>> import pandas as pd
    >>> table = pd.DataFrame({"text": sentences, "length": [3, 4, 3]})
    >>> transformer.fit_transform(table[["text"]])
    <OneHotSequences: 3 sequences, 11 tokens, longest 4, 9 token slots, dtype float64>
    >>> transformer.feature_names_in_
    array(['text'], dtype=object)
    """

    _parameter_constraints: dict = {
        "analyzer": [StrOptions({"word", "char"}), callable],
        "token_pattern": [str],
        "tokenizer": [callable, None],
        "lowercase": ["boolean"],
        "min_frequency": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Interval(RealNotInt, 0, 1, closed="neither"),
        ],
        "max_tokens": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "handle_unknown": [StrOptions({"ignore", "error"})],
        "dtype": [Options(type, {np.float64, np.float32})],
    }

    def __init__(
        self,
        *,
        analyzer="word",
        token_pattern=r"(?u)\b\w+\b|[^\w\s]",
        tokenizer=None,
        lowercase=True,
        min_frequency=1,
        max_tokens=None,
        handle_unknown="ignore",
        dtype=np.float64,
    ):
        self.analyzer = analyzer
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_tokens = max_tokens
        self.handle_unknown = handle_unknown
        self.dtype = dtype

    # -- text analysis: small factories, as in CountVectorizer --------------

    def build_preprocessor(self):
        """Return the function applied to a document before tokenizing.

        Returns
        -------
        preprocessor : callable
            ``str.lower`` if ``lowercase``, else a function returning the
            document unchanged.

        Examples
        --------
        >>> from skrnn import OneHotSequenceTransformer
        >>> OneHotSequenceTransformer().build_preprocessor()("Are You")
        'are you'
        """
        return str.lower if self.lowercase else _unchanged

    def build_tokenizer(self):
        """Return the function that splits a document into tokens.

        Returns
        -------
        tokenizer : callable
            ``tokenizer`` if given, else the ``findall`` of ``token_pattern``.

        Examples
        --------
        >>> from skrnn import OneHotSequenceTransformer
        >>> OneHotSequenceTransformer().build_tokenizer()("I'm here, a bit late.")
        ['I', "'", 'm', 'here', ',', 'a', 'bit', 'late', '.']
        """
        if self.tokenizer is not None:
            return self.tokenizer
        try:
            token_pattern = re.compile(self.token_pattern)
        except re.error as error:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} is not a valid regular "
                f"expression: {error}."
            ) from error
        if token_pattern.groups > 1:
            raise ValueError(
                f"token_pattern {self.token_pattern!r} has "
                f"{token_pattern.groups} capturing groups; it may have at most "
                "one, whose match is the token. Use non-capturing groups "
                "(?:...) for the others."
            )
        return token_pattern.findall

    def build_analyzer(self):
        """Return the function that turns a document into its list of tokens.

        Returns
        -------
        analyzer : callable
            Preprocessing then tokenization for ``analyzer='word'``,
            preprocessing then characters for ``'char'``, or the callable
            ``analyzer`` itself.

        Examples
        --------
        >>> from skrnn import OneHotSequenceTransformer
        >>> OneHotSequenceTransformer().build_analyzer()("Are you good?")
        ['are', 'you', 'good', '?']
        >>> OneHotSequenceTransformer(analyzer="char").build_analyzer()("Hi !")
        ['h', 'i', ' ', '!']
        """
        if callable(self.analyzer):
            return self.analyzer
        preprocess = self.build_preprocessor()
        if self.analyzer == "char":
            return lambda document: list(preprocess(document))
        tokenize = self.build_tokenizer()
        return lambda document: tokenize(preprocess(document))

    # -- fit and transform ----------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the vocabulary of the tokens of X.

        Parameters
        ----------
        X : iterable of str, iterable of sequences of str, or 2-D array-like
            Documents, pre-tokenized sequences, a one-column table of
            documents, or a table whose rows are fixed-width sequences of
            symbols.
        y : None
            Ignored.

        Returns
        -------
        self : OneHotSequenceTransformer
            The fitted transformer.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the vocabulary and return the one-hot sequences of X.

        Same result as ``fit(X).transform(X)``, in one pass over the tokens.

        Parameters
        ----------
        X : iterable of str, iterable of sequences of str, or 2-D array-like
            Documents, pre-tokenized sequences, a one-column table of
            documents, or a table whose rows are fixed-width sequences of
            symbols.
        y : None
            Ignored.

        Returns
        -------
        X_new : OneHotSequences of shape (n_samples, longest, `n_token_slots_`)
            One one-hot vector per token.
        """
        return self._fit(X)

    def transform(self, X):
        """Turn X into one-hot token sequences.

        Parameters
        ----------
        X : iterable of str, iterable of sequences of str, or 2-D array-like
            The same kind of input as in `fit`: text if fitted on text
            (documents, pre-tokenized sequences or a one-column table of
            documents), a table of the same width and kind of symbols if
            fitted on a table.

        Returns
        -------
        X_new : OneHotSequences of shape (n_samples, longest, `n_token_slots_`)
            One one-hot vector per token; tokens outside the vocabulary go to
            the last slot.
        """
        check_is_fitted(self)
        kind, data = _read_input(X)
        fitted_on, fitted_symbols = self._fitted_on()
        if (kind == "table") != (fitted_on == "table"):
            raise self._mismatch_error(kind, X)
        if kind == "table":
            table = validate_data(
                self, data, reset=False, dtype=None, ensure_all_finite=True
            )
            symbols = _symbol_kind(table)
            if None not in (symbols, fitted_symbols) and symbols != fitted_symbols:
                raise self._mismatch_error(kind, table)
            sequences = _table_rows(table)
        else:
            if kind == "column" and fitted_on == "column":
                # The column's name, as for any table (a warning if it
                # differs); a list of documents has none to check.
                validate_data(self, X, reset=False, skip_check_array=True)
            sequences = self._token_sequences(kind, data)

        vocabulary = self.vocabulary_
        oov = len(vocabulary)
        if self.handle_unknown == "error":
            infrequent = set(self.infrequent_tokens_)
        ids = []
        offsets = [0]
        for i, tokens in enumerate(sequences):
            sequence_ids = [vocabulary.get(token, oov) for token in tokens]
            if self.handle_unknown == "error" and oov in sequence_ids:
                for token in tokens:
                    if token not in vocabulary and token not in infrequent:
                        raise ValueError(
                            f"Found unknown token {token!r} in sequence {i} "
                            "during transform. Set handle_unknown='ignore' "
                            "to map tokens never seen in fit to the "
                            "out-of-vocabulary slot."
                        )
            ids.extend(sequence_ids)
            offsets.append(len(ids))
        return OneHotSequences(
            np.asarray(ids, dtype=np.intp),
            np.asarray(offsets, dtype=np.intp),
            self.n_token_slots_,
            self.dtype,
        )

    def inverse_transform(self, X):
        """Return the token sequences of one-hot sequences.

        Parameters
        ----------
        X : OneHotSequences or array-like of shape (n_samples, n_steps, \
`n_token_slots_`)
            One-hot sequences; in a dense array, all-zero steps are padding.

        Returns
        -------
        tokens : list of lists
            The tokens of each sequence (strings for text; the symbols for a
            2-D array), with ``'<unk>'`` for the out-of-vocabulary slot.
        """
        check_is_fitted(self)
        if isinstance(X, OneHotSequences):
            ids, offsets, n_token_slots = X.ids, X.offsets, X.n_token_slots
        else:
            X = check_array(X, allow_nd=True, ensure_min_features=0)
            if X.ndim != 3:
                raise ValueError(
                    "inverse_transform expects OneHotSequences or a 3-D array "
                    f"(n_samples, n_steps, n_token_slots), got {X.ndim}-D."
                )
            n_token_slots = X.shape[2]
            present = X.any(axis=2)
            ids = np.argmax(X, axis=2)[present]
            offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))])
        if n_token_slots != self.n_token_slots_:
            raise ValueError(
                f"X has {n_token_slots} token slots, but this "
                f"{type(self).__name__} has {self.n_token_slots_} "
                f"({len(self.vocabulary_)} tokens and the out-of-vocabulary "
                "slot)."
            )
        tokens = [*self._tokens(), OOV_TOKEN]
        return [
            [tokens[i] for i in ids[start:stop].tolist()]
            for start, stop in zip(offsets[:-1], offsets[1:])
        ]

    def get_feature_names_out(self, input_features=None):
        """Names of the one-hot slots: the tokens, then ``'<unk>'``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Not used to make the names (the slots are tokens, not input
            columns); when fitted on a 2-D array it is checked against
            ``n_features_in_`` and ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects, shape (`n_token_slots_`,)
            ``str`` of each vocabulary token in slot order, then the name of
            the out-of-vocabulary slot.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(
            [str(token) for token in self._tokens()] + [OOV_TOKEN], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A 2-D array is the fixed-width case; strings are the main input.
        tags.input_tags.two_d_array = True
        tags.input_tags.string = True
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        # The output dtype is the `dtype` parameter, whatever the input's.
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- internals --------------------------------------------------------------

    def _tokens(self):
        """Vocabulary tokens in slot order."""
        return [
            token
            for token, _ in sorted(self.vocabulary_.items(), key=itemgetter(1))
        ]

    def _fitted_on(self):
        """The kind of X seen in fit ('documents', 'token_lists', 'column' or
        'table') and, for a table, its symbols ('numbers', 'strings' or None
        for mixed objects)."""
        default = "table" if hasattr(self, "n_features_in_") else "documents"
        return getattr(self, "_input_kind", default), getattr(self, "_symbols", None)

    def _mismatch_error(self, kind, X):
        """The error for text after a table of symbols, or the reverse."""
        fitted_on, fitted_symbols = self._fitted_on()
        name = type(self).__name__
        got = _describe(kind, _symbol_kind(X) if kind == "table" else None)
        seen = _describe(fitted_on, fitted_symbols)
        if fitted_on == "table" and kind == "table":
            advice = (
                f"Give a 2-D array of {fitted_symbols}, as in fit (convert "
                "the cells, e.g. X.astype(str)), or fit on a table of "
                f"{_describe_symbols(_symbol_kind(X))}"
            )
        elif fitted_on == "table":
            advice = (
                "Give a 2-D array of the same symbols, of width "
                f"{self.n_features_in_}, as in fit, or fit on text to one-hot text"
            )
        else:
            advice = (
                "Give text as in fit: a list (or a one-column table) of "
                "documents, or pre-tokenized sequences of strings; to one-hot "
                "a table of symbols, fit on such a table"
            )
        return TypeError(
            f"This {name} was fitted on {seen}, but transform got {got}: its "
            f"tokens could never match the vocabulary, and every one would go "
            f"to the out-of-vocabulary slot. {advice}."
        )

    def _token_sequences(self, kind, data):
        """Lists of tokens from validated documents or token lists."""
        if kind in ("documents", "column"):
            analyze = self.build_analyzer()
            return (analyze(document) for document in data)
        return data

    def _fit(self, X):
        """Count the tokens once; set the fitted attributes; return X's ids.

        Everything is computed first and the attributes are set together at
        the end, so an error leaves the estimator as it was.
        """
        kind, data = _read_input(X)
        symbols = None
        if kind == "table":
            table = check_array(
                data, dtype=None, ensure_all_finite=True, input_name="X",
                estimator=self,
            )
            symbols = _symbol_kind(table)
            sequences = _table_rows(table)
        else:
            sequences = self._token_sequences(kind, data)

        # One pass: provisional ids in order of first appearance.
        first_seen = {}
        ids = []
        offsets = [0]
        for tokens in sequences:
            ids.extend([first_seen.setdefault(t, len(first_seen)) for t in tokens])
            offsets.append(len(ids))
        seen_tokens = list(first_seen)
        ids = np.asarray(ids, dtype=np.intp)
        counts = np.bincount(ids, minlength=len(seen_tokens))

        order = _sorted_order(seen_tokens)
        if isinstance(self.min_frequency, numbers.Integral):
            threshold = self.min_frequency
        else:
            threshold = self.min_frequency * len(ids)
        kept = order[counts[order] >= threshold]
        if self.max_tokens is not None and len(kept) > self.max_tokens:
            # The most frequent; ``kept`` is in sorted order and the sort is
            # stable, so ties go to the token that sorts first.
            top = np.argsort(-counts[kept], kind="stable")[: self.max_tokens]
            kept = kept[np.sort(top)]
        if len(kept) == 0:
            if len(seen_tokens) == 0:
                reason = (
                    "perhaps the documents contain no tokens; check "
                    "token_pattern, tokenizer or analyzer"
                )
            else:
                reason = (
                    f"no token is seen {threshold:g} times or more "
                    f"(min_frequency={self.min_frequency}); the most frequent "
                    f"of the {len(seen_tokens)} distinct tokens is seen "
                    f"{counts.max()} times. Lower min_frequency"
                )
            raise ValueError(f"empty vocabulary; {reason}.")

        n_vocabulary = len(kept)
        slot = np.full(len(seen_tokens), n_vocabulary, dtype=np.intp)
        slot[kept] = np.arange(n_vocabulary)

        if kind == "table":
            _check_feature_names(self, data, reset=True)
            _check_n_features(self, table, reset=True)
        elif kind == "column":
            _check_feature_names(self, X, reset=True)
            _check_n_features(self, X, reset=True)
        else:
            for name in ("n_features_in_", "feature_names_in_"):
                if hasattr(self, name):
                    delattr(self, name)
        self.vocabulary_ = {seen_tokens[p]: i for i, p in enumerate(kept)}
        self.infrequent_tokens_ = [
            seen_tokens[p] for p in order if slot[p] == n_vocabulary
        ]
        self.n_token_slots_ = n_vocabulary + 1
        # What X was, so that transform can refuse text after a table of
        # symbols and the reverse (tokens of one kind never match the other).
        self._input_kind = kind
        self._symbols = symbols
        return OneHotSequences(
            slot[ids], np.asarray(offsets, dtype=np.intp), self.n_token_slots_,
            self.dtype,
        )


def _unchanged(document):
    return document


_INPUT_HELP = (
    "OneHotSequenceTransformer takes a list of documents (strings), a list "
    "of pre-tokenized sequences (lists of strings), a one-column table "
    "(DataFrame or 2-D array) of documents, or a 2-D array whose rows are "
    "sequences of symbols"
)


def _read_input(X):
    """Tell the kind of X and check its items, before any work.

    Returns
    -------
    kind : {'documents', 'token_lists', 'column', 'table'}
        'column' is a 2-D array or DataFrame of one column holding strings:
        documents, one per row.
    data : list or array-like
        The documents (of a column too) or token lists as a list; a table
        unchanged (it is validated by scikit-learn's ``check_array``).
    """
    if isinstance(X, (str, bytes)):
        raise TypeError(
            f"{_INPUT_HELP}; got a single {type(X).__name__}. Wrap one "
            f"document in a list: transform([text]) rather than transform(text)."
        )
    if X is None:
        raise TypeError(f"{_INPUT_HELP}; got None.")
    if sparse.issparse(X):
        return "table", X  # check_array says sparse input is not supported
    if hasattr(X, "__array__"):
        # NumPy arrays, DataFrames and Series. Only a 1-D array of objects
        # or strings can be documents or token lists, and a table of one
        # column holding strings (a text column) documents.
        kind = getattr(getattr(X, "dtype", None), "kind", None)
        if getattr(X, "ndim", None) == 1 and kind in ("O", "U", "S"):
            items = list(X)
            if not items:
                raise ValueError(f"{_INPUT_HELP}; got an empty array (0 sequences).")
            kind = _kind_of_items(items)
            if kind is not None:
                return kind, items
        elif getattr(X, "ndim", None) == 2 and X.shape[1] == 1:
            items = list(np.asarray(X, dtype=object)[:, 0])
            if any(isinstance(item, (str, bytes)) for item in items):
                _kind_of_items(items, container="a column of documents")
                return "column", items
        return "table", X
    if not isinstance(X, Iterable) or isinstance(X, Mapping):
        raise TypeError(f"{_INPUT_HELP}; got {type(X).__name__}.")
    items = list(X)
    if not items:
        raise ValueError(
            f"{_INPUT_HELP}; got an empty {type(X).__name__} (0 sequences)."
        )
    kind = _kind_of_items(items)
    return (kind, items) if kind is not None else ("table", items)


def _kind_of_items(items, container="a list of documents"):
    """'documents', 'token_lists', or None when the items are not text.

    ``container`` names X in the error for a document that is no string.
    """
    if any(isinstance(item, (str, bytes)) for item in items):
        for i, item in enumerate(items):
            if isinstance(item, bytes):
                raise TypeError(
                    f"X[{i}] is bytes; decode documents to str first, e.g. "
                    "text.decode('utf-8')."
                )
            if not isinstance(item, str):
                raise TypeError(
                    f"X[{i}] is {item!r} of type {type(item).__name__}, but X "
                    f"is {container}: every item must be a string. "
                    "Use '' for an empty document (fillna('') for a "
                    "DataFrame)."
                )
        return "documents"
    for i, item in enumerate(items):
        if item is None:
            raise TypeError(
                f"X[{i}] is None; every item of X must be a document (a "
                "string) or a sequence of tokens. Use '' or [] for an empty "
                "sequence."
            )
    sequences = all(isinstance(item, (list, tuple, np.ndarray)) for item in items)
    if not sequences or not any(
        isinstance(token, str) for item in items for token in item
    ):
        if sequences and not any(len(item) for item in items):
            return "token_lists"  # only empty sequences: an empty vocabulary
        if sequences and len({len(item) for item in items}) > 1:
            raise ValueError(
                "X is a list of sequences of different lengths whose tokens "
                "are not strings. Pre-tokenized sequences must hold strings "
                "(convert them, e.g. [str(t) for t in sequence]); sequences "
                "of other symbols must be the rows of a 2-D array, all of the "
                "same width."
            )
        return None
    for i, item in enumerate(items):
        for j, token in enumerate(item):
            if not isinstance(token, str):
                raise TypeError(
                    f"X[{i}][{j}] is {token!r} of type {type(token).__name__}, "
                    "but X is a list of pre-tokenized sequences: every token "
                    "must be a string."
                )
    return "token_lists"


def _symbol_kind(X):
    """'numbers' or 'strings' for a table of only those, else None."""
    try:
        array = np.asarray(X)
    except (TypeError, ValueError):  # e.g. a sparse matrix
        return None
    if array.dtype.kind in "biuf":
        return "numbers"
    if array.dtype.kind in "US":
        return "strings"
    if array.dtype == object and array.size:
        cells = array.ravel().tolist()
        if all(isinstance(cell, str) for cell in cells):
            return "strings"
        if all(
            isinstance(cell, numbers.Real) and not isinstance(cell, bool)
            for cell in cells
        ):
            return "numbers"
    return None


def _describe_symbols(symbols):
    return symbols if symbols in ("numbers", "strings") else "symbols"


def _describe(kind, symbols=None):
    """Words for a kind of X (and the symbols of a table), for errors."""
    if kind == "table":
        return (
            f"a 2-D array of {_describe_symbols(symbols)} (rows of symbols, "
            "one token per cell)"
        )
    return {
        "documents": "text (documents)",
        "token_lists": "text (pre-tokenized sequences)",
        "column": "text (a one-column table of documents)",
    }[kind]


def _table_rows(table):
    """Rows of a validated 2-D array as lists of hashable tokens."""
    rows = table.tolist()
    if table.dtype == object:
        rows = [[_hashable(cell) for cell in row] for row in rows]
    return rows


def _hashable(cell):
    try:
        hash(cell)
    except TypeError:
        return repr(cell)
    return cell


def _sorted_order(tokens):
    """Indices that sort ``tokens``; mixed types sort by type name first."""
    try:
        order = sorted(range(len(tokens)), key=tokens.__getitem__)
    except TypeError:
        order = sorted(
            range(len(tokens)),
            key=lambda i: (type(tokens[i]).__name__, str(tokens[i])),
        )
    return np.asarray(order, dtype=np.intp)
