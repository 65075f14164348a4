"""A client library for accessing jobwise job APIs (Writer async applications, osapi jobs)"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
