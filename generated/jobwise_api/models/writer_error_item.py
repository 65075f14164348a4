from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.writer_extras import WriterExtras


T = TypeVar("T", bound="WriterErrorItem")


@_attrs_define
class WriterErrorItem:
    """
    Attributes:
        description (str):
        key (str):
        extras (WriterExtras): Extra detail, if any (an object, `{}` when there is none).
    """

    description: str
    key: str
    extras: WriterExtras
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        description = self.description

        key = self.key

        extras = self.extras.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "description": description,
                "key": key,
                "extras": extras,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.writer_extras import WriterExtras

        d = dict(src_dict)
        description = d.pop("description")

        key = d.pop("key")

        extras = WriterExtras.from_dict(d.pop("extras"))

        writer_error_item = cls(
            description=description,
            key=key,
            extras=extras,
        )

        writer_error_item.additional_properties = d
        return writer_error_item

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
