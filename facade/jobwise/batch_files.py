"""Batch inputs from text, CSV or JSONL files, and results written whole as JSON lines."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from jobwise.batch_state import Row
from jobwise.errors import InvalidArgumentError

FORMATS = ("txt", "csv", "jsonl")


def file_format(path: str, given: str | None) -> str:
    """``given``, else the file's extension (.csv, .jsonl/.ndjson), else text."""
    if given is not None:
        if given not in FORMATS:
            raise InvalidArgumentError("--format", f"must be one of {', '.join(FORMATS)}")
        return given
    lower = path.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return "txt"


def read_inputs(path: str, input_name: str, fmt: str) -> Iterator[Any]:
    """Each input, lazily: a line of text, a CSV row's ``input_name`` column (else its first
    column), or a JSONL line (an object of input name to value(s), or a plain string)."""
    with open(path, encoding="utf-8", newline="") as handle:
        if fmt == "txt":
            for line in handle:
                text = line.rstrip("\r\n")
                if text.strip():
                    yield {input_name: text}
        elif fmt == "csv":
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            column = header.index(input_name) if input_name in header else 0
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield {input_name: row[column] if column < len(row) else ""}
        else:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    raise InvalidArgumentError(
                        "FILE", f"{path}:{number} is not valid JSON"
                    ) from None
                yield value if isinstance(value, dict) else {input_name: value}


def count_inputs(path: str, input_name: str, fmt: str) -> int:
    """How many inputs the file holds (one cheap pass, for the progress bar's total)."""
    return sum(1 for _ in read_inputs(path, input_name, fmt))


def result_line(row: Row) -> dict[str, Any]:
    """One output line: index, status, job_id, and suggestion or error."""
    line: dict[str, Any] = {"index": row.index, "status": row.status, "job_id": row.job_id}
    if row.status == "completed":
        line["suggestion"] = row.suggestion
    else:
        line["error"] = row.error if row.status != "pending" else "not finished: run again"
    if row.candidates:
        line["candidates"] = row.candidates
    line["inputs"] = row.inputs
    return line


def write_results(path: str, rows: Iterable[Row]) -> int:
    """Write every row as a JSON line, atomically (a temporary file renamed into place)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".jobwise-", suffix=".tmp")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(result_line(row), ensure_ascii=False) + "\n")
                count += 1
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return count
