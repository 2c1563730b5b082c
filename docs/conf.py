"""Sphinx configuration of the skrnn documentation.

Build (from the repository root), with warnings as errors::

    pip install -e ".[docs]" && sphinx-build -W -b html docs docs/_build/html

The examples in ``examples/`` are run by sphinx-gallery during the build, so
their figures are part of the pages.
"""

import os
import re
import sys
import warnings
from pathlib import Path

# Document the skrnn of this repository, whatever else is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The per-step matrix products of a recurrent network are small; several BLAS
# threads only slow them down (much so on a busy machine). The examples set
# this themselves; doing it here too covers the doctests of the API pages.
from threadpoolctl import threadpool_limits  # noqa: E402

import skrnn  # noqa: E402

threadpool_limits(1, user_api="blas")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skrnn"
author = "the skrnn developers"
copyright = "the skrnn developers"
release = skrnn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "make_readme_figures.py"]
default_role = "py:obj"

# -- API reference: autosummary + numpydoc ----------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- Gallery: the examples are run during the build --------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "min_reported_time": 0,
    "show_memory": False,
}
# Examples print with warnings silenced where they say so; matplotlib's Agg
# backend cannot show figures, which is expected.
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive")

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skrnn {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
}
html_show_sourcelink = False


# -- Inherited scikit-learn docstrings ----------------------------------------
# The API pages list the methods the estimators inherit from scikit-learn
# (get_params, score, set_output, the metadata-routing requests, ...). Their
# docstrings point at labels and glossary terms of scikit-learn's own
# documentation, which do not exist here: keep the text of those links.
_SKLEARN_LINK = re.compile(r":(?:ref|term):`([^`<]+?)\s*(?:<[^`>]*>)?`")


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    if (getattr(obj, "__module__", None) or "").startswith("sklearn"):
        lines[:] = [_SKLEARN_LINK.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _unlink_sklearn_references,
                priority=400)
