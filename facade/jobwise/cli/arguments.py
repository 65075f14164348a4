"""What the ``jobwise`` commands share in their arguments: help that shows defaults, usage
errors in one line with a "did you mean", the value types, the options every command takes, and
:class:`CommandBuilder`, which each command group's builder extends."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import typing
from collections.abc import Callable, Sequence

from jobwise.cli.errors import UsageError


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps epilogs as written and shows each option's default (when it has one)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and action.nargs != 0
            and default is not None
            and default is not False
            and default != argparse.SUPPRESS
            and "%(default)" not in text
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


_PYTHON_NAMES = {"--deadline": "--timeout", "--rate-limit": "--rpm"}
"""run_batch's and the clients' argument names that the command line spells otherwise."""


def _suggestion(word: str, choices: Sequence[str]) -> str:
    meant = _PYTHON_NAMES.get(word.replace("_", "-"))
    if meant in choices:
        return f"; did you mean {meant!r}?"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are raised as :class:`UsageError`, one line each, with a
    "did you mean" for a misspelt choice and a pointer to this command's ``--help``."""

    given: tuple[str, ...] = ()
    """The arguments this parser was last given (for a hint on a missing required option)."""

    def parse_known_args(  # type: ignore[override]
        self, args: typing.Any = None, namespace: typing.Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.given = tuple(str(arg) for arg in (sys.argv[1:] if args is None else args))
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> typing.NoReturn:
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2)) or found.group(2).split(", ")
            message += _suggestion(found.group(1), choices)
        elif message.startswith("the following arguments are required"):
            # argparse names the missing option before the misspelt one that was meant.
            options = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
            for arg in self.given:
                flag = arg.split("=", 1)[0]
                if flag.startswith("--") and flag not in options:
                    hint = _suggestion(flag, options)
                    if hint:
                        message += f"; {flag!r} is not an option{hint}"
                        break
        raise UsageError(f"{message} (see: {self.prog} --help)")

    def unknown(self, extras: list[str]) -> typing.NoReturn:
        """Refuse arguments this command does not take, suggesting a close option."""
        flags = [arg for arg in extras if arg.startswith("-")]
        word = (flags or extras)[0].split("=", 1)[0]
        options = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
        what = "unknown option" if flags else "unexpected argument"
        self.error(f"{what} {word!r}{_suggestion(word, options) if flags else ''}")


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}; got {value}")
        return value

    return parse


_positive, _non_negative = _whole(1), _whole(0)


def _positive_number(unit: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {unit}; got {text!r}") from None
        if not 0 < value < float("inf"):
            raise argparse.ArgumentTypeError(f"expected {unit} > 0; got {text}")
        return value

    return parse


_seconds, _per_minute = _positive_number("seconds"), _positive_number("requests per minute")


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE; got {text!r}")
    return name, value


def _field_name(text: str) -> str:
    """An input field's name: refused when blank (every input was sent under it, and failed)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"expected the agent's input field name (e.g. Product name); got {text!r}"
        )
    return text


def _common(parser: argparse.ArgumentParser, api: str) -> None:
    if api == "writer":
        parser.add_argument(
            "--base-url", help="API base URL (default: WRITER_BASE_URL, else Writer's)"
        )
        parser.add_argument(
            "--rpm",
            type=_per_minute,
            metavar="N",
            help="requests per minute at most, creates first (default: WRITER_RPM, else the "
            "limit the server's headers and 429s show; Writer documents 400)",
        )
    else:
        parser.add_argument(
            "--base-url", "--url", dest="base_url", help="osapi base URL (default: OSAPI_URL)"
        )
    parser.add_argument(
        "--allow-insecure",
        action="store_true",
        help="send the token over plain http to a host other than loopback "
        "(or JOBWISE_ALLOW_INSECURE=1)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=60.0,
        metavar="S",
        help="seconds one HTTP attempt may take (a call retries within 120 s at most)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log retries, backoffs and pacing (-vv: every request too)",
    )


class CommandBuilder:
    """Adds commands to a parser and keeps each by its path (``("osapi", "list")``)."""

    by_path: dict[tuple[str, ...], _Parser]

    def _add(
        self,
        group: typing.Any,
        path: tuple[str, ...],
        help: str,
        description: str,
        epilog: str | None = None,
    ) -> _Parser:
        parser: _Parser = group.add_parser(
            path[-1],
            help=help,
            description=description,
            epilog=epilog,
            formatter_class=_Formatter,
        )
        self.by_path[path] = parser
        return parser

    def _job(
        self, group: typing.Any, path: tuple[str, ...], help: str, description: str, api: str
    ) -> _Parser:
        """A command on one job: JOB_ID and the common options."""
        parser = self._add(group, path, help, description)
        what = "the job's id (a UUID)" if api == "osapi" else "the job's id"
        parser.add_argument("job_id", metavar="JOB_ID", help=what)
        _common(parser, api)
        return parser

    def _listing(
        self,
        group: typing.Any,
        path: tuple[str, ...],
        help: str,
        description: str,
        statuses: tuple[str, ...],
        api: str,
    ) -> _Parser:
        """A list command: --status, --limit and the common options."""
        parser = self._add(group, path, help, description)
        parser.add_argument("--status", choices=statuses, help="only jobs in this status")
        parser.add_argument(
            "--limit",
            type=_positive,
            help="at most this many jobs; says so on stderr when there are more (default: all)",
        )
        _common(parser, api)
        return parser
