"""The results file, written from the state file: the same bytes as before, and no ATTACH."""

from __future__ import annotations

from pathlib import Path

import jobwise.cli
import pytest
from jobwise.cli.results import InputSpool, write_results

from ..state_fixture import COLUMNS, read_inputs, write_state

GOLDEN = Path(__file__).parent.parent / "golden"
CLI = Path(jobwise.cli.__file__).parent


@pytest.mark.parametrize(
    ("name", "interrupted"),
    [
        ("finished.jsonl", False),
        ("finished.csv", False),
        ("interrupted.jsonl", True),
        ("interrupted.csv", True),
    ],
)
def test_results_are_the_bytes_the_spool_and_attach_wrote(
    tmp_path: Path, name: str, interrupted: bool
) -> None:
    """tests/golden/ was written by the code that stored results twice (its spool, then the
    state file ATTACHed) from the same state file and inputs."""
    state = tmp_path / "s.sqlite"
    write_state(state)
    spool = InputSpool()
    try:
        list(spool.numbered(read_inputs()))
        out = tmp_path / name
        assert write_results(str(out), COLUMNS, spool.results(interrupted, str(state))) == 11
    finally:
        spool.close()
    assert out.read_bytes() == (GOLDEN / name).read_bytes()
    assert (spool.read, spool.finished, spool.running) == (11, 5, 2)


def test_a_run_stopped_before_reading_every_input_writes_those_it_read(tmp_path: Path) -> None:
    """A resumed run interrupted early: the state file holds more items than were read."""
    state = tmp_path / "s.sqlite"
    write_state(state)
    spool = InputSpool()
    try:
        list(spool.numbered(read_inputs()[:3]))
        found = list(spool.results(True, str(state)))
    finally:
        spool.close()
    assert [(r.index, r.status, r.job_id) for r in found] == [
        (0, "completed", "job-0"),
        (1, "failed", "job-1"),
        (2, "invalid", None),
    ]
    assert found[2].inputs == {"P": [42]}  # as the file held it, not the batch's stand-in


def test_no_cli_module_reads_the_state_files_tables() -> None:
    modules = sorted(CLI.glob("**/*.py"))
    assert len(modules) > 5
    for module in modules:
        text = module.read_text()
        assert "ATTACH" not in text.upper(), module
        assert "state.items" not in text and "FROM items" not in text, module
