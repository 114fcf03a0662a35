"""Building blocks shared by the source parsers: reading lines, typing values, quarantine records.

Every parser is a generator over one inbox file that yields either `(table, row)` for a row
loaded into a raw table, or a `Quarantined` record. A parser raises `FileRejected` when the file
as a whole cannot be trusted. Rows carry `_line_number`; the writer adds the other lineage columns.

Value errors are raised as `RecordError(code, detail)`: the code is the machine-readable reason
of the data contract (`invalid_type`, `negative_value`, ...), the detail names the field and says
what was expected and what arrived.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import orjson

from ingestion.errors import FileRejected

# Longest line accepted (the contract's limit): a valid 10 MB line loads, a 65 MiB one does not.
MAX_LINE_BYTES = 64 * 1024 * 1024
# Quarantine payloads are capped so one huge bad line does not bloat the raw zone; the file hash
# and line number still point at the original.
MAX_PAYLOAD_CHARS = 1_000_000
# Timestamps further ahead than this (relative to the load time) are rejected.
FUTURE_TOLERANCE = timedelta(days=1)

# The largest integers the raw zone's int32 and int64 columns hold.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

UTF8_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 65536
_DATE_TIME_SEPARATORS = ("T", " ")


@dataclass(slots=True)
class Quarantined:
    """One rejected record (or, with `line_number=None`, a whole rejected file)."""

    line_number: int | None
    reason: str  # "<code>: <detail>"
    payload: str

    @property
    def code(self) -> str:
        """The machine-readable reason code, e.g. `invalid_type`."""
        return self.reason.split(":", 1)[0]


class RecordError(Exception):
    """A record breaks a rule of the contract; `code` is the quarantine reason code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def describe(value: object, limit: int = 80) -> str:
    """A short JSON rendering of a value for error messages: `"two"`, `-3`, `{"a": 1}`."""
    try:
        text = orjson.dumps(value, default=str).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type_name(value: object) -> str:
    """The JSON name of a Python value's type, for messages like `must be an object, got array`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def payload_text(raw: bytes | str) -> str:
    """Quarantine payload text: invalid UTF-8 replaced, capped at `MAX_PAYLOAD_CHARS`."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if len(text) > MAX_PAYLOAD_CHARS:
        return f"{text[:MAX_PAYLOAD_CHARS]}… [truncated: {len(text)} characters in all]"
    return text


def to_json_text(value: object) -> str:
    """Compact JSON text with sorted keys, for payloads and `*_json` columns."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=str).decode()


# --- Reading files ------------------------------------------------------------------------------


def is_gzip_name(path: Path) -> bool:
    """Whether the file is gzip-compressed by its name (`.gz`, any case)."""
    return path.name.lower().endswith(".gz")


_READ_BUFFER_BYTES = 1024 * 1024


def open_binary(path: Path) -> BinaryIO:
    """Open an inbox file for reading bytes, decompressing `.gz` transparently."""
    if is_gzip_name(path):
        # GzipFile reads 8 KiB at a time through Python-level calls (a line of telemetry takes
        # dozens); a 1 MiB buffer in front of it cut the cost of reading lines by about a third.
        return io.BufferedReader(gzip.open(path, "rb"), buffer_size=_READ_BUFFER_BYTES)
    return open(path, "rb", buffering=_READ_BUFFER_BYTES)


# Errors a damaged or mislabelled gzip stream raises while being read: EOFError for a truncated
# stream, BadGzipFile (an OSError) for a wrong magic number or CRC, zlib.error for corrupt data.
GZIP_ERRORS = (OSError, EOFError, zlib.error)


def iter_lines(path: Path) -> Iterator[tuple[int, bytes | None, bytes]]:
    """Yield `(line_number, line, raw)` for each line of a text file, 1-based.

    `line` is the line without its `\\n`/`\\r\\n` and (on line 1) without a UTF-8 byte-order mark,
    or None when the line is longer than `MAX_LINE_BYTES` (then `raw` holds its first bytes only
    and the rest is skipped). Lines are bytes: callers decode each one on its own, so one line of
    invalid UTF-8 is quarantined and the rest of the file still loads.

    Raises `FileRejected('unreadable_file')` for a truncated or corrupt gzip stream or a binary
    file (a NUL byte in the first 64 KiB: text exports never contain one).
    """
    limit = MAX_LINE_BYTES  # read at call time, so tests can lower it
    try:
        with open_binary(path) as stream:
            number = 0
            sniffed = 0
            while True:
                raw = stream.readline(limit + 2)  # + 2: room for a final "\r\n"
                if not raw:
                    return
                number += 1
                if number == 1 and raw.startswith(UTF8_BOM):
                    raw = raw[len(UTF8_BOM) :]
                if sniffed < _SNIFF_BYTES:
                    # Text exports never contain NUL: a NUL near the start means a binary file
                    # (an image, a Parquet or UTF-16 file) that would only yield noise line by line.
                    if b"\x00" in raw[: _SNIFF_BYTES - sniffed]:
                        raise FileRejected(
                            "unreadable_file", f"not a text file: line {number} contains NUL bytes"
                        )
                    sniffed += len(raw)
                if raw.endswith(b"\n"):
                    line = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
                else:
                    line = raw
                if len(line) > limit:
                    # Skip the rest of the over-long line without holding it in memory.
                    tail = raw
                    while tail and not tail.endswith(b"\n"):
                        tail = stream.readline(limit)
                    yield number, None, raw[:MAX_PAYLOAD_CHARS]
                    continue
                yield number, line, raw
    except GZIP_ERRORS as exc:
        raise FileRejected("unreadable_file", f"cannot read {path.name}: {exc}") from exc


def too_long_reason() -> str:
    """The quarantine reason of a line longer than `MAX_LINE_BYTES`."""
    return f"line_too_long: lines are accepted up to {MAX_LINE_BYTES} bytes"


def decode_utf8(line: bytes) -> str:
    """Decode one line as UTF-8, raising `RecordError('invalid_utf8')` with the byte offset."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(
            "invalid_utf8", f"byte {exc.start} is not valid UTF-8 ({exc.reason})"
        ) from exc


def parse_json_line(line: bytes) -> object:
    """Parse one JSON line, raising `invalid_utf8` or `invalid_json` record errors."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        # orjson reports invalid UTF-8 as a JSON error; tell the two apart for the contract.
        decode_utf8(line)
        raise RecordError("invalid_json", f"line is not valid JSON ({exc})") from exc


# --- Typed values -------------------------------------------------------------------------------


def utc_naive(dt: datetime) -> datetime:
    """A datetime as naive UTC; naive input is taken to be UTC already."""
    if dt.tzinfo is None:
        return dt
    return dt.astimezone(UTC).replace(tzinfo=None)


def parse_timestamp(value: object, field: str) -> datetime:
    """Parse an RFC 3339 timestamp (any offset) or `YYYY-MM-DD HH:MM:SS` (UTC) to naive UTC."""
    if value.__class__ is str and value[10:11] in _DATE_TIME_SEPARATORS:
        # Fast paths for the common forms, already UTC: `...Z` and `YYYY-MM-DD HH:MM:SS`.
        try:
            if value[-1:] == "Z":
                return datetime.fromisoformat(value[:-1])
            if len(value) == 19:
                return datetime.fromisoformat(value)
        except ValueError:
            pass  # the careful path below says what is wrong
    if isinstance(value, datetime):
        return utc_naive(value)
    if not isinstance(value, str):
        raise RecordError(
            "invalid_type", f"{field} must be a timestamp string, got {describe(value)}"
        )
    try:
        # upper(): RFC 3339 allows a lower-case "t" and "z", which fromisoformat does not.
        return utc_naive(datetime.fromisoformat(value.strip().upper()))
    except (ValueError, OverflowError) as exc:
        raise RecordError(
            "invalid_timestamp",
            f"{field} must be an RFC 3339 timestamp (or YYYY-MM-DD HH:MM:SS in UTC), "
            f"got {describe(value)}",
        ) from exc


def check_not_future(value: datetime | None, field: str, limit: datetime) -> None:
    """Reject a timestamp more than `FUTURE_TOLERANCE` ahead of the load time."""
    if value is not None and value > limit:
        raise RecordError(
            "timestamp_in_future",
            f"{field} {value.isoformat()} is more than 1 day after the load time "
            f"{(limit - FUTURE_TOLERANCE).isoformat(timespec='seconds')}",
        )


def check_order(
    earlier: datetime | None, earlier_field: str, later: datetime | None, later_field: str
) -> None:
    """Reject `later < earlier` (e.g. a run finished before it started)."""
    if earlier is not None and later is not None and later < earlier:
        raise RecordError(
            "end_before_start",
            f"{later_field} {later.isoformat()} is before {earlier_field} {earlier.isoformat()}",
        )


def load_limit(now: datetime) -> datetime:
    """The latest timestamp accepted when loading at `now`."""
    return now + FUTURE_TOLERANCE


def get_str(record: dict, key: str, *, required: bool = False) -> str | None:
    """A string field; empty is null. Raises `missing_field` or `invalid_type`."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return None
    if not isinstance(value, str):
        raise RecordError("invalid_type", f"{key} must be a string, got {describe(value)}")
    return value


def get_enum(
    record: dict, key: str, allowed: frozenset[str], *, required: bool = False
) -> str | None:
    """A string field restricted to `allowed`. Raises `unknown_enum` for any other value."""
    value = get_str(record, key, required=required)
    if value is not None and value not in allowed:
        raise RecordError(
            "unknown_enum",
            f"{key} must be one of {', '.join(sorted(allowed))}, got {describe(value)}",
        )
    return value


def get_int(
    record: dict,
    key: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int = INT32_MAX,
) -> int | None:
    """An integer field (a JSON integer; booleans and strings are not integers), by default one
    that fits the raw zone's int32."""
    value = record.get(key)
    if value is None:
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise RecordError("invalid_type", f"{key} must be an integer, got {describe(value)}")
    if minimum is not None and value < minimum:
        code = "negative_value" if value < 0 else "out_of_range"
        raise RecordError(code, f"{key} must be >= {minimum}, got {value}")
    if value > maximum:
        raise RecordError("out_of_range", f"{key} must be <= {maximum}, got {value}")
    return value


def get_number(record: dict, key: str, *, non_negative: bool = False) -> float | None:
    """A number field (JSON integer or float). Raises `invalid_type` or `negative_value`."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError("invalid_type", f"{key} must be a number, got {describe(value)}")
    if non_negative and value < 0:
        raise RecordError("negative_value", f"{key} must be >= 0, got {value}")
    return float(value)


def get_timestamp(
    record: dict, key: str, limit: datetime, *, required: bool = False
) -> datetime | None:
    """A timestamp field as naive UTC, not more than a day in the future; empty is null."""
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise RecordError("missing_field", f"{key} is required")
        return None
    # A run snapshot repeats its timestamps (a step ends when the next starts, a job with its
    # last step): each distinct text is parsed once. Only parsed strings are kept.
    parsed = _PARSED_TIMESTAMPS.get(value) if value.__class__ is str else None
    if parsed is None:
        parsed = parse_timestamp(value, key)
        if value.__class__ is str:
            if len(_PARSED_TIMESTAMPS) >= _PARSED_TIMESTAMPS_MAX:
                _PARSED_TIMESTAMPS.clear()
            _PARSED_TIMESTAMPS[value] = parsed
    check_not_future(parsed, key, limit)
    return parsed


# Timestamp text -> parsed value, for `get_timestamp` (bounded: cleared when full).
_PARSED_TIMESTAMPS: dict[str, datetime] = {}
_PARSED_TIMESTAMPS_MAX = 100_000


# --- CSV ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class CsvRecord:
    """One CSV record: `number` 0 is the header, then data rows 1, 2, ... (blank lines skipped).

    `problem` is a quarantine reason (`invalid_utf8`, `wrong_field_count`, ...) when the record
    cannot be trusted; `text` is its raw text for the quarantine payload.
    """

    number: int
    fields: list[str]
    text: str
    problem: str | None


class _CsvLines:
    """Decoded physical lines for `csv.reader`, remembering the raw text and problems of the
    record being read (csv asks for lines one at a time, never ahead of the current record, so
    each line is decoded on its own and one bad line spoils one record only)."""

    def __init__(self, path: Path) -> None:
        self._lines = iter_lines(path)
        self.raw: list[str] = []
        self.problem: str | None = None

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        number, line, raw = next(self._lines)
        if line is None:
            self.problem = self.problem or too_long_reason()
            self.raw.append(payload_text(raw))
            return "\n"
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problem = self.problem or (
                f"invalid_utf8: line {number}, byte {exc.start} is not valid UTF-8 ({exc.reason})"
            )
            text = raw.decode("utf-8", errors="replace")
        self.raw.append(text)
        return text

    def take(self) -> tuple[str, str | None]:
        """The raw text (without its final line end) and the problem of the record just read."""
        text, problem = "".join(self.raw).rstrip("\r\n"), self.problem
        self.raw, self.problem = [], None
        return text, problem


def iter_csv_records(path: Path) -> Iterator[CsvRecord]:
    """Stream a CSV file (gzip by name, BOM and CRLF accepted): the header first, then data rows.

    A data row with another number of fields than the header, or a line that is not valid UTF-8,
    comes with a `problem`. Raises `FileRejected('unreadable_file')` when the header cannot be
    read.
    """
    # A field may be as long as a line; the csv module's default cap is 128 KiB.
    csv.field_size_limit(MAX_LINE_BYTES)
    lines = _CsvLines(path)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise FileRejected("unreadable_file", f"not a CSV file: {exc}") from exc
    text, problem = lines.take()
    if problem is not None:
        raise FileRejected("unreadable_file", f"CSV header: {problem}")
    yield CsvRecord(0, header, text, None)
    width = len(header)
    number = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            text, _ = lines.take()
            yield CsvRecord(number, [], text, f"invalid_csv: {exc}")
            continue
        text, problem = lines.take()
        if not fields and problem is None:
            continue  # a blank line holds no record
        number += 1
        if problem is None and len(fields) != width:
            problem = (
                f"wrong_field_count: expected {width} fields as in the header, got {len(fields)}"
            )
        yield CsvRecord(number, fields, text, problem)
