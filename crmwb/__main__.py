"""``python -m crmwb``: the same as the ``crmwb`` command."""

import sys

from crmwb.cli import main

if __name__ == "__main__":
    sys.exit(main())
