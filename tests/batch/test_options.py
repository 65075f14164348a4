"""What a run is asked to do, checked before any request."""

from __future__ import annotations

from typing import Any

import jobwise
import pytest
from jobwise import WriterJobs

from ..conftest import TOKEN
from .support import products


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"concurrency": 0}, "concurrency"),
        ({"retry_failed": -1}, "retry_failed"),
        ({"state": ""}, "state"),
    ],
)
def test_bad_batch_arguments_raise_before_any_request(
    kwargs: dict[str, Any], argument: str
) -> None:
    jobs = WriterJobs(TOKEN, "http://127.0.0.1:9")
    with pytest.raises(jobwise.InvalidArgumentError) as caught:
        jobs.run_batch("app", products(1), **kwargs)
    assert caught.value.argument == argument
    with pytest.raises(jobwise.InvalidArgumentError, match="inputs"):
        jobs.run_batch("app", "not a list of inputs")
