"""``python -m skrnn``: a recurrent network beside a baseline, on the same folds.

Without ``--data`` (the README's first command), cross-validates
``make_pipeline(CountVectorizer(), LogisticRegression())`` and
``make_pipeline(OneHotSequenceTransformer(), RNNClassifier())`` on generated
questions and statements that differ only in word order
(`skrnn.datasets.make_questions`), printing a line per fold, then both mean
accuracies.

``--data FILE`` runs on your own data, with the recommended configuration
(`skrnn._presets`) for what the file holds, which the first lines of output
say:

- a tab-separated file with a header naming ``label`` and ``text`` columns
  holds sentences: `text_classifier` (or `text_regressor`), beside the bag
  of words;
- a file of one numeric sequence per line, ``label<TAB>v1,v2,...`` with one
  tab-separated field of comma-separated values per channel (the format of
  UCR/UEA ``.tsv`` files, read by `skrnn.datasets.load_sequences`):
  `time_series_classifier` (or `time_series_regressor`), beside the
  majority class (or the training mean);
- a label column of numbers that are not a few class codes means regression
  (R² per fold); ``--task`` overrides.

``--test FILE`` fits both on all of ``--data`` and prints their scores on
FILE, a file of the same kind, instead of cross-validating (``--folds``
given: as well). ``--preset default`` fits the plain defaults instead;
``--cell`` and ``--hidden-size`` override either. Each epoch of a recurrent
fit prints a line (``[fold 2/5] Epoch 3/12, loss = ...``; ``--quiet``
prints only the per-fold and summary lines). ``--n-jobs`` runs the folds in
parallel processes, one BLAS thread each. ``--save model.skops`` refits the
recurrent pipeline on all the data and saves it with skops (``--no-cv``
skips the cross-validation), and ``python -m skrnn predict model.skops
FILE`` prints a prediction per line of FILE (``--proba``: probabilities),
refusing a file of the other kind than the model's.

Errors a user can make (a missing file, a file of neither format, a single
class, an empty text, a model file that is not skrnn's, ...) print one line,
``error: ...``, on stderr and exit with status 2.

Regression without ``--data`` (``--task regression``): sentences that hold
the words "red" and "blue" among filler words, whose target is how many
words after "red" "blue" comes (negative when it comes first;
`skrnn.datasets.make_marker_distances`): only word order tells.
``CountVectorizer -> RidgeCV`` against ``OneHotSequenceTransformer ->
RNNRegressor`` inside a ``TransformedTargetRegressor`` that standardises
the target.

The modules, one job each:

- `arguments`: the parsers and the description of the file formats;
- `files`: reading data files and files to predict, sniffing their format;
- `data`: the data of a run (generated or read), its task and targets;
- `models`: the recurrent pipeline (`skrnn._presets`) and the baseline;
- `evaluation`: fitting with progress lines, cross-validation, test scores;
- `saving`: skops dump and load, the trusted types;
- `commands`: ``run``, ``predict`` and ``main``, which only orchestrate;
- `errors`: `CommandError`, a user's mistake.
"""

from .commands import main, predict, run
from .errors import CommandError

__all__ = ["CommandError", "main", "predict", "run"]
