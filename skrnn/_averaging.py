"""Weight averaging: the running mean of the parameters over training updates.

Polyak-Ruppert averaging, as scikit-learn's ``SGDClassifier(average=...)``:
after each optimizer update from a starting point on, the flat parameter
vector joins a running mean, and the mean is the model that predicts. It
smooths the noise of the last updates away, so that a fit depends less on
the seed and on where in an epoch training stopped. Pure NumPy.
"""

import numpy as np


class WeightAverage:
    """The running mean of the parameter vectors given to `update`.

    After k updates with vectors ``w_1 .. w_k``, ``mean`` is
    ``(w_1 + ... + w_k) / k``, kept as ``mean += (w_k - mean) / k``
    (one pass, no sum that grows with k).

    Attributes
    ----------
    mean : ndarray or None
        The mean so far (None before the first update).
    count : int
        How many vectors it averages.
    """

    def __init__(self):
        self.mean = None
        self.count = 0

    def update(self, params):
        """Add the flat vector ``params`` to the mean."""
        self.count += 1
        if self.mean is None:
            self.mean = params.copy()
            return
        # a buffer reused from update to update (a fresh vector of millions
        # of entries per step costs its page faults)
        scratch = self.__dict__.get("_scratch")
        if scratch is None or scratch.shape != params.shape or scratch.dtype != params.dtype:
            scratch = self._scratch = np.empty_like(params)
        np.subtract(params, self.mean, out=scratch)
        scratch *= params.dtype.type(1 / self.count)
        self.mean += scratch

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_scratch", None)  # scratch memory, not state
        return state
