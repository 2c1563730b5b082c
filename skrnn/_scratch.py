"""Scratch memory reused from one training step to the next.

A minibatch's forward and backward passes make a dozen arrays of
(n_rows, gates * H) floats, a few MiB each. Fresh arrays of that size come
from the operating system page by page (glibc maps and unmaps them), and the
page faults of touching them cost more than the arithmetic done in them
(benchmarks/RESULTS.md, issue 20). A `Scratch` keeps one buffer per name and
hands out views of it, so the same memory serves every minibatch.

The rule that keeps this safe: an array taken from a `Scratch` lives until
the next request of the same name, so it must not outlive the training step
that asked for it. The network only uses one while training
(`RecurrentNetwork.loss_and_gradient`); predictions return fresh arrays.
"""

import numpy as np


def fresh(name, shape, dtype):
    """``np.empty(shape, dtype)``: the allocator of callers that keep no
    scratch memory (``name`` is ignored)."""
    return np.empty(shape, dtype=dtype)


class Scratch:
    """Uninitialized arrays by name, each a view of a buffer kept for the name.

    ``scratch.empty(name, shape, dtype)`` returns a C-contiguous array whose
    contents are undefined and which overwrites the previous array of that
    name. A buffer grows (by a quarter more than asked, since minibatches
    differ in length) and is never shrunk. Distinct names may be used from
    distinct threads.
    """

    def __init__(self):
        self._buffers = {}

    def empty(self, name, shape, dtype):
        dtype = np.dtype(dtype)
        size = int(np.prod(shape))
        buffer = self._buffers.get(name)
        if buffer is None or buffer.dtype != dtype or buffer.size < size:
            buffer = np.empty(size + size // 4, dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:size].reshape(shape)

    def named(self, prefix):
        """The allocator ``empty(name, shape, dtype)`` of names under
        ``prefix`` (one per layer and direction)."""

        def empty(name, shape, dtype):
            return self.empty((prefix, name), shape, dtype)

        return empty

    def __len__(self):
        return len(self._buffers)
