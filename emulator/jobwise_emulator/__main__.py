"""``python -m jobwise_emulator``."""

import sys

from jobwise_emulator.cli import main

sys.exit(main())
