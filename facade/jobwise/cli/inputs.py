"""Batch inputs from text, CSV or JSONL files (or stdin), each with its line number.

Files are read as UTF-8 (a byte-order mark is dropped) line by line, so a bad byte, a bad JSON
line or a bad CSV row is reported with its line number. ``-`` is stdin; it, and any other file
that is not a regular one (``/dev/stdin``, a pipe), can be read once only: it is read whole and
checked, held in memory, before anything is sent (:meth:`InputFile.buffer`).
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import logging
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from jobwise.cli.errors import UsageError
from jobwise.validation import unencodable

log = logging.getLogger("jobwise")

FORMATS = ("txt", "csv", "jsonl")
CSV_FIELD_LIMIT = 16 * 1024 * 1024
"""The longest CSV field read (the csv module's default, 131,072 characters, is too short)."""
MAX_LINE_BYTES = 4 * CSV_FIELD_LIMIT
"""The longest line read: a longest CSV field of 4-byte characters. A longer one is no input
(one job takes 1,000,000 characters): a binary file or a device such as /dev/zero, which read
whole filled the machine's memory."""


@dataclass(frozen=True)
class Input:
    """One input: its line (CSV: the line its row starts on), what is sent, and its cells."""

    line: int
    inputs: Any
    cells: list[str]


EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "txt"}


def file_format(path: str, given: str | None) -> str:
    """``given``, else the file's extension (.csv, .jsonl/.ndjson, .txt; none: text). Any other
    extension is refused: read as text, a .json array or a .tsv sheet went out one whole line
    a job."""
    if given is not None:
        return given
    extension = os.path.splitext(os.path.basename(path))[1].lower()
    if not extension:  # stdin, /dev/stdin, a file named "products"
        return "txt"
    if extension not in EXTENSIONS:
        hint = " (one JSON object per line is .jsonl)" if extension == ".json" else ""
        raise UsageError(
            f"FILE {path}: no input format is known by the extension {extension!r}{hint}; "
            f"pass --format {' or '.join(FORMATS)}"
        )
    return EXTENSIONS[extension]


def format_guessed(path: str, given: str | None) -> bool:
    """Whether FILE is read as text only for want of a format: no --format, no extension
    (stdin, /dev/stdin, a file named "products")."""
    return given is None and not os.path.splitext(os.path.basename(path))[1]


def _lookalike(text: str, input_name: str) -> str | None:
    """The format a first line of text betrays: ``jsonl`` (it opens a JSON object or array),
    ``csv`` (a header with an --input-name column), else None."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        return "jsonl"
    try:
        fields = next(csv.reader([stripped], skipinitialspace=True), [])
    except csv.Error:
        return None
    return "csv" if input_name.strip() in (field.strip() for field in fields) else None


def _refuse_lookalike(text: str, where: str, input_name: str) -> None:
    """Refuse a guessed text input whose first line looks like JSON or a CSV header: read as
    text, each whole line would go out as one job's input, the header too."""
    found = _lookalike(text, input_name)
    if found is None:
        return
    header = f"a CSV header (it has a column {input_name.strip()!r}, the --input-name)"
    what = "JSON" if found == "jsonl" else header
    raise UsageError(
        f"FILE {where}: looks like {what}, but without --format it is read as text, each whole "
        f"line one job's input; pass --format {found}, or --format txt to send each line as it is"
    )


def is_stream(path: str) -> bool:
    """Whether ``path`` can be read only once (stdin, a pipe, a device)."""
    if path == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _open(path: str) -> IO[bytes]:
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise UsageError("FILE -: stdin is closed; give a file of inputs, or pipe them in")
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise UsageError(f"FILE {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"FILE {path}: is a directory, not a file of inputs") from None
    except OSError as exc:
        raise UsageError(f"FILE {path}: cannot read it ({exc.strerror})") from None


class InputFile:
    """The inputs of one file, read once, lazily: iterate it for :class:`Input` items.

    A CSV header is read (and its column checked) when the file is opened, before anything
    is sent. ``columns`` names the cells of each input, for a CSV results file.
    """

    def __init__(
        self,
        path: str,
        fmt: str,
        input_name: str,
        *,
        header: bool = True,
        column: str | None = None,
        warn: bool = True,
        guessed: bool = False,
    ) -> None:
        if fmt not in FORMATS:
            raise UsageError(f"--format: must be one of {', '.join(FORMATS)}; got {fmt!r}")
        if (char := unencodable(input_name)) is not None:
            raise UsageError(
                f"--input-name: holds {char!a}, which UTF-8 cannot encode (a byte the "
                "command line could not decode)"
            )
        self.path, self.fmt, self.input_name = path, fmt, input_name
        self.name = "stdin" if path == "-" else path
        self._handle = _open(path)
        self._lines = self._decoded()
        self._csv: Any = None
        self._warned = not warn  # a JSONL object without the --input-name key, said once
        self._column = 0
        self._buffered: list[Input] | None = None
        self.columns: list[str] = [input_name] if fmt == "txt" else ["inputs"]
        try:
            if fmt == "csv":
                self._open_csv(header, column)
            elif fmt == "txt" and guessed:
                self._check_first_line()
        except BaseException:
            self.close()
            raise

    def _decoded(self) -> Iterator[str]:
        for number in itertools.count(1):
            raw = self._handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            if len(raw) > MAX_LINE_BYTES:
                raise UsageError(
                    f"FILE {self.name}:{number}: a line longer than {MAX_LINE_BYTES:,} bytes "
                    "is no input (a binary file?)"
                )
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise UsageError(
                    f"FILE {self.name}:{number}: not UTF-8 text (byte 0x{bad} at column "
                    f"{exc.start + 1}); convert it first, e.g. iconv -f latin1 -t utf-8"
                ) from None
            yield text

    def _check_first_line(self) -> None:
        """Peek at the first non-blank line (put back: stdin is read once) and refuse it when
        it looks like JSON or a CSV header."""
        seen: list[str] = []
        for text in self._lines:
            seen.append(text)
            if text.strip():
                _refuse_lookalike(text, f"{self.name}:{len(seen)}", self.input_name)
                break
        self._lines = itertools.chain(seen, self._lines)

    def _open_csv(self, header: bool, column: str | None) -> None:
        csv.field_size_limit(CSV_FIELD_LIMIT)
        # Strict: a stray quote is an error on its line, not rows silently merged into one
        # input up to the next quote (or the end of the file).
        self._csv = csv.reader(self._lines, strict=True)
        wanted = column if column is not None else (None if not header else self.input_name)
        if not header:
            number = _column_number(wanted or "1", "--column (with --no-header)")
            self._column = number - 1
            self.columns = []  # named from the first row's width
            return
        first = self._next_row()
        if first is None:
            self.columns = [self.input_name]
            return
        names = [name.strip() for name in first[1]]
        self.columns = names
        assert wanted is not None
        if wanted.strip() in names:
            self._column = names.index(wanted.strip())
        elif column is not None and column.isdigit() and 1 <= int(column) <= len(names):
            self._column = int(column) - 1
        else:
            found = ", ".join(repr(name) for name in names)
            flag = "--column" if column is not None else "--input-name"
            raise UsageError(
                f"FILE {self.name}: no column {wanted!r} ({flag}) in the header; columns found: "
                f"{found}; pick one with --column NAME, or pass --no-header if row 1 is data"
            )

    def _next_row(self) -> tuple[int, list[str]] | None:
        """The next non-blank CSV row and the line it starts on."""
        reader = self._csv
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    problem = f"a field is longer than {csv.field_size_limit():,} characters"
                elif "unexpected end of data" in str(exc):
                    problem = "a quote opened in this row is never closed (not valid CSV)"
                else:
                    problem = f"not valid CSV ({exc})"
                raise UsageError(f"FILE {self.name}:{start}: {problem}") from None
            if row and any(cell.strip() for cell in row):
                return start, row

    def buffer(self) -> int:
        """Read and check every input now, to be iterated from memory: a file read once
        (stdin, a pipe) is so refused for a bad line before any of it is sent. Returns how
        many inputs it holds."""
        self._buffered = list(self._read())
        return len(self._buffered)

    def __iter__(self) -> Iterator[Input]:
        if self._buffered is not None:
            return iter(self._buffered)
        return self._read()

    def _read(self) -> Iterator[Input]:
        if self.fmt == "csv":
            while (found := self._next_row()) is not None:
                line, row = found
                if not self.columns:
                    self.columns = [f"column {n}" for n in range(1, len(row) + 1)]
                value = row[self._column] if self._column < len(row) else ""
                yield Input(line, {self.input_name: [value]}, row)
            return
        for number, text in enumerate(self._lines, 1):
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            if self.fmt == "txt":
                yield Input(number, {self.input_name: [text]}, [text])
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise UsageError(
                    f"FILE {self.name}:{number}: not valid JSON ({exc.args[0].split(':')[0]})"
                ) from None
            if "\\u" in text:  # decoded UTF-8 holds no lone surrogate: only an escape makes one
                self._check_encodable(value, number)
            if isinstance(value, dict):
                inputs = value
                if not self._warned and self.input_name not in value:
                    self._warned = True  # once: the file's objects are likely all alike
                    log.warning(
                        "jobwise: %s:%d: the object has no %r key (--input-name); objects are "
                        "sent with their own keys (%s)",
                        self.name,
                        number,
                        self.input_name,
                        ", ".join(repr(key) for key in list(value)[:5]) or "none",
                    )
            else:
                inputs = {self.input_name: _listed(value)}
            yield Input(number, inputs, [text])

    def _check_encodable(self, value: Any, number: int) -> None:
        """Refuse line ``number`` when a string in it cannot be encoded (a lone surrogate):
        it could be neither recorded nor sent."""
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            char = ascii(exc.object[exc.start])
            raise UsageError(
                f"FILE {self.name}:{number}: holds {char}, a lone surrogate (an unpaired \\u "
                "escape) that UTF-8 cannot encode; fix or remove the line"
            ) from None

    def close(self) -> None:
        """Close the file (never stdin)."""
        if self.path != "-":
            with contextlib.suppress(OSError):
                self._handle.close()

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _column_number(text: str, flag: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{flag}: expected a column number from 1; got {text!r}")
    return int(text)


def count_inputs(path: str, fmt: str, input_name: str, **options: Any) -> int:
    """How many inputs a regular file holds: a first pass that also checks every line."""
    with InputFile(path, fmt, input_name, **options) as found:
        return sum(1 for _ in found)


def _listed(value: Any) -> Any:
    return value if isinstance(value, list) else [value]
