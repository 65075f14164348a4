"""Writer's create call, built straight, is the generated code's for the same models."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from jobwise._api import writer
from jobwise.models import JobCreateRequest, JobInput
from jobwise.validation import InputSet
from jobwise_api.api.writer import create_job

NAMES = st.text(min_size=1, max_size=8)
VALUES = st.lists(st.text(max_size=8), min_size=1, max_size=3)


@given(
    application_id=st.text(min_size=1, max_size=12),
    inputs=st.dictionaries(NAMES, VALUES, max_size=4),
    key=st.text(min_size=1, max_size=20),
)
def test_a_create_request_is_the_generated_one(
    application_id: str, inputs: dict[str, list[str]], key: str
) -> None:
    # Equal as dicts and in the order of their keys and inputs (the JSON sent is the same).
    body = JobCreateRequest(inputs=[JobInput(id=name, value=v) for name, v in inputs.items()])
    generated = create_job._get_kwargs(application_id, body=body, idempotency_key=key)
    built = writer.create_request(application_id, InputSet(inputs), key)
    assert built == generated
    assert repr(built) == repr(generated)
