"""``python -m skrnn``: the command line, whose modules are in `skrnn._cli`."""

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
