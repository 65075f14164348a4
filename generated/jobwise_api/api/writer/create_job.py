from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.job_create_request import JobCreateRequest
from ...models.job_created import JobCreated
from ...models.writer_error_body import WriterErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    application_id: str,
    *,
    body: JobCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/applications/{application_id}/jobs".format(
            application_id=quote(str(application_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobCreated | WriterErrorBody:
    if response.status_code == 202:
        response_202 = JobCreated.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = WriterErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = WriterErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = WriterErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = WriterErrorBody.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = WriterErrorBody.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = WriterErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = WriterErrorBody.from_dict(response.json())

        return response_500

    response_default = WriterErrorBody.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[JobCreated | WriterErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    application_id: str,
    *,
    client: AuthenticatedClient,
    body: JobCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[JobCreated | WriterErrorBody]:
    """Generate from application (async)

     Generate content asynchronously from an existing no-code agent (formerly called no-code
    applications) with inputs.

    Args:
        application_id (str):
        idempotency_key (str | Unset):
        body (JobCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobCreated | WriterErrorBody]
    """

    kwargs = _get_kwargs(
        application_id=application_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    application_id: str,
    *,
    client: AuthenticatedClient,
    body: JobCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> JobCreated | WriterErrorBody | None:
    """Generate from application (async)

     Generate content asynchronously from an existing no-code agent (formerly called no-code
    applications) with inputs.

    Args:
        application_id (str):
        idempotency_key (str | Unset):
        body (JobCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobCreated | WriterErrorBody
    """

    return sync_detailed(
        application_id=application_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    application_id: str,
    *,
    client: AuthenticatedClient,
    body: JobCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[JobCreated | WriterErrorBody]:
    """Generate from application (async)

     Generate content asynchronously from an existing no-code agent (formerly called no-code
    applications) with inputs.

    Args:
        application_id (str):
        idempotency_key (str | Unset):
        body (JobCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobCreated | WriterErrorBody]
    """

    kwargs = _get_kwargs(
        application_id=application_id,
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    application_id: str,
    *,
    client: AuthenticatedClient,
    body: JobCreateRequest,
    idempotency_key: str | Unset = UNSET,
) -> JobCreated | WriterErrorBody | None:
    """Generate from application (async)

     Generate content asynchronously from an existing no-code agent (formerly called no-code
    applications) with inputs.

    Args:
        application_id (str):
        idempotency_key (str | Unset):
        body (JobCreateRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobCreated | WriterErrorBody
    """

    return (
        await asyncio_detailed(
            application_id=application_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
