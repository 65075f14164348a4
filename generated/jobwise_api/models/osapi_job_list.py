from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.osapi_job import OsapiJob
    from ..models.osapi_status_counts import OsapiStatusCounts


T = TypeVar("T", bound="OsapiJobList")


@_attrs_define
class OsapiJobList:
    """
    Attributes:
        total_items (int | Unset): Total number of jobs matching the filter.
        status_counts (OsapiStatusCounts | Unset): Count of all jobs by status.
        items (list[OsapiJob] | Unset):
    """

    total_items: int | Unset = UNSET
    status_counts: OsapiStatusCounts | Unset = UNSET
    items: list[OsapiJob] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        total_items = self.total_items

        status_counts: dict[str, Any] | Unset = UNSET
        if not isinstance(self.status_counts, Unset):
            status_counts = self.status_counts.to_dict()

        items: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.items, Unset):
            items = []
            for items_item_data in self.items:
                items_item = items_item_data.to_dict()
                items.append(items_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if total_items is not UNSET:
            field_dict["total_items"] = total_items
        if status_counts is not UNSET:
            field_dict["status_counts"] = status_counts
        if items is not UNSET:
            field_dict["items"] = items

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.osapi_job import OsapiJob
        from ..models.osapi_status_counts import OsapiStatusCounts

        d = dict(src_dict)
        total_items = d.pop("total_items", UNSET)

        _status_counts = d.pop("status_counts", UNSET)
        status_counts: OsapiStatusCounts | Unset
        if isinstance(_status_counts, Unset):
            status_counts = UNSET
        else:
            status_counts = OsapiStatusCounts.from_dict(_status_counts)

        _items = d.pop("items", UNSET)
        items: list[OsapiJob] | Unset = UNSET
        if _items is not UNSET:
            items = []
            for items_item_data in _items:
                items_item = OsapiJob.from_dict(items_item_data)

                items.append(items_item)

        osapi_job_list = cls(
            total_items=total_items,
            status_counts=status_counts,
            items=items,
        )

        osapi_job_list.additional_properties = d
        return osapi_job_list

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
