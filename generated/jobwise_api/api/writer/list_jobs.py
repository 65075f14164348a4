from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.job_list import JobList
from ...models.job_status import JobStatus
from ...models.writer_error_body import WriterErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    application_id: str,
    *,
    status: JobStatus | Unset = UNSET,
    offset: int | Unset = UNSET,
    limit: int | Unset = 50,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["offset"] = offset

    params["limit"] = limit

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/applications/{application_id}/jobs".format(
            application_id=quote(str(application_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> JobList | WriterErrorBody:
    if response.status_code == 200:
        response_200 = JobList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = WriterErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = WriterErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = WriterErrorBody.from_dict(response.json())

        return response_404

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
) -> Response[JobList | WriterErrorBody]:
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
    status: JobStatus | Unset = UNSET,
    offset: int | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[JobList | WriterErrorBody]:
    """Retrieve all jobs

     Retrieve all jobs created via the async API, linked to the provided application ID (or alias).
    Newest first.

    Args:
        application_id (str):
        status (JobStatus | Unset): The status of the job (new values may appear; clients treat
            them as not final).
        offset (int | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobList | WriterErrorBody]
    """

    kwargs = _get_kwargs(
        application_id=application_id,
        status=status,
        offset=offset,
        limit=limit,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    application_id: str,
    *,
    client: AuthenticatedClient,
    status: JobStatus | Unset = UNSET,
    offset: int | Unset = UNSET,
    limit: int | Unset = 50,
) -> JobList | WriterErrorBody | None:
    """Retrieve all jobs

     Retrieve all jobs created via the async API, linked to the provided application ID (or alias).
    Newest first.

    Args:
        application_id (str):
        status (JobStatus | Unset): The status of the job (new values may appear; clients treat
            them as not final).
        offset (int | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobList | WriterErrorBody
    """

    return sync_detailed(
        application_id=application_id,
        client=client,
        status=status,
        offset=offset,
        limit=limit,
    ).parsed


async def asyncio_detailed(
    application_id: str,
    *,
    client: AuthenticatedClient,
    status: JobStatus | Unset = UNSET,
    offset: int | Unset = UNSET,
    limit: int | Unset = 50,
) -> Response[JobList | WriterErrorBody]:
    """Retrieve all jobs

     Retrieve all jobs created via the async API, linked to the provided application ID (or alias).
    Newest first.

    Args:
        application_id (str):
        status (JobStatus | Unset): The status of the job (new values may appear; clients treat
            them as not final).
        offset (int | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[JobList | WriterErrorBody]
    """

    kwargs = _get_kwargs(
        application_id=application_id,
        status=status,
        offset=offset,
        limit=limit,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    application_id: str,
    *,
    client: AuthenticatedClient,
    status: JobStatus | Unset = UNSET,
    offset: int | Unset = UNSET,
    limit: int | Unset = 50,
) -> JobList | WriterErrorBody | None:
    """Retrieve all jobs

     Retrieve all jobs created via the async API, linked to the provided application ID (or alias).
    Newest first.

    Args:
        application_id (str):
        status (JobStatus | Unset): The status of the job (new values may appear; clients treat
            them as not final).
        offset (int | Unset):
        limit (int | Unset):  Default: 50.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        JobList | WriterErrorBody
    """

    return (
        await asyncio_detailed(
            application_id=application_id,
            client=client,
            status=status,
            offset=offset,
            limit=limit,
        )
    ).parsed
