"""What the benchmark scripts share: the environment header, timing and
argument helpers, and compare_torch.py's reference workload.

Torch-free on purpose (``onnx_speed.py`` and ``threads.py`` use the workload
without PyTorch). A script imports it with its own folder on ``sys.path``,
so that it runs as ``python benchmarks/X.py`` and loads by file path too::

    HERE = os.path.dirname(os.path.abspath(__file__))
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import _common
"""

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parents[1]
# The data sets live beside the repository, not in it.
SHARED_DATA = ROOT.parent / "shared" / "data"

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


# ---------------------------------------------------------------------------
# The environment header
# ---------------------------------------------------------------------------


def blas_libraries():
    """The BLAS libraries loaded in this process, as ``'openblas 0.3.31
    SkylakeX kernels (2 threads)'``: the thread counts are those in force
    when called (inside a ``threadpool_limits`` block, its limit)."""
    return [
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')} kernels "
        f"({i['num_threads']} threads)"
        for i in threadpool_info() if i["user_api"] == "blas"
    ]


def git_commit():
    """Short hash of this checkout's HEAD, ``'+ local changes'`` when tracked
    files differ from it; ``'unknown'`` outside git. Read-only (no index
    refresh, no lock)."""
    def git(*args):
        return subprocess.run(
            ["git", "--no-optional-locks", "-C", str(ROOT), *args],
            capture_output=True, text=True, timeout=30, check=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + (" + local changes" if changed else "")


def environment(versions=None, threads=None):
    """The header lines every benchmark prints before its measurements.

    ``versions``: extra ``name -> version`` (or a note such as ``'absent'``)
    after Python, NumPy, SciPy, scikit-learn and skrnn. ``threads``: what
    the script does with threads (BLAS limits, worker processes), after the
    ``OMP_NUM_THREADS`` setting.
    """
    import scipy
    import sklearn

    import skrnn  # whichever skrnn the script imported (sys.modules)

    packages = [
        ("python", platform.python_version()), ("numpy", np.__version__),
        ("scipy", scipy.__version__), ("scikit-learn", sklearn.__version__),
        ("skrnn", f"{skrnn.__version__} ({Path(skrnn.__file__).parent})"),
        *(versions or {}).items(),
    ]
    thread_note = f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    if threads:
        thread_note += f"; {threads}"
    return [
        ", ".join(f"{name} {version}" for name, version in packages),
        f"BLAS: {'; '.join(blas_libraries()) or 'none found'}",
        f"threads: {thread_note}",
        f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}",
        f"commit: {git_commit()}",
        f"command: python {' '.join(sys.argv)}",
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
    ]


def print_environment(versions=None, threads=None):
    """Print `environment` (Python and package versions, BLAS, threads,
    machine, commit, command line, date), one item a line."""
    for line in environment(versions, threads):
        print(line)


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------


def seconds(function):
    """Wall-clock seconds of one call of ``function()``."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def best_time(function, repeats=1):
    """The fastest of ``repeats`` calls of ``function()``, in seconds."""
    return min(seconds(function) for _ in range(repeats))


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------


def ints(text):
    """``'1,2,4'`` -> ``[1, 2, 4]`` (an argparse ``type``)."""
    return [int(v) for v in text.split(",")]


def floats(text):
    """``'0.1,1'`` -> ``[0.1, 1.0]`` (an argparse ``type``)."""
    return [float(v) for v in text.split(",")]


def add_workload_arguments(parser):
    """The options of `make_data` (compare_torch.py's reference workload)."""
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--vocab", type=int, default=5000)
    parser.add_argument("--min-length", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=40)
    parser.add_argument("--random-state", type=int, default=0)


def default_blas_threads(blas_threads, n_jobs):
    """``blas_threads`` if given, else the cores shared out among ``n_jobs``
    processes (at least 1): the per-step products of a recurrent network
    are small, and oversubscribed BLAS threads thrash."""
    return blas_threads or max(1, (os.cpu_count() or 1) // max(1, n_jobs))


# ---------------------------------------------------------------------------
# The reference workload of issue 6
# ---------------------------------------------------------------------------


def make_data(n, vocabulary, min_length, max_length, seed):
    """Token sequences ``w0 .. w{V-1}`` and an order-dependent label.

    compare_torch.py's workload (also onnx_speed.py's and threads.py's):
    ``n`` sequences of lengths uniform in ``min_length..max_length``, words
    uniform over ``vocabulary``; label 1 when the first word's index is below
    the last's.
    """
    rng = np.random.RandomState(seed)
    lengths = rng.randint(min_length, max_length + 1, size=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ids = rng.randint(vocabulary, size=offsets[-1])
    words = np.array([f"w{i}" for i in range(vocabulary)], dtype=object)
    tokens = [list(words[ids[a:b]]) for a, b in zip(offsets[:-1], offsets[1:])]
    y = (ids[offsets[:-1]] < ids[offsets[1:] - 1]).astype(np.int64)
    return tokens, y
