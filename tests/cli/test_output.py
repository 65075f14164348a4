"""The batch summary's advice: what to run next, from the items' statuses."""

from __future__ import annotations

from jobwise.cli.output import next_step


def test_a_finished_batch_with_failures_says_retry_failed_not_resume() -> None:
    """`make demo` ended "(run the same command to resume)" with nothing left to resume: a
    rerun sends nothing, and only --retry-failed runs the 2 failed jobs again."""
    advice = next_step({"completed": 198, "failed": 2}, 200)
    assert advice == "add --retry-failed N to retry the 2 failed"


def test_a_batch_every_item_of_which_completed_needs_nothing() -> None:
    assert next_step({"completed": 3}, 3) == "nothing: every item completed"


def test_unfinished_or_unread_items_are_resumed() -> None:
    assert next_step({"completed": 1, "pending": 2}, 3) == "run the same command to resume"
    assert next_step({"completed": 3}, 5) == "run the same command to resume"  # 2 unread
    stopped = next_step({"completed": 3, "failed": 1}, 4, stopped=True)
    assert stopped == "run the same command to resume; add --retry-failed N to retry the 1 failed"


def test_invalid_items_are_named_as_refused_unsent() -> None:
    advice = next_step({"completed": 1, "invalid": 2}, 3)
    assert advice == "the 2 invalid were refused unsent (see their errors)"
