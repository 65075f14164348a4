"""A closed state file holding an item in each status, and the input lines it was read from."""

from __future__ import annotations

from pathlib import Path

from jobwise.batch.state import BatchState
from jobwise.cli.inputs import Input
from jobwise.validation import InputSet

COLUMNS = ["Name", "Note"]
# (status it is left in, its input as the file held it); index 2's raw input was refused.
ITEMS = [
    ("completed", {"P": ["alpha"]}),
    ("failed", {"P": ["beta"]}),
    ("invalid", {"P": [42]}),
    ("ambiguous", {"P": ["gamma"]}),
    ("timed_out", {"P": ["delta"]}),
    ("submitted", {"P": ["epsilon"]}),
    ("retrying", {"P": ["zeta"]}),
    ("sending", {"P": ["eta"]}),
    ("unknown", {"P": ["theta"]}),
    ("pending", {"P": ["iota"]}),
    (None, {"P": ["kappa"]}),  # read, never recorded: the run stopped first
]
SUGGESTION = 'café, "quoted",\nover two lines'


def read_inputs() -> list[Input]:
    """The inputs as the CLI read them: line numbers with gaps, cells, raw inputs."""
    return [
        Input(2 * index + 1, raw, [str(raw["P"][0]), f"note {index}"])
        for index, (_, raw) in enumerate(ITEMS)
    ]


def write_state(path: Path) -> None:
    """Write the state file of :data:`ITEMS` at ``path`` (closed, as a finished run leaves it)."""
    state = BatchState(str(path), "app", "http://127.0.0.1:1", clock=lambda: 0.0)
    for index, (status, raw) in enumerate(ITEMS):
        if status is None:
            continue
        if status == "invalid":
            inputs = InputSet({"(invalid input)": [repr(raw)]})
            state.add(index, inputs, "invalid", "P: 42 is not a string")
            continue
        row = state.add(index, InputSet(raw), "pending", None)
        if status == "pending":
            continue
        state.sending(row, 10.0 + index)
        if status == "sending":
            continue
        if status == "unknown":
            state.unknown(row, 11.0 + index, "the create's answer was lost (timeout)")
        elif status == "ambiguous":
            state.unknown(row, 11.0 + index, "the create's answer was lost (timeout)")
            state.ambiguous(row, [f"job-{index}-a", f"job-{index}-b"], killed=False)
        else:
            state.submitted(row, f"job-{index}", "2026-01-01T00:00:00Z")
            if status == "completed":
                state.finished(row, "completed", SUGGESTION, None)
            elif status == "failed":
                state.finished(row, "failed", None, "the job failed: boom")
            elif status == "timed_out":
                state.finished(row, "timed_out", None, "the batch's deadline passed first")
            elif status == "retrying":
                state.finished(row, "failed", None, "the job failed: once")
                state.retrying(row)
    state.close()
