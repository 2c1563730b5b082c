import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import check_is_fitted

from skrnn._one_hot_sequences import OneHotSequences
from skrnn._transformer import OneHotSequenceTransformer

DOCUMENTS = ["You are good.", "Are you good ?", "I am a dog", "a dog? a cat!"]


def token_ids(X):
    """The token ids of each sequence, as lists."""
    return [X.ids[a:b].tolist() for a, b in zip(X.offsets[:-1], X.offsets[1:])]


def test_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(OneHotSequenceTransformer(), on_fail=None)
    not_passed = {
        r["check_name"]: (r["status"], r["exception"])
        for r in results
        if r["status"] != "passed"
    }
    # The array API check needs SCIPY_ARRAY_API=1; without it scikit-learn
    # skips it for every estimator.
    not_passed.pop("check_array_api_input", None)
    assert not_passed == {}
    assert sum(r["status"] == "passed" for r in results) >= 45


def test_word_order_and_punctuation_are_kept():
    transformer = OneHotSequenceTransformer()
    X = transformer.fit_transform(
        ["are you good ?", "you are good .", "you are good", "are you good"]
    )
    sequences = token_ids(X)
    assert len({tuple(s) for s in sequences}) == 4
    assert transformer.inverse_transform(X) == [
        ["are", "you", "good", "?"],
        ["you", "are", "good", "."],
        ["you", "are", "good"],
        ["are", "you", "good"],
    ]


def test_default_tokens_keep_one_letter_words_and_punctuation():
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    assert transformer.build_analyzer()("I saw a cat, didn't I?") == [
        "i", "saw", "a", "cat", ",", "didn", "'", "t", "i", "?",
    ]


def test_vocabulary_sorted_with_oov_slot_last():
    transformer = OneHotSequenceTransformer()
    X = transformer.fit_transform(DOCUMENTS)
    tokens = ["!", ".", "?", "a", "am", "are", "cat", "dog", "good", "i", "you"]
    assert transformer.vocabulary_ == {t: i for i, t in enumerate(tokens)}
    assert transformer.n_token_slots_ == len(tokens) + 1
    assert transformer.infrequent_tokens_ == []
    names = transformer.get_feature_names_out()
    assert isinstance(names, np.ndarray) and names.dtype == object
    assert_array_equal(names, tokens + ["<unk>"])
    assert isinstance(X, OneHotSequences)
    assert X.shape == (4, 6, 12)
    assert X.n_token_slots == 12
    assert token_ids(X)[0] == [10, 5, 8, 1]


def test_unknown_tokens_go_to_the_last_slot():
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    X = transformer.transform(["a zebra is good", "", "zebra"])
    oov = transformer.n_token_slots_ - 1
    assert token_ids(X) == [[3, oov, oov, 8], [], [oov]]
    assert_array_equal(X.lengths, [4, 0, 1])
    assert transformer.inverse_transform(X) == [
        ["a", "<unk>", "<unk>", "good"], [], ["<unk>"],
    ]


def test_handle_unknown_error_names_the_token_and_sequence():
    transformer = OneHotSequenceTransformer(handle_unknown="error").fit(DOCUMENTS)
    transformer.transform(["you are a cat"])
    with pytest.raises(ValueError, match=r"unknown token 'zebra' in sequence 1"):
        transformer.transform(["you are a cat", "a zebra"])


def test_handle_unknown_error_accepts_infrequent_tokens():
    transformer = OneHotSequenceTransformer(handle_unknown="error", min_frequency=2)
    transformer.fit(["a b c", "a b", "a"])
    assert transformer.vocabulary_ == {"a": 0, "b": 1}
    assert transformer.infrequent_tokens_ == ["c"]
    assert token_ids(transformer.transform(["c a"])) == [[2, 0]]
    with pytest.raises(ValueError, match="unknown token 'd' in sequence 0"):
        transformer.transform(["c d"])


def test_min_frequency_count_and_fraction():
    documents = ["a a a a b b b c c d"]  # 10 tokens
    counted = OneHotSequenceTransformer(min_frequency=3).fit(documents)
    assert list(counted.vocabulary_) == ["a", "b"]
    assert counted.infrequent_tokens_ == ["c", "d"]
    # 0.25 of 10 tokens: seen at least 2.5 times.
    fraction = OneHotSequenceTransformer(min_frequency=0.25).fit(documents)
    assert list(fraction.vocabulary_) == ["a", "b"]
    fraction = OneHotSequenceTransformer(min_frequency=0.2).fit(documents)
    assert list(fraction.vocabulary_) == ["a", "b", "c"]
    X = counted.transform(documents)
    assert token_ids(X) == [[0, 0, 0, 0, 1, 1, 1, 2, 2, 2]]


def test_max_tokens_keeps_the_most_frequent_ties_by_token():
    documents = ["z z z y y x x w w v"]
    transformer = OneHotSequenceTransformer(max_tokens=3).fit(documents)
    # z (3); then y, x, w (2 each): the tie goes to the tokens sorting first.
    assert transformer.vocabulary_ == {"w": 0, "x": 1, "z": 2}
    assert transformer.infrequent_tokens_ == ["v", "y"]
    assert transformer.n_token_slots_ == 4
    # Same result whatever the order the tokens were first seen in.
    reordered = OneHotSequenceTransformer(max_tokens=3).fit(["v w w x x y y z z z"])
    assert reordered.vocabulary_ == transformer.vocabulary_
    both = OneHotSequenceTransformer(max_tokens=2, min_frequency=3).fit(documents)
    assert both.vocabulary_ == {"z": 0}


def test_fit_transform_equals_fit_then_transform():
    for params in [{}, {"min_frequency": 2}, {"max_tokens": 4}, {"analyzer": "char"}]:
        transformer = OneHotSequenceTransformer(**params)
        X = transformer.fit_transform(DOCUMENTS)
        Y = clone(transformer).fit(DOCUMENTS).transform(DOCUMENTS)
        assert_array_equal(X.ids, Y.ids)
        assert_array_equal(X.offsets, Y.offsets)


def test_pre_tokenized_sequences_are_used_as_given():
    transformer = OneHotSequenceTransformer()
    X = transformer.fit_transform(
        [["Are", "you", "good?"], ("you",), [], np.array(["x"])]
    )
    assert list(transformer.vocabulary_) == ["Are", "good?", "x", "you"]
    assert token_ids(X) == [[0, 3, 1], [3], [], [2]]


def test_analyzer_tokenizer_lowercase():
    char = OneHotSequenceTransformer(analyzer="char").fit(["Ab a"])
    assert list(char.vocabulary_) == [" ", "a", "b"]
    assert token_ids(char.transform(["ba "])) == [[2, 1, 0]]

    def by_commas(document):
        return document.split(",")

    custom = OneHotSequenceTransformer(analyzer=by_commas).fit(["A,b", "c"])
    assert list(custom.vocabulary_) == ["A", "b", "c"]  # no lowercasing
    tokenizer = OneHotSequenceTransformer(tokenizer=by_commas).fit(["A,b"])
    assert list(tokenizer.vocabulary_) == ["a", "b"]  # lowercased first
    cased = OneHotSequenceTransformer(lowercase=False).fit(["The the"])
    assert list(cased.vocabulary_) == ["The", "the"]
    pattern = OneHotSequenceTransformer(token_pattern=r"\w\w+").fit(["a bb ccc ?"])
    assert list(pattern.vocabulary_) == ["bb", "ccc"]
    group = OneHotSequenceTransformer(token_pattern=r"<(\w+)>").fit(["<a> b <c>"])
    assert list(group.vocabulary_) == ["a", "c"]


def test_token_pattern_with_two_groups():
    transformer = OneHotSequenceTransformer(token_pattern=r"(a)(b)")
    with pytest.raises(ValueError, match="has 2 capturing groups"):
        transformer.fit(["ab"])


def test_other_iterables_of_documents():
    expected = OneHotSequenceTransformer().fit_transform(DOCUMENTS)
    for X in [
        (d for d in DOCUMENTS),
        tuple(DOCUMENTS),
        np.array(DOCUMENTS),
        np.array(DOCUMENTS, dtype=object),
        pd.Series(DOCUMENTS),
        pd.Series(DOCUMENTS, dtype="string"),
    ]:
        transformer = OneHotSequenceTransformer()
        assert_array_equal(transformer.fit_transform(X).ids, expected.ids)
        assert not hasattr(transformer, "n_features_in_")


def test_two_dimensional_array_of_symbols():
    X = np.array([[0.5, 1.0, 2.0], [2.0, 0.5, 3.0]])
    transformer = OneHotSequenceTransformer()
    Xt = transformer.fit_transform(X)
    assert transformer.n_features_in_ == 3
    assert transformer.vocabulary_ == {0.5: 0, 1.0: 1, 2.0: 2, 3.0: 3}
    assert_array_equal(Xt.lengths, [3, 3])
    assert token_ids(Xt) == [[0, 1, 2], [2, 0, 3]]
    assert_array_equal(
        transformer.get_feature_names_out(), ["0.5", "1.0", "2.0", "3.0", "<unk>"]
    )
    assert transformer.inverse_transform(transformer.transform([[0.5, 7.0, 1]])) == [
        [0.5, "<unk>", 1.0]
    ]
    with pytest.raises(
        ValueError,
        match="X has 2 features, but OneHotSequenceTransformer is expecting 3",
    ):
        transformer.transform(X[:, :2])
    with pytest.raises(ValueError, match="Expected 2D array"):
        transformer.transform(X[0])


def test_two_dimensional_strings_and_mixed_objects():
    X = np.array([["a", "b"], ["b", "c"]])
    transformer = OneHotSequenceTransformer()
    assert token_ids(transformer.fit_transform(X)) == [[0, 1], [1, 2]]
    assert transformer.n_features_in_ == 2
    mixed = np.array([[1, "a"], [2.5, [1, 2]]], dtype=object)
    transformer.fit(mixed)
    # Mixed types sort by type name; an unhashable cell stands for its repr.
    assert list(transformer.vocabulary_) == [2.5, 1, "[1, 2]", "a"]


def test_dataframe_feature_names():
    df = pd.DataFrame({"first": ["a", "b"], "second": ["b", "c"]})
    transformer = OneHotSequenceTransformer().fit(df)
    assert_array_equal(transformer.feature_names_in_, ["first", "second"])
    assert transformer.n_features_in_ == 2
    assert token_ids(transformer.transform(df)) == [[0, 1], [1, 2]]
    with pytest.raises(ValueError, match="input_features is not equal to"):
        transformer.get_feature_names_out(["x", "y"])
    # Refitting on documents forgets the table's width and names.
    transformer.fit(DOCUMENTS)
    assert not hasattr(transformer, "n_features_in_")
    assert not hasattr(transformer, "feature_names_in_")


def test_nan_and_inf_in_a_table():
    transformer = OneHotSequenceTransformer()
    with pytest.raises(ValueError, match="NaN"):
        transformer.fit(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="NaN"):
        transformer.fit(np.array([["a", np.nan]], dtype=object))
    with pytest.raises(ValueError, match="infinity"):
        transformer.fit(np.array([[1.0, np.inf]]))
    transformer.fit(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="NaN"):
        transformer.transform(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("you are good", TypeError, r"single str\. Wrap one document in a list"),
        (b"you are good", TypeError, "single bytes"),
        (None, TypeError, "got None"),
        (42, TypeError, "got int"),
        ([], ValueError, "empty list"),
        (np.array([], dtype=str), ValueError, "empty array"),
        (["a b", None], TypeError, r"X\[1\] is None .* every item must be a string"),
        (["a b", 3], TypeError, r"X\[1\] is 3 of type int"),
        ([None, None], TypeError, r"X\[0\] is None"),
        ([b"a b"], TypeError, "decode"),
        ([["a", "b"], ["c", 4]], TypeError, r"X\[1\]\[1\] is 4 .* every token"),
        (["", " ", "\t"], ValueError, "empty vocabulary; perhaps .* no tokens"),
        ([[], []], ValueError, "empty vocabulary"),
        ([[1, 2, 3], [4]], ValueError, "different lengths whose tokens are not"),
        ({"a b": 1}, TypeError, "got dict"),
        (np.zeros((0, 3)), ValueError, "0 sample"),
        (np.zeros((3, 0)), ValueError, "0 feature"),
        (np.array([1.0, 2.0]), ValueError, "Expected 2D array"),
        (sparse.csr_matrix(np.eye(3)), TypeError, "[Ss]parse"),
        (np.array([[1 + 2j]]), ValueError, "Complex data not supported"),
    ],
)
def test_invalid_input_leaves_the_transformer_unfitted(X, error, match):
    transformer = OneHotSequenceTransformer()
    with pytest.raises(error, match=match):
        transformer.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(transformer)
    with pytest.raises(error, match=match):
        transformer.fit_transform(X)


def test_empty_vocabulary_after_min_frequency():
    transformer = OneHotSequenceTransformer(min_frequency=0.9)
    with pytest.raises(
        ValueError,
        match=r"empty vocabulary; no token is seen 3.6 times or more .* Lower",
    ):
        transformer.fit(np.array([[1, 2], [3, 4]]))
    # Not even the table's width was stored.
    assert not hasattr(transformer, "n_features_in_")
    with pytest.raises(NotFittedError):
        check_is_fitted(transformer)


def test_failed_refit_keeps_the_previous_fit():
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    vocabulary = dict(transformer.vocabulary_)
    with pytest.raises(TypeError):
        transformer.fit(["a", None])
    with pytest.raises(ValueError, match="empty vocabulary"):
        transformer.fit([""])
    assert transformer.vocabulary_ == vocabulary


def test_transform_errors():
    with pytest.raises(NotFittedError):
        OneHotSequenceTransformer().transform(DOCUMENTS)
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    with pytest.raises(TypeError, match="Wrap one document in a list"):
        transformer.transform("you are good")
    with pytest.raises(TypeError, match=r"X\[0\] is None"):
        transformer.transform([None])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"min_frequency": 0}, "'min_frequency' parameter"),
        ({"min_frequency": 1.5}, "'min_frequency' parameter"),
        ({"max_tokens": 0}, "'max_tokens' parameter"),
        ({"handle_unknown": "infrequent_if_exist"}, "'handle_unknown' parameter"),
        ({"analyzer": "char_wb"}, "'analyzer' parameter"),
        ({"dtype": np.int64}, "'dtype' parameter"),
        ({"lowercase": "yes"}, "'lowercase' parameter"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        OneHotSequenceTransformer(**params).fit(DOCUMENTS)


def test_dtype():
    X = OneHotSequenceTransformer(dtype=np.float32).fit_transform(DOCUMENTS)
    assert X.dtype == np.float32
    assert X.toarray().dtype == np.float32
    assert X[0].dtype == np.float32
    # The output dtype is the parameter's, not the input's.
    table = np.array([[1, 2]], dtype=np.float32)
    assert OneHotSequenceTransformer().fit_transform(table).dtype == np.float64


def test_inverse_transform_of_a_dense_array():
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    X = transformer.transform(["you are a cat", "", "dog ?"])
    tokens = transformer.inverse_transform(X)
    assert transformer.inverse_transform(X.toarray()) == tokens
    with pytest.raises(
        ValueError,
        match="X has 3 token slots, but this OneHotSequenceTransformer has 12",
    ):
        transformer.inverse_transform(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="3-D array"):
        transformer.inverse_transform(np.zeros((1, 12)))


def test_pickle_and_pipeline():
    transformer = OneHotSequenceTransformer(max_tokens=5).fit(DOCUMENTS)
    restored = pickle.loads(pickle.dumps(transformer))
    assert_array_equal(
        restored.transform(DOCUMENTS).ids, transformer.transform(DOCUMENTS).ids
    )
    pipeline = make_pipeline(OneHotSequenceTransformer())
    assert isinstance(pipeline.fit_transform(DOCUMENTS), OneHotSequences)
    assert not hasattr(OneHotSequenceTransformer(), "set_output")


# ---------------------------------------------------------------------------
# Text after a table and the reverse (issue 29, item 12)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fit_X, X, fitted, got",
    [
        # The case: every number went to the unknown slot.
        (["you", "are"], np.array([[0], [1]]), r"text \(documents\)",
         "a 2-D array of numbers"),
        (["you are"], [[1, 2], [3, 4]], r"text \(documents\)", "a 2-D array of numbers"),
        ([["you", "are"]], np.array([[0.5, 1.0]]), "pre-tokenized", "numbers"),
        (pd.DataFrame({"text": ["a b", "c"]}), np.array([[0], [1]]),
         "a one-column table of documents", "numbers"),
        (np.array([[1, 2], [3, 4]]), ["you are"], "a 2-D array of numbers",
         r"text \(documents\)"),
        (np.array([[1, 2], [3, 4]]), [["you", "are"]], "numbers", "pre-tokenized"),
        (np.array([[1], [2]]), pd.DataFrame({"t": ["a", "b"]}), "numbers",
         "one-column table of documents"),
        (np.array([["a", "b"]]), np.array([[1, 2]]), "a 2-D array of strings",
         r"a 2-D array of numbers .* X\.astype\(str\)"),
        (np.array([[1, 2]]), np.array([["a", "b"]], dtype=object),
         "a 2-D array of numbers", "a 2-D array of strings"),
    ],
    ids=["documents-column of numbers", "documents-list of numbers",
         "tokens-numbers", "text column-numbers", "numbers-documents",
         "numbers-tokens", "numbers-text column", "strings-numbers",
         "numbers-strings"],
)
def test_transform_refuses_the_other_kind_of_input(fit_X, X, fitted, got):
    transformer = OneHotSequenceTransformer().fit(fit_X)
    with pytest.raises(
        TypeError,
        match=f"fitted on .*{fitted}.*, but transform got .*{got}",
    ):
        transformer.transform(X)


def test_text_kinds_are_interchangeable_and_mixed_tables_pass():
    transformer = OneHotSequenceTransformer().fit(DOCUMENTS)
    expected = token_ids(transformer.transform(["you are good"]))
    assert token_ids(transformer.transform([["you", "are", "good"]])) == expected
    assert token_ids(transformer.transform(np.array([["you are good"]]))) == expected
    # Tables of mixed objects are not judged; ints and floats are numbers.
    mixed = OneHotSequenceTransformer().fit(np.array([[1, "a"]], dtype=object))
    assert token_ids(mixed.transform(np.array([[1, 2]]))) == [[0, 2]]
    numbers = OneHotSequenceTransformer().fit(np.array([[1, 2]]))
    assert token_ids(numbers.transform(np.array([[2.0, 1.0]]))) == [[1, 0]]


# ---------------------------------------------------------------------------
# A text column of a table (issue 29, item 14)
# ---------------------------------------------------------------------------

TABLE = pd.DataFrame({"text": DOCUMENTS, "stars": [5, 4, 3, 1]})


@pytest.mark.parametrize(
    "column",
    [
        TABLE[["text"]],
        TABLE[["text"]].astype("string"),
        np.array(DOCUMENTS)[:, np.newaxis],
        np.array(DOCUMENTS, dtype=object)[:, np.newaxis],
    ],
    ids=["DataFrame", "string dtype", "str array", "object array"],
)
def test_a_text_column_is_read_as_documents(column):
    expected = OneHotSequenceTransformer().fit_transform(DOCUMENTS)
    transformer = OneHotSequenceTransformer()
    X = transformer.fit_transform(column)
    assert X.shape == expected.shape
    assert_array_equal(X.ids, expected.ids)
    assert_array_equal(transformer.transform(column).ids, expected.ids)
    assert transformer.n_features_in_ == 1
    assert_array_equal(transformer.transform(DOCUMENTS).ids, expected.ids)


def test_text_column_feature_names():
    transformer = OneHotSequenceTransformer().fit(TABLE[["text"]])
    assert_array_equal(transformer.feature_names_in_, ["text"])
    assert transformer.get_feature_names_out(["text"])[-1] == "<unk>"
    with pytest.raises(ValueError, match="feature names should match"):
        transformer.transform(TABLE[["text"]].rename(columns={"text": "other"}))
    # Fitted on a list, a column is welcome and has no names to check.
    fitted_on_list = OneHotSequenceTransformer().fit(DOCUMENTS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted_on_list.transform(TABLE[["text"]])
    assert not hasattr(fitted_on_list, "feature_names_in_")


def test_text_column_needs_strings_in_every_cell():
    column = pd.DataFrame({"text": ["a b", None, "c"]}, dtype=object)
    with pytest.raises(
        TypeError, match=r"X\[1\] is None .* a column of documents.*fillna\(''\)"
    ):
        OneHotSequenceTransformer().fit(column)


def test_one_column_of_numbers_is_still_a_table_and_wider_tables_of_strings_too():
    numbers = OneHotSequenceTransformer().fit(np.array([[1], [2], [1]]))
    assert numbers.vocabulary_ == {1: 0, 2: 1}
    symbols = OneHotSequenceTransformer().fit(np.array([["A b", "c"]]))
    assert list(symbols.vocabulary_) == ["A b", "c"]  # cells, untokenized


def test_text_column_in_a_pipeline_and_the_column_transformer_error():
    """The user guide's 'Text in a table': select the column, then one-hot
    it; ColumnTransformer cannot hold sequences (its output is 2-D)."""
    from operator import itemgetter

    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import FunctionTransformer

    pipeline = make_pipeline(
        FunctionTransformer(itemgetter(["text"])), OneHotSequenceTransformer()
    )
    X = pipeline.fit_transform(TABLE)
    assert_array_equal(X.ids, OneHotSequenceTransformer().fit_transform(DOCUMENTS).ids)
    assert pickle.loads(pickle.dumps(pipeline)).transform(TABLE).shape == X.shape
    columns = ColumnTransformer([("t", OneHotSequenceTransformer(), ["text"])])
    with pytest.raises(ValueError, match="should be 2D"):
        columns.fit_transform(TABLE)
