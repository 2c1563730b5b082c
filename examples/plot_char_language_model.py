"""
==================================================
A character language model: the seed's experiment
==================================================

The seed of this project is Karpathy's min-char-rnn: an Elman network of 100
units reads a text one character at a time, learns to predict the next one,
trains by truncated backpropagation through time over chunks of 25
characters with the hidden state carried from chunk to chunk, and then
writes new text by sampling. :class:`~skrnn.RNNLanguageModel` is that
experiment as a scikit-learn estimator. This example runs it with
min-char-rnn's settings on a passage of Lewis Carroll's *Alice's Adventures
in Wonderland* (1865, in the public domain), shows the loss per character
as training goes, samples at a few temperatures, and looks for hidden units
that follow something one can see in the text: the position in a word, in
a line, and whether a character is inside quotation marks.
"""

# %%
# One BLAS thread
# ---------------
# The per-step products of a small network are tiny; extra BLAS threads only
# wait for each other.
import os

from threadpoolctl import threadpool_limits

threadpool_limits(1, user_api="blas")

# The test suite sets SKRNN_EXAMPLE_QUICK=1 to run this example with fewer
# epochs.
QUICK = os.environ.get("SKRNN_EXAMPLE_QUICK") == "1"

# %%
# The text
# --------
# The opening of chapter VII, "A Mad Tea-Party": mostly dialogue, so that
# quotation marks come often. The dialogue is put in double quotes (the
# nested sayings stay in single ones), so that an apostrophe is never taken
# for a quotation mark, and the lines are wrapped at 64 characters, as on a
# printed page; both give the network something to keep track of.
import textwrap

PASSAGE = """\
There was a table set out under a tree in front of the house, and the March \
Hare and the Hatter were having tea at it: a Dormouse was sitting between \
them, fast asleep, and the other two were using it as a cushion, resting \
their elbows on it, and talking over its head. "Very uncomfortable for the \
Dormouse," thought Alice; "only, as it's asleep, I suppose it doesn't mind."

The table was a large one, but the three were all crowded together at one \
corner of it: "No room! No room!" they cried out when they saw Alice coming. \
"There's plenty of room!" said Alice indignantly, and she sat down in a large \
arm-chair at one end of the table.

"Have some wine," the March Hare said in an encouraging tone.

Alice looked all round the table, but there was nothing on it but tea. "I \
don't see any wine," she remarked.

"There isn't any," said the March Hare.

"Then it wasn't very civil of you to offer it," said Alice angrily.

"It wasn't very civil of you to sit down without being invited," said the \
March Hare.

"I didn't know it was your table," said Alice; "it's laid for a great many \
more than three."

"Your hair wants cutting," said the Hatter. He had been looking at Alice for \
some time with great curiosity, and this was his first speech.

"You should learn not to make personal remarks," Alice said with some \
severity; "it's very rude."

The Hatter opened his eyes very wide on hearing this; but all he said was, \
"Why is a raven like a writing-desk?"

"Come, we shall have some fun now!" thought Alice. "I'm glad they've begun \
asking riddles.--I believe I can guess that," she added aloud.

"Do you mean that you think you can find out the answer to it?" said the \
March Hare.

"Exactly so," said Alice.

"Then you should say what you mean," the March Hare went on.

"I do," Alice hastily replied; "at least--at least I mean what I say--that's \
the same thing, you know."

"Not the same thing a bit!" said the Hatter. "You might just as well say \
that 'I see what I eat' is the same thing as 'I eat what I see'!"

"You might just as well say," added the March Hare, "that 'I like what I \
get' is the same thing as 'I get what I like'!"

"You might just as well say," added the Dormouse, who seemed to be talking \
in its sleep, "that 'I breathe when I sleep' is the same thing as 'I sleep \
when I breathe'!"

"It is the same thing with you," said the Hatter, and here the conversation \
dropped, and the party sat silent for a minute, while Alice thought over all \
she could remember about ravens and writing-desks, which wasn't much."""

text = "\n\n".join(textwrap.fill(p, 64) for p in PASSAGE.split("\n\n")) + "\n"
print(f"{len(text)} characters, {text.count(chr(34))} double quotes")
print(text[:260])

# %%
# Characters as tokens, the whole text as one sequence
# ----------------------------------------------------
# :class:`~skrnn.OneHotSequenceTransformer` with ``analyzer='char'`` makes
# every character a token (``lowercase=False`` keeps the capitals). The text
# goes in as *one* sequence, as min-char-rnn reads it: the model trains on it
# in chunks of ``bptt_steps=25`` characters, each chunk starting from the
# state the previous one ended in, so memory stays that of one chunk however
# long the text. The other settings are min-char-rnn's too: an Elman cell of
# 100 units, Adagrad with a step of 0.1, gradients clipped (here their
# global norm, at 5), no penalty, and every epoch run (``n_iter_no_change``
# as large as ``max_iter`` turns the convergence test off).
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline

from skrnn import OneHotSequenceTransformer, RNNLanguageModel

warnings.filterwarnings("ignore", category=ConvergenceWarning)

epochs = 40 if QUICK else 150
model = make_pipeline(
    OneHotSequenceTransformer(analyzer="char", lowercase=False),
    RNNLanguageModel(
        hidden_size=100,
        cell="rnn",
        bptt_steps=25,
        solver="adagrad",
        learning_rate=0.1,
        max_grad_norm=5.0,
        alpha=0.0,
        max_iter=epochs,
        n_iter_no_change=epochs,
        random_state=0,
    ),
)
model.fit([text])
transformer, lm = model[0], model[-1]
X = transformer.transform([text])
print(f"{X.n_token_slots} token slots (characters and the unknown slot)")

# %%
# Loss per character
# ------------------
# ``loss_curve_`` is the mean cross-entropy per predicted character of each
# epoch, in nats, measured as min-char-rnn measures it: on each chunk just
# before the step that learns from it. Two references: a uniform guess over
# the characters, and the character frequencies alone (a unigram model),
# which know nothing of order. ``-score(X)`` is the loss of the final model
# read over the whole text at once.
import matplotlib.pyplot as plt

counts = np.bincount(X.ids, minlength=X.n_token_slots)
frequencies = counts[counts > 0] / counts.sum()
unigram = -np.sum(frequencies * np.log(frequencies))
final_loss = lm.loss_curve_[-1]
final_model_loss = -lm.score(X)
print(f"final per-character loss: {final_loss:.3f} nats "
      f"({final_loss / np.log(2):.2f} bits) in the last epoch; "
      f"{final_model_loss:.3f} nats for the final model over the whole text")
print(f"uniform guess {np.log(X.n_token_slots):.3f} nats, "
      f"unigram frequencies {unigram:.3f} nats")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, lm.n_iter_ + 1), lm.loss_curve_, label="RNNLanguageModel")
ax.axhline(np.log(X.n_token_slots), color="gray", linestyle=":", label="uniform")
ax.axhline(unigram, color="gray", linestyle="--", label="unigram frequencies")
ax.set_xlabel("epoch")
ax.set_ylabel("loss per character (nats)")
ax.set_title("Training loss per character")
ax.legend()
fig.tight_layout()

# %%
# Samples at three temperatures
# -----------------------------
# :meth:`~skrnn.RNNLanguageModel.sample` reads a prefix and draws one
# character after another from ``softmax(logits / temperature)``. It returns
# token ids (a one-sequence ``OneHotSequences``), which the transformer's
# ``inverse_transform`` turns back into characters. Low temperatures pick the
# likeliest characters (whole phrases of the text come back); high ones
# invent more, and misspell more.
prefix = transformer.transform(['"'])
for temperature in (0.5, 1.0, 1.5):
    ids = lm.sample(240, prefix=prefix, temperature=temperature, random_state=0)
    sampled = '"' + "".join(transformer.inverse_transform(ids)[0])
    print(f"--- temperature {temperature} ---\n{sampled}\n")

# %%
# Hidden units that follow the text
# ---------------------------------
# :meth:`~skrnn.RNNLanguageModel.hidden_states` gives the state after every
# character. For three things one can see in the text, the position in the
# current word, the position in the current line, and being inside double
# quotes, we find the unit whose value correlates most with it over the
# whole text. :class:`~skrnn.inspection.HiddenStateDisplay` draws the three
# units over a stretch of dialogue (one row per unit, one column per
# character; spaces shown as ``_`` and line ends as ``/``), and below it the
# three quantities themselves, each scaled to [0, 1].
from skrnn.inspection import HiddenStateDisplay

states = lm.hidden_states(X)[0]
word_position, line_position, inside_quotes = [], [], []
word = line = 0
quoted = False
for char in text:
    quoted = not quoted if char == '"' else quoted
    line = 0 if char == "\n" else line + 1
    word = 0 if char in " \n" else word + 1
    word_position.append(word)
    line_position.append(line)
    inside_quotes.append(quoted)
features = {
    "position in word": np.array(word_position, dtype=float),
    "position in line": np.array(line_position, dtype=float),
    "inside quotes": np.array(inside_quotes, dtype=float),
}
units, labels = [], []
for name, feature in features.items():
    correlation = np.array([np.corrcoef(unit, feature)[0, 1] for unit in states.T])
    best = int(np.nanargmax(np.abs(correlation)))
    units.append(best)
    labels.append(f"{name}\nunit {best}, r = {correlation[best]:+.2f}")
    print(f"{name:>17}: unit {best:3d}, correlation {correlation[best]:+.2f}")

start = text.index('"Have some wine')
stop = start + 80
shown = [{" ": "_", "\n": "/"}.get(char, char) for char in text[start:stop]]
fig, (ax_units, ax_text) = plt.subplots(
    2, 1, figsize=(12, 4.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
)
HiddenStateDisplay([states[start:stop, units]], [shown]).plot(
    ax=ax_units, colorbar=False
)
ax_units.set_yticks(range(len(units)))
ax_units.set_yticklabels(labels, fontsize=8)
ax_units.set_ylabel("")
ax_units.set_xlabel("")
ax_units.set_title("Three hidden units, character by character")
steps = np.arange(stop - start)
for name, feature in features.items():
    part = feature[start:stop]
    ax_text.step(steps, part / max(part.max(), 1), where="mid", label=name)
ax_text.set_xticks(steps)
ax_text.set_xticklabels(shown, fontsize=8)
ax_text.set_xlabel("")
ax_text.set_ylabel("scaled")
ax_text.legend(loc="upper right", fontsize=8, ncol=3)
fig.tight_layout()
plt.show()

# %%
# The unit for the position in a word is clear: it flips with the letters of
# each word and resets at every space (other units follow the spaces, the
# vowels and the ends of words as closely). The units most correlated with
# the position in the line and with being inside quotes follow them only
# loosely. Two and a half thousand characters are little: the network learns
# much of this passage by heart, and a unit that counts along the line or
# holds a quotation mark open pays off only when there is far more text to
# predict. Karpathy's quote- and line-tracking cells came from LSTMs reading
# megabytes; ``RNNLanguageModel(cell='lstm')`` on a whole book given as one
# sequence is that experiment, with the memory of one chunk.
