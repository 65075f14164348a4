from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ...client import AuthenticatedClient, Client
from ...models.osapi_error_body import OsapiErrorBody
from ...models.osapi_retry_request import OsapiRetryRequest
from ...models.osapi_retry_result import OsapiRetryResult
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    body: OsapiRetryRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/job/{id}/retry".format(
            id=quote(str(id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> OsapiErrorBody | OsapiRetryResult:
    if response.status_code == 201:
        response_201 = OsapiRetryResult.from_dict(response.json())

        return response_201

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
) -> Response[OsapiErrorBody | OsapiRetryResult]:
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
    body: OsapiRetryRequest | Unset = UNSET,
) -> Response[OsapiErrorBody | OsapiRetryResult]:
    """Retry a job

     Creates a NEW job (a new id) from the same operation data, on `target_hostname` or on any agent. The
    original job is kept and gains a `retried` timeline event naming the new id. Any job can be retried;
    400 for a bad body, a job without operation data or an unknown target.

    Args:
        id (UUID):
        body (OsapiRetryRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiRetryResult]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient,
    body: OsapiRetryRequest | Unset = UNSET,
) -> OsapiErrorBody | OsapiRetryResult | None:
    """Retry a job

     Creates a NEW job (a new id) from the same operation data, on `target_hostname` or on any agent. The
    original job is kept and gains a `retried` timeline event naming the new id. Any job can be retried;
    400 for a bad body, a job without operation data or an unknown target.

    Args:
        id (UUID):
        body (OsapiRetryRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiRetryResult
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient,
    body: OsapiRetryRequest | Unset = UNSET,
) -> Response[OsapiErrorBody | OsapiRetryResult]:
    """Retry a job

     Creates a NEW job (a new id) from the same operation data, on `target_hostname` or on any agent. The
    original job is kept and gains a `retried` timeline event naming the new id. Any job can be retried;
    400 for a bad body, a job without operation data or an unknown target.

    Args:
        id (UUID):
        body (OsapiRetryRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[OsapiErrorBody | OsapiRetryResult]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient,
    body: OsapiRetryRequest | Unset = UNSET,
) -> OsapiErrorBody | OsapiRetryResult | None:
    """Retry a job

     Creates a NEW job (a new id) from the same operation data, on `target_hostname` or on any agent. The
    original job is kept and gains a `retried` timeline event naming the new id. Any job can be retried;
    400 for a bad body, a job without operation data or an unknown target.

    Args:
        id (UUID):
        body (OsapiRetryRequest | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        OsapiErrorBody | OsapiRetryResult
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
