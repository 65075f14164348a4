from enum import StrEnum


class OsapiJobStatusFilter(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL_FAILURE = "partial_failure"
    PROCESSING = "processing"
    SUBMITTED = "submitted"

    def __str__(self) -> str:
        return str(self.value)
