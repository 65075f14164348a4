"""The ``jobwise`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _emulator(argv: list[str]) -> int:
    try:
        from jobwise_emulator.cli import main as emulator_main
    except ImportError:
        print(
            "jobwise: the emulator needs its extra: pip install 'jobwise[emulator]'",
            file=sys.stderr,
        )
        return 2
    return emulator_main(argv, prog="jobwise emulator")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser; each subcommand has its own ``--help``."""
    parser = argparse.ArgumentParser(
        prog="jobwise",
        description="Submit, wait for, list and retry jobs of Writer's async agents and osapi.",
        epilog="example: jobwise emulator --port 8080",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    commands.add_parser(
        "emulator",
        help="serve both job APIs on loopback (see `jobwise emulator --help`)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``jobwise`` command; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if args and args[0] == "emulator":
        return _emulator(args[1:])
    parser.parse_args(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
