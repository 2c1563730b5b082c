"""Make the figures shown in README.md (and on the front page of the docs).

Each figure is the last figure of an example in ``examples/``: the example
runs as it does in the gallery, and its figure is saved small into
``docs/_static/``. Run from anywhere after any change that moves them::

    python docs/make_readme_figures.py
"""

import os
import runpy
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "plot_word_order.py": "readme_word_order.png",
    "plot_time_series.py": "readme_time_series.png",
}


def main():
    out = ROOT / "docs" / "_static"
    out.mkdir(exist_ok=True)
    cwd = os.getcwd()
    for example, name in FIGURES.items():
        os.chdir(ROOT)  # the examples look for data relative to the root
        try:
            runpy.run_path(str(ROOT / "examples" / example), run_name="__main__")
            figure = plt.gcf()
            figure.savefig(out / name, dpi=72)
            plt.close("all")
        finally:
            os.chdir(cwd)
        size = (out / name).stat().st_size
        print(f"wrote {out / name} ({size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
