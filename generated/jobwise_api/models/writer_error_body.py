from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.writer_error_item import WriterErrorItem
    from ..models.writer_extras import WriterExtras


T = TypeVar("T", bound="WriterErrorBody")


@_attrs_define
class WriterErrorBody:
    """
    Attributes:
        tpe (str): The kind of failure, named after the status: BadRequest, Unauthorized, Forbidden, NotFound, Conflict,
            UnprocessableEntity, TooManyRequests, InternalServerError, ...
        errors (list[WriterErrorItem]):
        extras (WriterExtras): Extra detail, if any (an object, `{}` when there is none).
    """

    tpe: str
    errors: list[WriterErrorItem]
    extras: WriterExtras
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tpe = self.tpe

        errors = []
        for errors_item_data in self.errors:
            errors_item = errors_item_data.to_dict()
            errors.append(errors_item)

        extras = self.extras.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tpe": tpe,
                "errors": errors,
                "extras": extras,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.writer_error_item import WriterErrorItem
        from ..models.writer_extras import WriterExtras

        d = dict(src_dict)
        tpe = d.pop("tpe")

        errors = []
        _errors = d.pop("errors")
        for errors_item_data in _errors:
            errors_item = WriterErrorItem.from_dict(errors_item_data)

            errors.append(errors_item)

        extras = WriterExtras.from_dict(d.pop("extras"))

        writer_error_body = cls(
            tpe=tpe,
            errors=errors,
            extras=extras,
        )

        writer_error_body.additional_properties = d
        return writer_error_body

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
