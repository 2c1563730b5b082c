"""skrnn: recurrent neural networks for scikit-learn, in NumPy.

A recurrent network reads a sequence step by step, carrying a hidden state
``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, so it sees order:
"you are good" and "are you good" are different inputs.
"""

from ._classifier import RNNClassifier
from ._language_model import RNNLanguageModel
from ._one_hot_sequences import OneHotSequences
from ._preprocessing import SequenceScaler, SequenceWindows
from ._regressor import RNNRegressor
from ._transformer import OneHotSequenceTransformer

__version__ = "0.1.0.dev0"

__all__ = [
    "OneHotSequenceTransformer",
    "OneHotSequences",
    "RNNClassifier",
    "RNNLanguageModel",
    "RNNRegressor",
    "SequenceScaler",
    "SequenceWindows",
]
