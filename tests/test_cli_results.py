"""The results file of a state file holding an item in each status, as the CLI writes it."""

from __future__ import annotations

from pathlib import Path

import pytest
from jobwise.batch import _item as item_of
from jobwise.batch_results import OUTCOMES
from jobwise.batch_state import BatchState
from jobwise.cli_results import ResultSpool, write_results

from .state_fixture import COLUMNS, read_inputs, write_state

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("name", "interrupted"),
    [
        ("finished.jsonl", False),
        ("finished.csv", False),
        ("interrupted.jsonl", True),
        ("interrupted.csv", True),
    ],
)
def test_results_are_the_golden_bytes(tmp_path: Path, name: str, interrupted: bool) -> None:
    state_path = tmp_path / "s.sqlite"
    write_state(state_path)
    spool = ResultSpool()
    try:
        list(spool.numbered(read_inputs()))
        state = BatchState(str(state_path), "app", "http://127.0.0.1:1")
        for row in state.rows():
            if row.status in OUTCOMES:
                spool.add(item_of(row))  # as the batch yields it
        state.close()
        out = tmp_path / name
        assert write_results(str(out), COLUMNS, spool.results(interrupted, str(state_path))) == 11
    finally:
        spool.close()
    assert out.read_bytes() == (GOLDEN / name).read_bytes()
    assert (spool.read, spool.finished, spool.running) == (11, 5, 2)
