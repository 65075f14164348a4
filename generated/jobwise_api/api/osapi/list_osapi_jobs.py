from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.osapi_error_body import OsapiErrorBody
from ...models.osapi_job_list import OsapiJobList
from ...models.osapi_job_status_filter import OsapiJobStatusFilter
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: OsapiJobStatusFilter | Unset = UNSET,
    limit: int | Unset = 10,
    offset: int | Unset = 0,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    params["limit"] = limit

    params["offset"] = offset

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/job",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OsapiErrorBody | OsapiJobList:
    if response.status_code == 200:
        response_200 = OsapiJobList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OsapiErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OsapiErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = OsapiErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 500:
        response_500 = OsapiErrorBody.from_dict(response.json())

        return response_500

    response_default = OsapiErrorBody.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OsapiErrorBody | OsapiJobList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: OsapiJobStatusFilter | Unset = UNSET,
    limit: int | Unset = 10,
    offset: int | Unset = 0,
) -> Response[OsapiErrorBody | OsapiJobList]:
    """List jobs

     Retrieve jobs, optionally filtered by status. Newest first.

    Args:
        status (OsapiJobStatusFilter | Unset): The statuses a job list can be filtered by.
        limit (int | Unset):  Default: 10.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiJobList]
    """

    kwargs = _get_kwargs(
        status=status,
        limit=limit,
        offset=offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: OsapiJobStatusFilter | Unset = UNSET,
    limit: int | Unset = 10,
    offset: int | Unset = 0,
) -> OsapiErrorBody | OsapiJobList | None:
    """List jobs

     Retrieve jobs, optionally filtered by status. Newest first.

    Args:
        status (OsapiJobStatusFilter | Unset): The statuses a job list can be filtered by.
        limit (int | Unset):  Default: 10.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiJobList
    """

    return sync_detailed(
        client=client,
        status=status,
        limit=limit,
        offset=offset,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: OsapiJobStatusFilter | Unset = UNSET,
    limit: int | Unset = 10,
    offset: int | Unset = 0,
) -> Response[OsapiErrorBody | OsapiJobList]:
    """List jobs

     Retrieve jobs, optionally filtered by status. Newest first.

    Args:
        status (OsapiJobStatusFilter | Unset): The statuses a job list can be filtered by.
        limit (int | Unset):  Default: 10.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiJobList]
    """

    kwargs = _get_kwargs(
        status=status,
        limit=limit,
        offset=offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: OsapiJobStatusFilter | Unset = UNSET,
    limit: int | Unset = 10,
    offset: int | Unset = 0,
) -> OsapiErrorBody | OsapiJobList | None:
    """List jobs

     Retrieve jobs, optionally filtered by status. Newest first.

    Args:
        status (OsapiJobStatusFilter | Unset): The statuses a job list can be filtered by.
        limit (int | Unset):  Default: 10.
        offset (int | Unset):  Default: 0.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiJobList
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            limit=limit,
            offset=offset,
        )
    ).parsed
