"""The short soak, against a server that honours Idempotency-Key and one that ignores it:
faults, SIGKILLs and resumes lose nothing, give no input another's result, and make no job
beyond those the summary names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent.parent / "scripts" / "soak.py"


def test_short_soak_accounts_for_every_input_once() -> None:
    done = subprocess.run(
        [sys.executable, str(SOAK), "--quick", "--json", "--seed", "3", "--deadline", "240"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    kinds = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert done.returncode == 0, (kinds, done.stderr[-2000:])
    assert [figures["server"] for figures in kinds] == ["honour", "ignore"]
    for figures in kinds:
        assert figures["kills"] == 2
        assert figures["accounted_for"] == figures["jobs"] == 300
        assert figures["lost"] == figures["wrong"] == 0
        # The only jobs beyond one per input are those the summary named before a re-send.
        assert figures["duplicate_jobs"] == figures["duplicates_named"]
        assert figures["jobs_created"] == 300 + figures["duplicates_named"]
        assert figures["ambiguous_not_at_a_kill"] == 0
        faults = figures["faults"]
        for kind in ("throttled", "server_error", "reset_after", "slow"):
            assert faults.get(kind, 0) > 0, f"no {kind} fault was injected: {faults}"
