from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.writer_error_item import WriterErrorItem


T = TypeVar("T", bound="WriterError")


@_attrs_define
class WriterError:
    """
    Attributes:
        tpe (str | Unset): The kind of failure, e.g. FailResponse.
        errors (list[WriterErrorItem] | Unset):
        extras (Any | Unset): Extra detail, if any.
    """

    tpe: str | Unset = UNSET
    errors: list[WriterErrorItem] | Unset = UNSET
    extras: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tpe = self.tpe

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        extras = self.extras

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if tpe is not UNSET:
            field_dict["tpe"] = tpe
        if errors is not UNSET:
            field_dict["errors"] = errors
        if extras is not UNSET:
            field_dict["extras"] = extras

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.writer_error_item import WriterErrorItem

        d = dict(src_dict)
        tpe = d.pop("tpe", UNSET)

        _errors = d.pop("errors", UNSET)
        errors: list[WriterErrorItem] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = WriterErrorItem.from_dict(errors_item_data)

                errors.append(errors_item)

        extras = d.pop("extras", UNSET)

        writer_error = cls(
            tpe=tpe,
            errors=errors,
            extras=extras,
        )

        writer_error.additional_properties = d
        return writer_error

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
