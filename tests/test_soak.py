"""The short soak: faults, SIGKILLs and resumes lose nothing and duplicate nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "scripts" / "soak.py"


def test_short_soak_accounts_for_every_input_once() -> None:
    done = subprocess.run(
        [sys.executable, str(SOAK), "--quick", "--json", "--seed", "3", "--deadline", "240"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, (figures, done.stderr[-2000:])
    assert figures["kills"] == 2
    assert figures["accounted_for"] == figures["jobs"] == 300
    assert figures["jobs_created"] == 300
    assert figures["duplicate_jobs"] == 0 and figures["lost"] == 0
    faults = figures["faults"]
    for kind in ("throttled", "server_error", "reset_after", "slow"):
        assert faults.get(kind, 0) > 0, f"no {kind} fault was injected: {faults}"
