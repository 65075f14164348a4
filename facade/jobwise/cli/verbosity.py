"""Logging for the command line: the ``jobwise`` logger to stderr, at the level asked for.

``-v`` is info (retries, backoffs, pacing), ``-vv`` debug and httpx's per-request lines;
``JOBWISE_LOG`` (or writer-sdk's ``WRITER_LOG``) = ``debug`` or ``info`` does the same.
The most verbose of them wins; by default only warnings show.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from jobwise.logs import LEVELS, VARIABLES, env_level, remove_env_handler


def log_level(verbose: int, environ: Mapping[str, str]) -> int:
    """The level asked for by ``-v`` flags and the environment."""
    levels = [logging.WARNING, logging.INFO if verbose == 1 else logging.WARNING]
    if verbose >= 2:
        levels.append(logging.DEBUG)
    for variable in VARIABLES:
        value = environ.get(variable, "").strip().lower()
        if value and value not in LEVELS:
            sys.stderr.write(
                f"jobwise: warning: {variable}={value!r} ignored; use {', '.join(LEVELS)}\n"
            )
    levels.append(env_level(environ) or logging.WARNING)
    return min(levels)


def configure_logging(verbose: int, environ: Mapping[str, str]) -> None:
    """Send the ``jobwise`` logger to stderr at the level asked for (httpx's request lines
    too at debug level), in place of what the library set up from the environment; with
    nothing asked, logging is left as it is (warnings only)."""
    remove_env_handler()
    level = log_level(verbose, environ)
    logger = logging.getLogger("jobwise")
    httpx_logger = logging.getLogger("httpx")
    for each in (logger, httpx_logger):
        for handler in list(each.handlers):
            if getattr(handler, "jobwise_cli", False):
                each.removeHandler(handler)
    if level >= logging.WARNING:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.jobwise_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    if level <= logging.DEBUG:
        httpx_logger.addHandler(handler)
        httpx_logger.setLevel(logging.INFO)
