from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ...client import AuthenticatedClient, Client
from ...models.osapi_error_body import OsapiErrorBody
from ...models.osapi_job import OsapiJob
from ...types import Response


def _get_kwargs(
    id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/job/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OsapiErrorBody | OsapiJob:
    if response.status_code == 200:
        response_200 = OsapiJob.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = OsapiErrorBody.from_dict(response.json())

        return response_404

    if response.status_code == 500:
        response_500 = OsapiErrorBody.from_dict(response.json())

        return response_500

    response_default = OsapiErrorBody.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[OsapiErrorBody | OsapiJob]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[OsapiErrorBody | OsapiJob]:
    """Get a job

     One job with its per-agent responses, states and timeline.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiJob]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient,
) -> OsapiErrorBody | OsapiJob | None:
    """Get a job

     One job with its per-agent responses, states and timeline.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiJob
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[OsapiErrorBody | OsapiJob]:
    """Get a job

     One job with its per-agent responses, states and timeline.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiJob]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient,
) -> OsapiErrorBody | OsapiJob | None:
    """Get a job

     One job with its per-agent responses, states and timeline.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiJob
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
