"""The ``jobwise`` command line's arguments: every command, its help, and helpful usage errors."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from jobwise.cli.arguments import _Formatter, _Parser
from jobwise.cli.batch_args import BatchArgs
from jobwise.cli.errors import exit_codes_text
from jobwise.cli.osapi_args import OsapiArgs
from jobwise.cli.writer_args import WriterArgs

EXAMPLES = """\
examples:
  jobwise batch my-app products.txt --input-name "Product name" --out results.jsonl
  jobwise batch my-app sheet.csv --input-name "Product name" --column Name --out results.csv
  cat products.txt | jobwise batch my-app - --input-name "Product name"
  jobwise submit my-app --input "Product name=Terra running shoe" --wait
  jobwise list my-app --status failed
  jobwise retry-failed my-app
  jobwise osapi list --status failed
  jobwise osapi retry-failed
  jobwise status results.jsonl.state.sqlite --watch
  jobwise emulator --port 8080

environment: WRITER_API_KEY, WRITER_BASE_URL, WRITER_RPM, OSAPI_URL, OSAPI_TOKEN,
  JOBWISE_ALLOW_INSECURE;
  JOBWISE_LOG=info|debug (or WRITER_LOG) logs retries and backoffs, as -v and -vv do
"""


class Parsers(BatchArgs, WriterArgs, OsapiArgs):
    """The top-level parser and each command's, by command path (``("osapi", "list")``)."""

    def __init__(self) -> None:
        self.top = _Parser(
            prog="jobwise",
            description="Submit, wait for, list and retry jobs of Writer's async agents and "
            "osapi; run a whole file of inputs as a resumable batch.",
            epilog=f"{EXAMPLES}\n{exit_codes_text()}",
            formatter_class=_Formatter,
        )
        self.by_path: dict[tuple[str, ...], _Parser] = {}
        self._build()

    def _build(self) -> None:
        from jobwise import __version__

        top = self.top
        top.add_argument("--version", action="version", version=f"jobwise {__version__}")
        commands = top.add_subparsers(dest="command", metavar="COMMAND")
        commands.required = True
        self._batch(commands)
        self._writer(commands)
        self._osapi(commands)
        self._status(commands)
        commands.add_parser(
            "emulator",
            help="serve both job APIs on loopback (see `jobwise emulator --help`)",
            add_help=False,
        )

    def parse(self, argv: Sequence[str]) -> argparse.Namespace:
        """Parse ``argv``; usage errors raise :class:`UsageError` naming the command's help."""
        args, extras = self.top.parse_known_args(list(argv))
        if extras:
            path = tuple(
                p for p in (args.command, getattr(args, "osapi_command", None)) if p is not None
            )
            self.by_path.get(path, self.top).unknown(extras)
        return args


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each has its own ``--help``."""
    return Parsers().top
