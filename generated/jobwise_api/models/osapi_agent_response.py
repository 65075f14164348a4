from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OsapiAgentResponse")


@_attrs_define
class OsapiAgentResponse:
    """
    Attributes:
        status (str | Unset):
        data (Any | Unset): Agent result data.
        changed (bool | None | Unset):
        error (str | Unset):
        hostname (str | Unset):
    """

    status: str | Unset = UNSET
    data: Any | Unset = UNSET
    changed: bool | None | Unset = UNSET
    error: str | Unset = UNSET
    hostname: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        data = self.data

        changed: bool | None | Unset
        if isinstance(self.changed, Unset):
            changed = UNSET
        else:
            changed = self.changed

        error = self.error

        hostname = self.hostname

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if data is not UNSET:
            field_dict["data"] = data
        if changed is not UNSET:
            field_dict["changed"] = changed
        if error is not UNSET:
            field_dict["error"] = error
        if hostname is not UNSET:
            field_dict["hostname"] = hostname

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = d.pop("status", UNSET)

        data = d.pop("data", UNSET)

        def _parse_changed(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        changed = _parse_changed(d.pop("changed", UNSET))

        error = d.pop("error", UNSET)

        hostname = d.pop("hostname", UNSET)

        osapi_agent_response = cls(
            status=status,
            data=data,
            changed=changed,
            error=error,
            hostname=hostname,
        )

        osapi_agent_response.additional_properties = d
        return osapi_agent_response

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
