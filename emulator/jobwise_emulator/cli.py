"""``python -m jobwise_emulator`` and ``jobwise emulator``: flags for every option."""

from __future__ import annotations

import argparse
import difflib
import re
import signal
import sys
import typing
from collections.abc import Callable, Sequence
from types import FrameType

from jobwise_emulator.config import IDEMPOTENCY_MODES, PROFILES, EmulatorConfig
from jobwise_emulator.latency import Latency, parse_latency_spec
from jobwise_emulator.server import EmulatorServer


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a probability in [0, 1]; got {text!r}"
        ) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1]; got {value}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535; got {text!r}")
    return int(text)


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number > 0; got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a number > 0; got {value}")
        return value

    return parse


def _latency(text: str) -> tuple[str, float, float]:
    try:
        kind, low, high = parse_latency_spec(text)
        Latency(kind, low, high)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return kind, low, high


def _rate(parser: argparse.ArgumentParser, flag: str, help: str) -> None:
    parser.add_argument(flag, type=_probability, default=0.0, metavar="P", help=help)


def _optional(
    parser: argparse.ArgumentParser, flag: str, metavar: str, help: str, kind: type = float
) -> None:
    parser.add_argument(flag, type=_positive(kind), default=None, metavar=metavar, help=help)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _Parser(argparse.ArgumentParser):
    """One line per usage error, exit 2, with a "did you mean" for a misspelt flag (as the
    jobwise command line has)."""

    def error(self, message: str) -> typing.NoReturn:
        found = re.match(r"unrecognized arguments: (\S+)", message)
        if found:
            flag = found.group(1).split("=", 1)[0]
            flags = [s for a in self._actions for s in a.option_strings if s.startswith("--")]
            close = difflib.get_close_matches(flag, flags, n=1, cutoff=0.6)
            message = f"unknown option {flag!r}" + (
                f"; did you mean {close[0]!r}?" if close else ""
            )
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def build_parser(prog: str = "python -m jobwise_emulator") -> argparse.ArgumentParser:
    """The emulator's argument parser."""
    parser = _Parser(
        prog=prog,
        description="Serve Writer's async jobs API and osapi's job API on loopback. "
        'Inputs holding "fail" fail, "stuck" never finish, "garbage" make the job\'s GET '
        'answer HTML, "garbage-page" make every list page holding the job answer HTML.',
        epilog="example: %(prog)s --speed 60 (the public facts, 60x faster); "
        "%(prog)s --profile fast --port 8080 --latency 0.5-2 --fail-rate 0.05 --seed 7",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to bind (default 127.0.0.1); any other needs --public",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a --host other than loopback (a test double, open to that network)",
    )
    parser.add_argument("--port", type=_port, default=0, help="port; 0 takes a free one (default)")
    parser.add_argument("--api-key", help="accept only this bearer token (default: any)")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="writer",
        help="the defaults of the options below. writer (default), the public facts: 400 "
        "Writer requests a minute per key (dev.writer.com, rate limits page), 429s without "
        "Retry-After (not documented: the harder reading), jobs of lognormal latency, median "
        "20 s, p99 180 s (not documented: an LLM agent's), osapi under /api (osapi-io/osapi "
        "cba2e9f, April 2026) and its jobs expiring after 3600 s (osapi's configs/osapi.yaml). "
        "fast, the emulator's defaults before: jobs of 0.2-1.0 s, no limit, 429s with "
        "Retry-After, osapi at /job, jobs kept forever",
    )
    parser.add_argument(
        "--latency",
        type=_latency,
        default=None,
        metavar="MIN-MAX|lognormal:MEDIAN:P99",
        help="seconds a job takes (default: the profile's, writer lognormal:20:180, fast 0.2-1.0)",
    )
    parser.add_argument(
        "--speed",
        type=_positive(float),
        default=1.0,
        metavar="X",
        help="divide every duration and multiply every rate by X, for tests and demos "
        "(default 1: real time)",
    )
    _optional(
        parser,
        "--capacity",
        "K",
        "at most K Writer jobs running per application; the others wait in_progress",
        int,
    )
    parser.add_argument(
        "--idempotency",
        choices=IDEMPOTENCY_MODES,
        default="ignore",
        help="ignore Idempotency-Key as Writer and osapi do (default), or honour it: a replay "
        "answers the first answer and every keyed answer echoes the header",
    )
    parser.add_argument(
        "--osapi-prefix",
        choices=("", "/api"),
        default=None,
        help="where osapi's routes live: /api/job (writer profile: osapi-io/osapi cba2e9f, "
        "April 2026) or '' for /job (fast profile, servers before it)",
    )
    _optional(
        parser,
        "--ttl",
        "SECONDS",
        "osapi jobs expire this long after their events (writer profile: 3600, osapi's "
        "configs/osapi.yaml; fast profile: never)",
    )
    _rate(parser, "--fail-rate", "share of jobs that fail")
    _rate(parser, "--stuck-rate", "share of jobs that never finish")
    _rate(parser, "--error-rate", "share of requests answered 500/503")
    _optional(
        parser,
        "--rate-limit",
        "RPS",
        "answer Writer requests 429 above this many requests per second",
    )
    _optional(
        parser,
        "--rpm",
        "N",
        "at most N Writer requests a minute per key, a sliding window (writer profile: 400, "
        "dev.writer.com rate limits page; fast profile: no limit)",
    )
    parser.add_argument(
        "--retry-after",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="put Retry-After and retry-after-ms on every Writer 429 (writer profile: no, not "
        "documented: the harder reading; fast profile: yes)",
    )
    _rate(parser, "--throttle-rate", "share of Writer requests answered 429")
    _rate(parser, "--reset-rate", "share of connections dropped (half before, half after storing)")
    _rate(parser, "--slow-rate", "share of requests answered after --slow-seconds")
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="delay of a slow answer (default 5)",
    )
    _rate(parser, "--garbage-get-rate", "share of job GETs answered 200 with HTML")
    _rate(parser, "--garbage-list-rate", "share of list pages answered 200 with HTML")
    parser.add_argument(
        "--rtt",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="a network's round trip added to every API request, half each way, on the wall "
        "clock (not divided by --speed; default 0, loopback)",
    )
    parser.add_argument(
        "--hold-create",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="hold a create's answer this long after the job is stored (a window for a kill)",
    )
    parser.add_argument(
        "--hold-create-rate",
        type=_probability,
        default=1.0,
        metavar="P",
        help="share of creates --hold-create holds (default 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The EmulatorConfig the parsed flags describe."""
    latency: tuple[str, float, float] | None = args.latency
    return EmulatorConfig(
        api_key=args.api_key,
        latency=latency[1:] if latency else None,
        latency_kind=latency[0] if latency else "uniform",
        fail_rate=args.fail_rate,
        error_rate=args.error_rate,
        rate_limit=args.rate_limit,
        throttle_rate=args.throttle_rate,
        reset_rate=args.reset_rate,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        seed=args.seed,
        idempotency=args.idempotency,
        stuck_rate=args.stuck_rate,
        garbage_get_rate=args.garbage_get_rate,
        garbage_list_rate=args.garbage_list_rate,
        hold_create=args.hold_create,
        hold_create_rate=args.hold_create_rate,
        profile=args.profile,
        writer_rpm=args.rpm,
        retry_after=args.retry_after,
        capacity=args.capacity,
        speed=args.speed,
        osapi_prefix=args.osapi_prefix,
        ttl=args.ttl,
        rtt=args.rtt,
    )


def main(argv: Sequence[str] | None = None, prog: str = "python -m jobwise_emulator") -> int:
    """Parse flags, print the URL, serve until SIGINT or SIGTERM."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.host not in LOOPBACK and not args.host.startswith("127.") and not args.public:
        parser.error(f"--host {args.host} is not loopback; pass --public to serve it there")
    try:
        server = EmulatorServer(config_from_args(args), args.host, args.port)
    except ValueError as exc:
        parser.error(str(exc))
    except OSError as exc:
        parser.error(f"cannot serve on {args.host} port {args.port}: {exc.strerror or exc}")
    print(f"jobwise emulator listening on {server.base_url}", flush=True)
    # uvicorn shuts down gracefully, then raises the signal again for the handler found at start:
    # this one turns that into a clean exit, status 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_cleanly)
    server.serve_forever()
    return 0


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
