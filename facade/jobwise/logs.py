"""``JOBWISE_LOG`` or ``WRITER_LOG`` = ``debug`` or ``info``, read at import as writer-sdk
reads ``WRITER_LOG``: the ``jobwise`` logger (a line per request at debug) and httpx's at that
level, to stderr through ``logging.basicConfig``. Unset, no level is set and no handler added.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
VARIABLES = ("JOBWISE_LOG", "WRITER_LOG")
_added: list[logging.Handler] = []


def env_level(environ: Mapping[str, str]) -> int | None:
    """The most verbose level the variables name (unknown values ignored), None for none."""
    values = (environ.get(variable, "").strip().lower() for variable in VARIABLES)
    return min((LEVELS[value] for value in values if value in LEVELS), default=None)


def setup_logging(environ: Mapping[str, str] = os.environ) -> None:
    """Log to stderr at the level the environment asks for, if it asks for more than warnings."""
    level = env_level(environ)
    if level is None or level >= logging.WARNING:
        return
    root = logging.getLogger()
    before = list(root.handlers)
    logging.basicConfig(
        format="[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    _added.extend(handler for handler in root.handlers if handler not in before)
    for name in ("jobwise", "httpx"):
        logging.getLogger(name).setLevel(level)


def remove_env_handler() -> None:
    """Take away the handler :func:`setup_logging` added (the CLI prints lines of its own)."""
    root = logging.getLogger()
    while _added:
        root.removeHandler(_added.pop())
