"""Hashed n-gram features of token sequences, for direct connections.

The maximum-entropy part of Mikolov et al.'s RNNME (2011): the n-grams of
a sequence's token ids are hashed into the rows of a table ``W_direct``
(``direct_size`` rows, one column per output) wired straight to the output
layer, ``o = W_out s + b_out + sum_g value_g W_direct[row(g)]``, and
trained jointly with the recurrent part (`RecurrentNetwork`'s ``direct``).

`ngram_ids` hashes, once for the whole data, every n-gram of orders
1 .. ``order`` to its table row, at the flat position where it ends; the
rows read by a minibatch are then gathered from there:

- `sequence_features`, for an output per sequence (a classifier or a
  regressor): each sequence's n-grams, as presence (1 per distinct row) or
  as frequencies (counts over the sequence's number of n-grams);
- `step_features`, for an output per step (the language model): the
  n-grams ending at each step, i.e. the history of the token to predict.

The hash is SplitMix64 over the token ids and the order, in wrapping uint64
arithmetic: the same rows on every platform and in every run. Pure NumPy and
SciPy: no scikit-learn here.
"""

import numpy as np
import scipy.sparse

from ._one_hot_sequences import _ranges
from ._sequences import Sequences, splitmix64

# Salts of the hash: of a token id, and of an n-gram's order.
_TOKEN_SALT = np.uint64(0x5851F42D4C957F2D)
_ORDER_SALT = np.uint64(0x14057B7EF767814F)
_CHAIN_MULTIPLIER = np.uint64(0xD6E8FEB86659FD93)  # odd
FEATURE_VALUES = ("presence", "frequency")


def ngram_ids(sequences, order, n_rows):
    """The table rows of the n-grams ending at every flat token position.

    The n-gram of order k ending at position p is the tokens
    ``p - k + 1 .. p`` of p's sequence; its hash chains backwards over them,

        g_1[p] = mix(tok[p] ^ SALT)
        g_k[p] = mix(g_{k-1}[p] * M ^ mix(tok[p - k + 1] ^ SALT))
        row_k[p] = mix(g_k[p] ^ mix(k ^ ORDER_SALT)) mod n_rows

    with ``mix`` the SplitMix64 finalizer and M an odd constant (which
    makes the step asymmetric: (a, b) and (b, a) differ), so that the
    tokens' order counts and an n-gram's row depends on its tokens and its
    order alone. An
    n-gram that would reach before the start of its sequence does not exist:
    its row is -1.

    Parameters
    ----------
    sequences : Sequences
        One-hot sequences (token ids).
    order : int
        The longest n-grams (1: unigrams only).
    n_rows : int
        Rows of the table.

    Returns
    -------
    ndarray of int, shape (n_tokens, order)
        Column k - 1: the row of the n-gram of order k ending at each flat
        position of ``sequences.values``, or -1.
    """
    if not sequences.one_hot:
        raise ValueError("n-gram features need one-hot sequences (token ids).")
    order, n_rows = int(order), int(n_rows)
    if order < 1 or n_rows < 1:
        raise ValueError(f"order and n_rows must be >= 1, got {order} and {n_rows}.")
    tokens = np.asarray(sequences.values).astype(np.uint64)
    n = len(tokens)
    lengths = sequences.lengths
    # each position's step within its sequence: the n-grams that fit there
    step = np.arange(n, dtype=np.intp) - np.repeat(sequences.offsets[:-1], lengths)
    mixed = splitmix64(tokens ^ _TOKEN_SALT)  # mix(tok ^ SALT) of every position
    chain = mixed.copy()  # g_k of every position
    ids = np.full((n, order), -1, dtype=np.intp)
    row = np.empty(n, dtype=np.uint64)
    back = np.empty(n, dtype=np.uint64)
    for k in range(1, order + 1):
        if k > 1:
            # the token k - 1 steps back (clipped where it does not exist:
            # those n-grams are marked -1 below)
            np.take(mixed, np.maximum(np.arange(n) - (k - 1), 0), out=back)
            with np.errstate(over="ignore"):  # wrapping is the point
                chain *= _CHAIN_MULTIPLIER
            chain ^= back
            splitmix64(chain, out=chain)
        np.bitwise_xor(chain, splitmix64(np.uint64(k) ^ _ORDER_SALT), out=row)
        splitmix64(row, out=row)
        row %= np.uint64(n_rows)
        exists = step >= k - 1
        ids[exists, k - 1] = row[exists]
    return ids


def sequence_features(ids, sequences, indices, n_rows, dtype, values="presence"):
    """Each selected sequence's n-grams, as one sparse row.

    Parameters
    ----------
    ids : ndarray of shape (n_tokens, order)
        From `ngram_ids` of ``sequences``.
    sequences : Sequences
    indices : ndarray of int
        The sequences to describe, in the order of the rows (a minibatch's
        ``order``, for its rows).
    n_rows : int
        Rows of the table: the matrix's columns.
    dtype : dtype
        Of the values (the network's parameters' dtype).
    values : {'presence', 'frequency'}
        ``'presence'``: ``x_ij = 1`` if one of sequence i's n-grams hashes
        to row j; ``'frequency'``: ``x_ij = c_ij / sum_j c_ij``, with
        ``c_ij`` how many of its n-grams (of every order) hash to row j, so
        that a row sums to 1.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (len(indices), n_rows)
        Sorted, with no duplicate entries; an empty sequence's row is empty.
    """
    if values not in FEATURE_VALUES:
        raise ValueError(f"values must be one of {FEATURE_VALUES}, got {values!r}.")
    indices = np.asarray(indices, dtype=np.intp)
    lengths = sequences.lengths[indices]
    positions = _ranges(sequences.offsets[:-1][indices], lengths)
    selected = ids[positions]  # (n_positions, order)
    owner = np.repeat(np.arange(len(indices), dtype=np.intp), lengths)
    exists = selected >= 0
    table_rows = selected[exists]
    owners = np.broadcast_to(owner[:, np.newaxis], selected.shape)[exists]
    # distinct (sequence, row) pairs, sorted: CSR's order
    keys, counts = np.unique(owners * np.intp(n_rows) + table_rows, return_counts=True)
    owners, columns = np.divmod(keys, n_rows)
    indptr = np.zeros(len(indices) + 1, dtype=np.intp)
    np.cumsum(np.bincount(owners, minlength=len(indices)), out=indptr[1:])
    if values == "presence":
        data = np.ones(len(keys), dtype=dtype)
    else:
        per_sequence = np.bincount(owners, weights=counts, minlength=len(indices))
        data = (counts / per_sequence[owners]).astype(dtype)
    return scipy.sparse.csr_matrix(
        (data, columns, indptr), shape=(len(indices), int(n_rows))
    )


def step_features(ids, positions, n_rows, dtype):
    """The n-grams ending at each given flat position, one sparse row each.

    For a per-step output: packed row r reads token ``positions[r]`` and
    predicts the next one, so its features are the n-grams of orders
    1 .. order that end at ``positions[r]`` (see `_Chunks.pack`), each of
    value 1 (two that hash to one row add up).

    Parameters
    ----------
    ids : ndarray of shape (n_tokens, order)
        From `ngram_ids`.
    positions : ndarray of int, shape (n_rows_out,)
        Flat token positions (``positions`` of `_Chunks.pack`).
    n_rows : int
        Rows of the table: the matrix's columns.
    dtype : dtype

    Returns
    -------
    scipy.sparse.csr_matrix of shape (len(positions), n_rows)
    """
    selected = ids[np.asarray(positions, dtype=np.intp)]
    exists = selected >= 0
    indptr = np.zeros(len(selected) + 1, dtype=np.intp)
    np.cumsum(exists.sum(axis=1), out=indptr[1:])
    columns = selected[exists]  # row-major: row after row
    return scipy.sparse.csr_matrix(
        (np.ones(len(columns), dtype=dtype), columns, indptr),
        shape=(len(selected), int(n_rows)),
    )


def batch_features(batch, order, n_rows, dtype, values="presence"):
    """`sequence_features` of every sequence of a one-hot `PackedBatch`, in
    the batch's row order: the n-grams of a whole sequence, read from the
    batch itself (a sequence-to-one output sees each sequence whole).

    Kept in the batch's memo, so that a forward pass and the backward pass
    after it hash once.
    """
    key = ("ngrams", order, n_rows, np.dtype(dtype), values)
    memo = batch._memo
    if key not in memo:
        sequences, ids, _ = _batch_ngram_ids(batch, order, n_rows)
        memo[key] = sequence_features(
            ids, sequences, np.arange(batch.batch), n_rows, dtype, values
        )
    return memo[key]


def _batch_ngram_ids(batch, order, n_rows):
    """``(sequences, ids, packed)`` of a one-hot `PackedBatch`: its tokens
    as `Sequences` in the batch's row order, their `ngram_ids`, and the
    packed row of each of their flat positions."""
    key = ("ngram_ids", order, n_rows)
    memo = batch._memo
    if key not in memo:
        lengths = batch.lengths
        owner = np.repeat(np.arange(batch.batch, dtype=np.intp), lengths)
        step = _ranges(np.zeros(batch.batch, dtype=np.intp), lengths)
        offsets = np.zeros(batch.batch + 1, dtype=np.intp)
        np.cumsum(lengths, out=offsets[1:])
        # the tokens sequence after sequence: step t of row j is packed
        # row step_starts[t] + j
        packed = batch.step_starts[step] + owner
        sequences = Sequences(batch.inputs[packed], offsets, batch.input_size, True,
                              np.float64)
        memo[key] = sequences, ngram_ids(sequences, order, n_rows), packed
    return memo[key]


def spread_over_tokens(batch, order, n_rows, features, scores):
    """Each feature's score shared out to the tokens that make it.

    A sequence-to-one output's direct term is ``sum_g x_ig W_direct[g]``
    over the features g of `batch_features`; given a score of each feature
    (an entry of ``features``, say ``x_ig W_direct[g] . d``), this splits it
    equally among the n-grams of sequence i that hash to row g, and the
    share of an n-gram of order k equally among its k tokens. The result,
    summed per token, adds up to the sum of the scores: a linear
    attribution of the direct term to the steps.

    Parameters
    ----------
    batch : PackedBatch
        One-hot.
    order, n_rows : int
        As for `batch_features`.
    features : scipy.sparse.csr_matrix of shape (batch.batch, n_rows)
        From `batch_features` (sorted, no duplicates).
    scores : ndarray of shape (features.nnz,)
        A score per stored entry of ``features``, in their order.

    Returns
    -------
    ndarray of shape (batch.n_rows,)
        Per packed row.
    """
    sequences, ids, packed = _batch_ngram_ids(batch, order, n_rows)
    owner = np.repeat(np.arange(batch.batch, dtype=np.intp), sequences.lengths)
    entry_keys = (
        np.repeat(np.arange(batch.batch, dtype=np.intp), np.diff(features.indptr))
        * np.intp(n_rows) + features.indices
    )
    position, k = np.nonzero(ids >= 0)  # every n-gram: its last token, order - 1
    occurrence_keys = owner[position] * np.intp(n_rows) + ids[position, k]
    entry = np.searchsorted(entry_keys, occurrence_keys)
    n_occurrences = np.bincount(entry, minlength=len(entry_keys))
    share = scores[entry] / n_occurrences[entry] / (k + 1)
    per_token = np.zeros(len(ids), dtype=np.float64)
    for back in range(ids.shape[1]):  # the token ``back`` steps before the last
        reaches = k >= back
        np.add.at(per_token, position[reaches] - back, share[reaches])
    out = np.zeros(batch.n_rows, dtype=np.float64)
    out[packed] = per_token
    return out
