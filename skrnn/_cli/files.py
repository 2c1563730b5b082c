"""Reading the user's files: data files (--data, --test) and files to predict.

Which of the two formats a file is in is sniffed from its first line: a
label, then tab-separated fields of comma-separated numbers, is a file of
numeric sequences; anything else is read as sentences.
"""

import csv
import os

import numpy as np

from ..datasets import _quote, load_sentences, load_sequences
from .data import Data
from .errors import CommandError


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
    """The `Data` of a --data or --test file, labels required."""
    check_file(path)
    if is_sequence_file(path):
        try:
            X, labels = load_sequences(path)
        except ValueError as error:
            raise CommandError(str(error)) from None
        return Data("sequences", X, labels, path)
    line = first_line(path)
    header = line.split("\t")
    missing = [c for c in ("label", "text") if c not in header]
    if missing:
        raise CommandError(
            f"{path} has no {' and no '.join(repr(c) for c in missing)} column "
            f"(header line: {_quote(line)}), and is not in the numeric sequence "
            "format either; see python -m skrnn --help for both formats."
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
    return Data("sentences", texts, labels, path)


def read_to_predict(path, *, text, model_path):
    """The inputs of a file to predict with a model that reads sentences
    (``text``) or numeric sequences; a file of the other kind is refused."""
    check_file(path)
    if text:
        if holds_only_sequences(path):
            raise CommandError(
                f"{path} holds numeric sequences (label<TAB>comma-separated "
                f"values), but {model_path} was saved from sentences and reads "
                "only sentences: give it one sentence per line (or a "
                "tab-separated file with a 'text' column), or predict with a "
                "model saved from numeric sequences."
            )
        return read_texts(path)
    try:
        X, _ = load_sequences(path, labels="optional")
    except ValueError as error:
        raise CommandError(
            f"{model_path} was saved from numeric sequences and reads only "
            f"them, but {path} is not in their format: {error} (The label "
            "field may be empty; sentences need a model saved from sentences.)"
        ) from None
    return X


def holds_only_sequences(path):
    """Whether every line of the file reads as a numeric sequence."""
    try:
        load_sequences(path, labels="optional")
    except ValueError:
        return False
    return True


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
