from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="OsapiRetryResult")


@_attrs_define
class OsapiRetryResult:
    """
    Attributes:
        job_id (str): The new job's ID.
        status (str): The new job's status ("created").
        revision (int | Unset): The KV revision number.
        timestamp (str | Unset): Creation timestamp.
    """

    job_id: str
    status: str
    revision: int | Unset = UNSET
    timestamp: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        job_id = self.job_id

        status = self.status

        revision = self.revision

        timestamp = self.timestamp

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "job_id": job_id,
                "status": status,
            }
        )
        if revision is not UNSET:
            field_dict["revision"] = revision
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        job_id = d.pop("job_id")

        status = d.pop("status")

        revision = d.pop("revision", UNSET)

        timestamp = d.pop("timestamp", UNSET)

        osapi_retry_result = cls(
            job_id=job_id,
            status=status,
            revision=revision,
            timestamp=timestamp,
        )

        osapi_retry_result.additional_properties = d
        return osapi_retry_result

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
