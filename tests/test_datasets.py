from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skrnn._transformer import OneHotSequenceTransformer
from skrnn.datasets import (
    load_sentences,
    load_sequences,
    make_marker_distances,
    make_questions,
)

# Shared data next to the project, never copied into it.
TREC = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "trec"

AUXILIARIES = {"am", "is", "are", "was", "were"} | {
    "can", "will", "could", "should", "would"
}


# -- make_questions -------------------------------------------------------------


def test_make_questions_shapes_and_labels():
    sentences, y = make_questions(1000, random_state=0)
    assert isinstance(sentences, list) and len(sentences) == 1000
    assert all(isinstance(s, str) for s in sentences)
    assert isinstance(y, np.ndarray) and y.shape == (1000,)
    assert Counter(y.tolist()) == {"question": 500, "statement": 500}
    _, y_odd = make_questions(7, random_state=0)
    assert Counter(y_odd.tolist()) == {"question": 3, "statement": 4}
    assert len(make_questions(1, random_state=0)[0]) == 1


def test_make_questions_is_deterministic():
    first = make_questions(50, random_state=3)
    second = make_questions(50, random_state=np.random.RandomState(3))
    assert first[0] == second[0]
    assert_array_equal(first[1], second[1])
    assert make_questions(50, random_state=4)[0] != first[0]


def test_make_questions_lengths_vary_and_no_punctuation():
    sentences, _ = make_questions(2000, random_state=0)
    lengths = Counter(len(s.split()) for s in sentences)
    assert min(lengths) == 3 and max(lengths) == 12
    assert len(lengths) == 10
    text = " ".join(sentences)
    assert not set(text) & set(".,;:!?'\"")
    assert all(s == s.strip() and "  " not in s for s in sentences)


def test_the_first_word_decides_the_label():
    sentences, y = make_questions(1000, random_state=1)
    starts_with_auxiliary = np.array([s.split()[0] in AUXILIARIES for s in sentences])
    assert_array_equal(starts_with_auxiliary, y == "question")


def test_words_carry_no_information_about_the_label():
    sentences, y = make_questions(1000, random_state=0)
    bag_of_words = make_pipeline(CountVectorizer(), LogisticRegression())
    accuracy = cross_val_score(bag_of_words, sentences, y, cv=5).mean()
    assert accuracy <= 0.65
    # The word frequencies of the two classes are alike.
    counts = {
        label: Counter(w for s, label_ in zip(sentences, y) if label_ == label for w in s.split())
        for label in ("question", "statement")
    }
    assert set(counts["question"]) == set(counts["statement"])


def test_sentences_and_their_inverted_twins_both_occur():
    sentences, y = make_questions(4000, random_state=0)
    bags = {
        label: {tuple(sorted(s.split())) for s, label_ in zip(sentences, y) if label_ == label}
        for label in ("question", "statement")
    }
    assert len(bags["question"] & bags["statement"]) >= 20
    statements = {s for s, label in zip(sentences, y) if label == "statement"}
    questions = {s for s, label in zip(sentences, y) if label == "question"}
    # "you are good" (statement) and "are you good" (question) are both possible.
    twins = [
        q for q in questions
        if " ".join([q.split()[1], q.split()[0], *q.split()[2:]]) in statements
    ]
    assert twins


class FirstTokenClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the label most often seen after the first token in fit."""

    def fit(self, X, y):
        self.classes_, y = np.unique(y, return_inverse=True)
        first = X.ids[X.offsets[:-1]]
        votes = np.zeros((X.n_token_slots, len(self.classes_)))
        np.add.at(votes, (first, y), 1)
        self.label_of_token_ = votes.argmax(axis=1)
        return self

    def predict(self, X):
        return self.classes_[self.label_of_token_[X.ids[X.offsets[:-1]]]]


def test_make_questions_is_learnable_from_word_order():
    sentences, y = make_questions(1000, random_state=0)
    pipeline = make_pipeline(OneHotSequenceTransformer(), FirstTokenClassifier())
    assert cross_val_score(pipeline, sentences, y, cv=5).mean() == 1.0


@pytest.mark.parametrize(
    "n_samples, error",
    [(0, ValueError), (-5, ValueError), (2.5, TypeError), (True, TypeError)],
)
def test_make_questions_invalid_n_samples(n_samples, error):
    with pytest.raises(error, match="n_samples"):
        make_questions(n_samples)


# -- load_sentences ---------------------------------------------------------------


def write(tmp_path, text, name="data.tsv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_load_sentences(tmp_path):
    path = write(
        tmp_path,
        "id\tlabel\tsource\ttext\n"
        '1\tquestion\tweb\tAre you "good" ?\n'
        "2\tstatement\tbook\tÇa va très bien.\n"
        "\n"
        "3\tquestion\tweb\t\n",
    )
    texts, labels = load_sentences(path)
    assert texts == ['Are you "good" ?', "Ça va très bien.", ""]
    assert isinstance(labels, np.ndarray)
    assert_array_equal(labels, ["question", "statement", "question"])
    texts, labels = load_sentences(str(path), label_column="source", text_column="id")
    assert texts == ["1", "2", "3"]
    assert_array_equal(labels, ["web", "book", "web"])


def test_load_sentences_windows_newlines_and_byte_order_mark(tmp_path):
    path = write(tmp_path, "\ufefflabel\ttext\r\nA\tone two\r\nB\tthree\r\n")
    texts, labels = load_sentences(path)
    assert texts == ["one two", "three"]
    assert_array_equal(labels, ["A", "B"])


def test_load_sentences_header_only(tmp_path):
    texts, labels = load_sentences(write(tmp_path, "label\ttext\n"))
    assert texts == [] and labels.shape == (0,)


def test_load_sentences_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_sentences(tmp_path / "absent.tsv")


def test_load_sentences_missing_column(tmp_path):
    path = write(tmp_path, "category\tsentence\nA\thello\n")
    with pytest.raises(
        ValueError,
        match=r"no column 'label'; the columns found .* \['category', 'sentence'\]",
    ):
        load_sentences(path)
    texts, _ = load_sentences(path, label_column="category", text_column="sentence")
    assert texts == ["hello"]


@pytest.mark.parametrize(
    "content, match",
    [
        ("label\ttext\nA\thello\nB\n", r"line 3: 1 tab-separated fields, but the"),
        ("label\ttext\nA\thello\tworld\n", r"line 2: 3 tab-separated fields"),
        ("label\ttext\n\thello\n", r"line 2: the 'label' field is empty"),
        ("", "is empty; expected a header row"),
        ("label\ttext\tlabel\n", "2 columns named 'label'"),
    ],
)
def test_load_sentences_malformed(tmp_path, content, match):
    with pytest.raises(ValueError, match=match):
        load_sentences(write(tmp_path, content))


def test_load_sentences_not_utf8(tmp_path):
    path = write(tmp_path, "label\ttext\nA\tcafé\n", encoding="latin-1")
    with pytest.raises(ValueError, match="not UTF-8"):
        load_sentences(path)


@pytest.mark.skipif(not (TREC / "train.tsv").exists(), reason="TREC data not present")
def test_load_trec():
    texts, labels = load_sentences(TREC / "train.tsv")
    assert len(texts) == len(labels) == 5452
    assert set(labels) == {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}
    assert all(texts)
    fine_labels = load_sentences(TREC / "train.tsv", label_column="fine_label")[1]
    assert all(f.startswith(c + ":") for c, f in zip(labels, fine_labels))


# --- make_marker_order ------------------------------------------------------


def test_make_marker_order_is_about_order_only():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    from skrnn.datasets import make_marker_order

    sentences, y = make_marker_order(600, random_state=0)
    assert len(sentences) == 600 and sorted(set(y)) == ["blue", "red"]
    assert (y == "red").sum() == 300
    for sentence, label in zip(sentences, y):
        words = sentence.split()
        assert 30 <= len(words) <= 60
        assert words.count("red") == 1 and words.count("blue") == 1
        first = "red" if words.index("red") < words.index("blue") else "blue"
        assert first == label
    bag = make_pipeline(CountVectorizer(), LogisticRegression())
    assert cross_val_score(bag, sentences, y, cv=5).mean() <= 0.6
    again, _ = make_marker_order(600, random_state=0)
    assert again == sentences


def test_make_marker_order_errors():
    import pytest

    from skrnn.datasets import make_marker_order

    with pytest.raises(ValueError, match="min_length"):
        make_marker_order(10, min_length=1)
    with pytest.raises(ValueError, match="markers"):
        make_marker_order(10, markers=("the", "red"))
    with pytest.raises(TypeError, match="n_samples"):
        make_marker_order(2.5)


# --- make_marker_distances --------------------------------------------------


def test_make_marker_distances():
    sentences, y = make_marker_distances(400, random_state=1)
    assert len(sentences) == 400 and y.shape == (400,) and y.dtype == np.float64
    for sentence, target in zip(sentences, y):
        words = sentence.split()
        assert 8 <= len(words) <= 18
        assert words.count("red") == words.count("blue") == 1
        assert target == words.index("blue") - words.index("red") != 0
    assert (y > 0).any() and (y < 0).any()
    again, _ = make_marker_distances(400, random_state=1)
    assert again == sentences


def test_make_marker_distances_shares_the_filler_of_make_marker_order():
    from skrnn.datasets import make_marker_order

    def fillers(sentences, markers):
        return {w for s in sentences for w in s.split()} - set(markers)

    distances, _ = make_marker_distances(300, markers=("x", "y"), random_state=0)
    order, _ = make_marker_order(300, markers=("x", "y"), random_state=0)
    assert fillers(distances, "xy") <= fillers(order, "xy")
    sentences, y = make_marker_distances(50, min_length=2, max_length=2,
                                         markers=("x", "y"), random_state=0)
    assert set(sentences) == {"x y", "y x"} and set(y) == {-1.0, 1.0}


def test_make_marker_distances_is_about_order_only():
    from sklearn.linear_model import RidgeCV

    sentences, y = make_marker_distances(600, random_state=0)
    bag = make_pipeline(CountVectorizer(), RidgeCV())
    assert cross_val_score(bag, sentences, y, cv=5).mean() < 0.3


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_samples": 0}, ValueError, "n_samples must be >= 1"),
    ({"n_samples": 2.0}, TypeError, "n_samples must be an int"),
    ({"min_length": 1}, ValueError, "min_length"),
    ({"min_length": 9, "max_length": 8}, ValueError, "min_length"),
    ({"markers": ("red", "red")}, ValueError, "markers"),
    ({"markers": ("the", "red")}, ValueError, "markers"),
    ({"markers": "rb"}, ValueError, "markers"),
])
def test_make_marker_distances_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_marker_distances(**{"n_samples": 10, **kwargs})


# --- load_sequences -----------------------------------------------------------


def test_load_sequences(tmp_path):
    path = write(tmp_path, "up\t1,2,3\t0,0,1\r\n\ndown\t3,nan\t1,0\n")
    X, labels = load_sequences(path)
    assert_array_equal(labels, ["up", "down"])
    assert_array_equal(X[0], [[1, 0], [2, 0], [3, 1]])
    assert X[1].shape == (2, 2) and np.isnan(X[1][1, 0])
    assert all(x.dtype == np.float64 for x in X)


def test_load_sequences_labels_optional(tmp_path):
    path = write(tmp_path, "\t1,2\nb\t3,4\n")
    with pytest.raises(ValueError, match="line 1: the label field is empty"):
        load_sequences(path)
    X, labels = load_sequences(path, labels="optional")
    assert_array_equal(labels, ["", "b"])
    assert_array_equal(X[1], [[3], [4]])
    with pytest.raises(ValueError, match="labels must be 'required' or 'optional'"):
        load_sequences(path, labels=False)


@pytest.mark.parametrize("content, match", [
    ("a\t1,2\nb 1,2\n", r"line 2: no tab in the line 'b 1,2'"),
    ("a\t1,2\t3,x\n", r"line 1: channel 2 holds 'x', which is not a number"),
    ("a\t1,2\t3\n", r"line 1: channels of different lengths \[2, 1\]"),
    ("\n\n", "holds no sequence"),
])
def test_load_sequences_malformed(tmp_path, content, match):
    with pytest.raises(ValueError, match=match):
        load_sequences(write(tmp_path, content))


def test_load_sequences_quotes_at_most_80_characters(tmp_path):
    line = ",".join(["0.123456"] * 500)
    with pytest.raises(ValueError) as error:
        load_sequences(write(tmp_path, line + "\n"))
    message = str(error.value)
    assert f"{line[:80]!r}... ({len(line)} characters)" in message
    assert len(message) < len(str(tmp_path)) + 300
    bad = "y" * 200
    with pytest.raises(ValueError, match=r"holds 'y{80}'\.\.\. \(200 characters\)"):
        load_sequences(write(tmp_path, f"a\t1,{bad}\n"))


def test_load_sequences_not_utf8(tmp_path):
    with pytest.raises(ValueError, match="not UTF-8"):
        load_sequences(write(tmp_path, "é\t1,2\n", encoding="latin-1"))
