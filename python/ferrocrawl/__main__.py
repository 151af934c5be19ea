"""``python -m ferrocrawl``: the command line (see ``ferrocrawl --help``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
