from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.osapi_job_status import OsapiJobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.osapi_agent_states import OsapiAgentStates
    from ..models.osapi_operation import OsapiOperation
    from ..models.osapi_responses import OsapiResponses
    from ..models.osapi_timeline_event import OsapiTimelineEvent


T = TypeVar("T", bound="OsapiJob")


@_attrs_define
class OsapiJob:
    """
    Attributes:
        id (str): Unique identifier of the job.
        status (OsapiJobStatus | str):
        created (str | Unset): Creation timestamp.
        updated_at (str | Unset): Last update timestamp.
        operation (OsapiOperation | Unset): The operation data.
        result (Any | Unset): The result data if completed.
        changed (bool | None | Unset): Whether the operation modified system state. Null for pending/failed jobs;
            true/false for completed jobs. Always null in lists.
        error (str | Unset): Error message if failed.
        hostname (str | Unset): Agent hostname that processed the job.
        responses (OsapiResponses | Unset): Per-agent response data for broadcast jobs.
        agent_states (OsapiAgentStates | Unset): Per-agent processing state for broadcast jobs.
        timeline (list[OsapiTimelineEvent] | Unset): Chronological sequence of job lifecycle events.
    """

    id: str
    status: OsapiJobStatus | str
    created: str | Unset = UNSET
    updated_at: str | Unset = UNSET
    operation: OsapiOperation | Unset = UNSET
    result: Any | Unset = UNSET
    changed: bool | None | Unset = UNSET
    error: str | Unset = UNSET
    hostname: str | Unset = UNSET
    responses: OsapiResponses | Unset = UNSET
    agent_states: OsapiAgentStates | Unset = UNSET
    timeline: list[OsapiTimelineEvent] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status: str
        if isinstance(self.status, OsapiJobStatus):
            status = self.status.value
        else:
            status = self.status

        created = self.created

        updated_at = self.updated_at

        operation: dict[str, Any] | Unset = UNSET
        if not isinstance(self.operation, Unset):
            operation = self.operation.to_dict()

        result = self.result

        changed: bool | None | Unset
        if isinstance(self.changed, Unset):
            changed = UNSET
        else:
            changed = self.changed

        error = self.error

        hostname = self.hostname

        responses: dict[str, Any] | Unset = UNSET
        if not isinstance(self.responses, Unset):
            responses = self.responses.to_dict()

        agent_states: dict[str, Any] | Unset = UNSET
        if not isinstance(self.agent_states, Unset):
            agent_states = self.agent_states.to_dict()

        timeline: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.timeline, Unset):
            timeline = []
            for timeline_item_data in self.timeline:
                timeline_item = timeline_item_data.to_dict()
                timeline.append(timeline_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
            }
        )
        if created is not UNSET:
            field_dict["created"] = created
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at
        if operation is not UNSET:
            field_dict["operation"] = operation
        if result is not UNSET:
            field_dict["result"] = result
        if changed is not UNSET:
            field_dict["changed"] = changed
        if error is not UNSET:
            field_dict["error"] = error
        if hostname is not UNSET:
            field_dict["hostname"] = hostname
        if responses is not UNSET:
            field_dict["responses"] = responses
        if agent_states is not UNSET:
            field_dict["agent_states"] = agent_states
        if timeline is not UNSET:
            field_dict["timeline"] = timeline

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.osapi_agent_states import OsapiAgentStates
        from ..models.osapi_operation import OsapiOperation
        from ..models.osapi_responses import OsapiResponses
        from ..models.osapi_timeline_event import OsapiTimelineEvent

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_status(data: object) -> OsapiJobStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = OsapiJobStatus(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(OsapiJobStatus | str, data)

        status = _parse_status(d.pop("status"))

        created = d.pop("created", UNSET)

        updated_at = d.pop("updated_at", UNSET)

        _operation = d.pop("operation", UNSET)
        operation: OsapiOperation | Unset
        if isinstance(_operation, Unset):
            operation = UNSET
        else:
            operation = OsapiOperation.from_dict(_operation)

        result = d.pop("result", UNSET)

        def _parse_changed(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        changed = _parse_changed(d.pop("changed", UNSET))

        error = d.pop("error", UNSET)

        hostname = d.pop("hostname", UNSET)

        _responses = d.pop("responses", UNSET)
        responses: OsapiResponses | Unset
        if isinstance(_responses, Unset):
            responses = UNSET
        else:
            responses = OsapiResponses.from_dict(_responses)

        _agent_states = d.pop("agent_states", UNSET)
        agent_states: OsapiAgentStates | Unset
        if isinstance(_agent_states, Unset):
            agent_states = UNSET
        else:
            agent_states = OsapiAgentStates.from_dict(_agent_states)

        _timeline = d.pop("timeline", UNSET)
        timeline: list[OsapiTimelineEvent] | Unset = UNSET
        if _timeline is not UNSET:
            timeline = []
            for timeline_item_data in _timeline:
                timeline_item = OsapiTimelineEvent.from_dict(timeline_item_data)

                timeline.append(timeline_item)

        osapi_job = cls(
            id=id,
            status=status,
            created=created,
            updated_at=updated_at,
            operation=operation,
            result=result,
            changed=changed,
            error=error,
            hostname=hostname,
            responses=responses,
            agent_states=agent_states,
            timeline=timeline,
        )

        osapi_job.additional_properties = d
        return osapi_job

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
