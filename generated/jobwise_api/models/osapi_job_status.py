from enum import StrEnum


class OsapiJobStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIAL_FAILURE = "partial_failure"
    PROCESSING = "processing"
    SKIPPED = "skipped"
    SUBMITTED = "submitted"

    def __str__(self) -> str:
        return str(self.value)
