from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OsapiTimelineEvent")


@_attrs_define
class OsapiTimelineEvent:
    """
    Attributes:
        timestamp (str | Unset): ISO 8601 timestamp of the event.
        event (str | Unset): Event type (submitted, acknowledged, started, completed, failed, retried).
        hostname (str | Unset): Agent or source that generated the event ("_api" for the API server).
        message (str | Unset): Human-readable description of the event.
        error (str | Unset): Error details if applicable.
    """

    timestamp: str | Unset = UNSET
    event: str | Unset = UNSET
    hostname: str | Unset = UNSET
    message: str | Unset = UNSET
    error: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        timestamp = self.timestamp

        event = self.event

        hostname = self.hostname

        message = self.message

        error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp
        if event is not UNSET:
            field_dict["event"] = event
        if hostname is not UNSET:
            field_dict["hostname"] = hostname
        if message is not UNSET:
            field_dict["message"] = message
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        timestamp = d.pop("timestamp", UNSET)

        event = d.pop("event", UNSET)

        hostname = d.pop("hostname", UNSET)

        message = d.pop("message", UNSET)

        error = d.pop("error", UNSET)

        osapi_timeline_event = cls(
            timestamp=timestamp,
            event=event,
            hostname=hostname,
            message=message,
            error=error,
        )

        osapi_timeline_event.additional_properties = d
        return osapi_timeline_event

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
