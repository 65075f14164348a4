"""``python -m jobwise.cli``: the ``jobwise`` command."""

import sys

from jobwise.cli.commands import main

sys.exit(main())
