"""The promise, checked after every schedule: every input back once, never duplicated
silently, never another input's result."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from jobwise.batch.items import BatchItem
from jobwise_emulator.writer_store import WriterStore, _suggestion

from tests.sim.world import World

FINAL = {"completed", "failed", "invalid", "ambiguous"}


def _key(inputs: Any) -> str:
    return json.dumps(inputs, sort_keys=True)


class Ledger:
    """Every job any server instance ever created, with its inputs and the instance (its life:
    0, then 1 after a restart, ...). A restart loses every job: a create sent again after one
    makes the input's only job, not a duplicate (seed 4323: its lost create's job vanished
    with the restart before the listing; sent again, it was counted twice)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, str, int]] = []
        """(job id, inputs, life) of each job made."""
        self._life = -1

    def watch(self, store: WriterStore) -> None:
        create = store.create
        self._life += 1
        life = self._life

        def recording(app_id: str, inputs: list[dict[str, Any]]) -> Any:
            job = create(app_id, inputs)
            self.jobs.append((job.id, _key(inputs), life))
            return job

        store.create = recording  # type: ignore[method-assign]


def check(
    world: World,
    inputs: list[dict[str, str]],
    rows: list[dict[str, Any]],
    items: list[BatchItem],
    summary: dict[str, Any],
    ledger: Ledger,
    *,
    whole: bool = True,
) -> list[str]:
    """The violations of a schedule that ran to its end (none: the promise held); with
    ``whole=False``, of one that stopped on purpose: no wrong result, no silent duplicate."""
    wire = [[{"id": k, "value": [v]} for k, v in one.items()] for one in inputs]
    found: list[str] = []
    # A run stopped on purpose may not have read every input: the ones it read, in order.
    read = len(inputs) if whole else len(rows)
    if [r["idx"] for r in rows] != list(range(read)) or read > len(inputs):
        found.append(f"rows {[r['idx'] for r in rows]} for {len(inputs)} inputs")
    made = Counter((life, key) for _, key, life in ledger.jobs)
    jobs_of = {(job_id, key) for job_id, key, _ in ledger.jobs}
    life = max((life for _, _, life in ledger.jobs), default=0)
    made_now = {key for _, key, made_in in ledger.jobs if made_in == life}
    holders: Counter[str] = Counter()
    for row in rows:
        index, status = row["idx"], row["status"]
        if status not in FINAL and whole:
            found.append(f"input {index} left {status!r}")
        if index >= len(inputs):
            continue
        key = _key(wire[index])
        if status == "failed" and row["job_id"] is None and key in made_now:
            # A create that may have made its job is settled, never failed: the job is the
            # input's result (a reset after sending taken for a refusal lost it).
            found.append(f"input {index} failed ({row['error']!r}) though its job was made")
        if row["job_id"] is not None and status in ("completed", "failed"):
            holders[row["job_id"]] += 1
        if status == "completed":
            if row["suggestion"] != _suggestion(wire[index]):
                found.append(f"input {index} holds another input's result: {row['suggestion']!r}")
            if (row["job_id"], key) not in jobs_of:
                found.append(
                    f"input {index} completed with job {row['job_id']}, not one of its own"
                )
    found += [f"job {job} held by {n} items" for job, n in holders.items() if n > 1]
    ours = {_key(w) for w in wire}
    extra = sum(max(0, n - 1) for (_, key), n in made.items() if key in ours)
    ambiguous = sum(1 for row in rows if row["status"] == "ambiguous")
    if extra > ambiguous:
        found.append(
            f"{extra} duplicate jobs for {len(inputs)} inputs, only {ambiguous} reported ambiguous"
        )
    if not whole:
        return found
    counts = Counter(row["status"] for row in rows)
    if summary["counts"] != dict(counts) or summary["total"] != len(inputs):
        found.append(f"summary {summary['counts']} disagrees with the state file {dict(counts)}")
    emitted = sorted(item.index for item in items)
    if emitted != list(range(len(inputs))):
        found.append(f"the run emitted items {emitted} for {len(inputs)} inputs")
    by_index = {row["idx"]: row for row in rows}
    for item in items:
        kept = by_index.get(item.index)
        if kept is None:
            continue
        if (item.status, item.job_id, item.suggestion) != (
            kept["status"],
            kept["job_id"],
            kept["suggestion"],
        ):
            found.append(
                f"input {item.index} emitted {item.status} {item.job_id}, the state file says "
                f"{kept['status']} {kept['job_id']}"
            )
    return found
