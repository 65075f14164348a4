"""Planted bugs: each one a way the engine could break its promise. The simulator must catch
every one within the seeds ``make test`` runs (``make sim-mutants``)."""

from __future__ import annotations

import importlib
import inspect

MUTANTS: dict[str, tuple[str, str, str]] = {
    # name: (module, the line as it is, the line as the bug has it)
    "resend-lost-blindly": (
        "jobwise.batch.creates",
        "if not_stored(exc) or (may_be_stored(exc) and self.jobs.keys_trusted):",
        "if not_stored(exc) or may_be_stored(exc):",
    ),
    "commit-send-after-it-leaves": (
        "jobwise.batch.state",
        '        self._write(row, ItemStatus.SENDING, "sent_at=?, answered_at=NULL", (now,))\n'
        "        self.commit(force=True)",
        '        self._write(row, ItemStatus.SENDING, "sent_at=?, answered_at=NULL", (now,))',
    ),
    "adopt-one-of-two": (
        "jobwise.lost_posts",
        "    if may_adopt and len(candidates) == 1"
        " and (claims is None or claims[candidates[0]] == 1):",
        "    if may_adopt:",
    ),
    "window-on-client-clock": (
        "jobwise.batch.window",
        "        low, high, margin = self._clock_bounds() if bounds is None else bounds\n"
        "        return Window(row.sent_at",
        "        low, high, margin = 0.0, 0.0, FINE_MARGIN\n        return Window(row.sent_at",
    ),
    "reset-after-send-as-never-sent": (
        "jobwise.lost_posts",
        "    if isinstance(exc, APIConnectionError):\n        return exc.may_have_arrived",
        "    if isinstance(exc, APIConnectionError):\n        return False",
    ),
    "known-jobs-not-excluded": (
        "jobwise.batch.lost",
        "listed.append(Listed(job.id, job.created_at.timestamp(), again or not held))",
        "listed.append(Listed(job.id, job.created_at.timestamp(), True))",
    ),
}


ENGINE = [
    "jobwise.lost_posts",
    "jobwise.batch.state",
    "jobwise.batch.core",
    "jobwise.batch.health",
    "jobwise.batch.window",
    "jobwise.batch.creates",
    "jobwise.batch.lost",
    "jobwise.batch.outcomes",
    "jobwise.batch.sweeping",
    "jobwise.batch.waiting",
    "jobwise.batch.reading",
    "jobwise.batch.engine",
]
"""The engine's modules, each after those it imports from: a module re-executed around a
mutant is followed by every one after it, so that each class is built on the mutated ones."""


def apply(name: str) -> None:
    """Plant mutant ``name`` in this process (the engine's modules re-executed around it)."""
    module_name, original, mutated = MUTANTS[name]
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)
    if source.count(original) != 1:
        raise SystemExit(f"mutant {name}: {module_name} no longer holds its line: {original!r}")
    exec(compile(source.replace(original, mutated), module.__file__ or "", "exec"), module.__dict__)
    for later in ENGINE[ENGINE.index(module_name) + 1 :]:
        following = importlib.import_module(later)
        code = compile(inspect.getsource(following), following.__file__ or "", "exec")
        exec(code, following.__dict__)
