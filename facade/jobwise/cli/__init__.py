"""The ``jobwise`` command: ``main`` is its console script, ``emulator_main`` the emulator's."""

from jobwise.cli.commands import emulator_main, main

__all__ = ["emulator_main", "main"]
