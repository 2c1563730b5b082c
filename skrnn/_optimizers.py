"""Stochastic optimizers over one flat parameter vector.

One small class per optimizer, as in scikit-learn's
``neural_network/_stochastic_optimizers.py``, with the same update rules, but
each update is a few vectorized operations on the whole flat vector (every
weight and bias of the network is a view into it), done in place.
"""

import numpy as np


class BaseOptimizer:
    """Base class: holds the step size and counts the updates.

    Parameters
    ----------
    learning_rate : float
    """

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.t = 0

    def update_params(self, params, grads):
        """Update ``params`` in place with ``grads`` (flat arrays of one shape)."""
        self.t += 1
        self._update(params, grads)


class SGDOptimizer(BaseOptimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum.

    ``velocity = momentum * velocity - learning_rate * grad``, then
    ``params += velocity`` (or, with Nesterov,
    ``params += momentum * velocity - learning_rate * grad``).
    """

    def __init__(self, learning_rate, momentum=0.9, nesterov=True):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = None

    def _update(self, params, grads):
        if not self.momentum:
            params -= self.learning_rate * grads
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        v = self.velocity
        v *= self.momentum
        v -= self.learning_rate * grads
        if self.nesterov:
            params += self.momentum * v - self.learning_rate * grads
        else:
            params += v


class AdagradOptimizer(BaseOptimizer):
    """Adagrad: ``params -= learning_rate * grad / (sqrt(sum of grad**2) + epsilon)``."""

    def __init__(self, learning_rate, epsilon=1e-8):
        super().__init__(learning_rate)
        self.epsilon = epsilon
        self.sum_sq = None

    def _update(self, params, grads):
        if self.sum_sq is None:
            self.sum_sq = np.zeros_like(params)
        self.sum_sq += grads**2
        params -= self.learning_rate * grads / (np.sqrt(self.sum_sq) + self.epsilon)


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma & Ba, 2014), with scikit-learn's bias-corrected step size.

    ``m = beta_1 m + (1 - beta_1) grad``, ``v = beta_2 v + (1 - beta_2) grad**2``,
    ``params -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``.
    """

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.m = None
        self.v = None

    def _update(self, params, grads):
        if self.m is None:
            self.m = np.zeros_like(params)
            self.v = np.zeros_like(params)
        m, v = self.m, self.v
        m *= self.beta_1
        m += (1 - self.beta_1) * grads
        v *= self.beta_2
        v += (1 - self.beta_2) * grads**2
        step = (
            self.learning_rate
            * np.sqrt(1 - self.beta_2**self.t)
            / (1 - self.beta_1**self.t)
        )
        params -= step * m / (np.sqrt(v) + self.epsilon)


def clip_grad_norm(grads, max_norm):
    """Scale ``grads`` in place so that its global L2 norm is at most ``max_norm``.

    Returns the norm before clipping.
    """
    norm = float(np.sqrt(np.dot(grads, grads)))
    if max_norm is not None and norm > max_norm:
        grads *= max_norm / norm
    return norm
