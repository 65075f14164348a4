from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OsapiRetryRequest")


@_attrs_define
class OsapiRetryRequest:
    """
    Attributes:
        target_hostname (str | Unset): The agent to run the new job on: a known hostname, `_any` (the default) or
            `_all`; an unknown one answers 400.
    """

    target_hostname: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        target_hostname = self.target_hostname

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if target_hostname is not UNSET:
            field_dict["target_hostname"] = target_hostname

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        target_hostname = d.pop("target_hostname", UNSET)

        osapi_retry_request = cls(
            target_hostname=target_hostname,
        )

        osapi_retry_request.additional_properties = d
        return osapi_retry_request

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
