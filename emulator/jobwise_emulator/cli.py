"""``python -m jobwise_emulator`` and ``jobwise emulator``: flags for every option."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from jobwise_emulator.config import EmulatorConfig, parse_latency
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


def _latency(text: str) -> tuple[float, float]:
    try:
        return EmulatorConfig(latency=parse_latency(text)).latency
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser(prog: str = "python -m jobwise_emulator") -> argparse.ArgumentParser:
    """The emulator's argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve Writer's async jobs API and osapi's job API on loopback.",
        epilog="example: %(prog)s --port 8080 --latency 0.5-2 --fail-rate 0.05 --seed 7",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port; 0 takes a free one (default)")
    parser.add_argument("--api-key", help="accept only this bearer token (default: any)")
    parser.add_argument(
        "--latency",
        type=_latency,
        default=(0.2, 1.0),
        metavar="MIN-MAX",
        help="seconds a job takes (default 0.2-1.0)",
    )
    parser.add_argument(
        "--fail-rate", type=_probability, default=0.0, metavar="P", help="share of jobs that fail"
    )
    parser.add_argument(
        "--error-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of requests answered 500/503",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="RPS",
        help="answer 429 with Retry-After above this many requests per second",
    )
    parser.add_argument(
        "--throttle-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of requests answered 429 with Retry-After, at random",
    )
    parser.add_argument(
        "--reset-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of connections dropped (half before, half after storing)",
    )
    parser.add_argument(
        "--slow-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="share of requests answered after --slow-seconds",
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=5.0,
        metavar="S",
        help="delay of a slow answer (default 5)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice")
    parser.add_argument(
        "--idempotency",
        choices=("ignore", "honour"),
        default="ignore",
        help="Idempotency-Key: ignore it, as Writer and osapi are known to (default), or "
        "honour it: replay a keyed POST's first answer and echo the key on every answer",
    )
    parser.add_argument(
        "--hold-create",
        type=float,
        default=0.0,
        metavar="S",
        help="hold each create's answer S seconds after its job is stored (default 0)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m jobwise_emulator") -> int:
    """Parse flags, print the URL, serve until SIGINT or SIGTERM."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        config = EmulatorConfig(
            api_key=args.api_key,
            latency=args.latency,
            fail_rate=args.fail_rate,
            error_rate=args.error_rate,
            rate_limit=args.rate_limit,
            throttle_rate=args.throttle_rate,
            reset_rate=args.reset_rate,
            slow_rate=args.slow_rate,
            slow_seconds=args.slow_seconds,
            seed=args.seed,
            idempotency=args.idempotency,
            hold_create=args.hold_create,
        )
        server = EmulatorServer(config, args.host, args.port)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
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
