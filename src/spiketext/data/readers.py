"""Readers for labelled text files: `label text` lines, CSV / TSV with a header, and JSON Lines.

Every reader returns `Record`s that remember their line number, so a later check (an empty text, a label never
seen in training) can name the exact place to fix. Built-in data sets go through the same readers with their
published quirks spelled out in `sources.DatasetSpec` (cp1252 for MR and Subj; TSV for ChnSenti; quoted CSV for
Waimai). CSV parsing uses the standard `csv` module.

Rows with an empty text are skipped and reported (their line numbers go to the caller's `skipped` list), or, with
`strict`, stop the read with the line. A quoted CSV field that runs over several lines is refused unless
`multiline` is allowed: one stray quote would otherwise swallow every line up to the next quote.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from spiketext.errors import SpiketextError, located
from spiketext.settings.config import DEFAULT_READ, ReadOptions

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("text", "sentence", "review", "text_a", "content", "comment", "document", "sent", "utterance")
LABEL_COLUMNS = ("label", "labels", "class", "sentiment", "category", "target", "polarity", "y")


@dataclass(frozen=True)
class Record:
    text: str
    label: str
    line: int  # 1-based line in the source file where the record starts


# Labels that are a missing-value marker in CSV/TSV exports (pandas' default NA strings among them), never a class.
MISSING_LABELS = frozenset({"nan", "-nan", "na", "n/a", "null", "inf", "-inf"})


def detect_format(path: Path) -> str:
    """File format from the extension: csv, tsv, jsonl; anything else is `label text` lines."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    return "label_text"


MAX_FILE_BYTES = 4 << 30  # a labelled text file larger than this is almost surely not one


def read_text(path: Path, encoding: str) -> str:
    """Decode a whole file; undecodable bytes raise an error naming the line, column and byte."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise SpiketextError(f"{path}: is {what}; give a text file of labelled examples")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpiketextError(f"{path}: {path.stat().st_size:,} bytes is too large for a text data file")
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise SpiketextError(f"{path}: file not found; check the path") from e
    except OSError as e:
        raise SpiketextError(f"{path}: cannot read ({e.strerror})") from e
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") and not encoding.lower().replace("-", "").startswith("utf16"):
        raise SpiketextError(
            f"{path}: the file starts with a UTF-16 byte-order mark; pass --encoding utf-16 or re-save it as UTF-8"
        )
    if b"\x00" in data[:4096] and not encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        raise SpiketextError(f"{path}: holds NUL bytes; it looks binary, not a text file of labelled examples")
    try:
        text = data.decode(encoding)
    except LookupError as e:
        raise SpiketextError(f"{path}: unknown encoding {encoding!r}; pass e.g. --encoding utf-8") from e
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise located(
            path,
            line,
            f"byte 0x{data[e.start]:02x} at column {column} is not valid {encoding}; re-save the file as "
            f"{encoding} or pass the file's encoding with --encoding (e.g. cp1252)",
        ) from e
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _lines(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines() would also split on U+0085 and similar, which cp1252/latin-1 text
    # can contain (MR has 23 of them: data/mr/PROVENANCE.md).
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


class _Rows:
    """Collects records; an empty text is skipped (its line kept in `skipped`) or, if strict, an error."""

    def __init__(self, path: Path, strict: bool, skipped: list[int] | None) -> None:
        self.path, self.strict, self.records = path, strict, []
        self.skipped = skipped if skipped is not None else []

    def add(self, line: int, text: str | None, label: object) -> None:
        text = (text or "").strip()
        if isinstance(label, (dict, list)):
            raise located(self.path, line, f"the label {json.dumps(label)} is not a single value; give one label")
        if isinstance(label, float) and not math.isfinite(label):
            raise located(self.path, line, f"the label is {label}, not a class; give every example a label")
        label_str = "" if label is None else str(label).strip()
        if not label_str:
            raise located(self.path, line, "empty label; every example needs a label")
        if label_str.lower() in MISSING_LABELS:
            # what a spreadsheet or pandas writes for a missing value: refused as a JSON NaN is, never a class
            raise located(self.path, line, f"the label {label_str!r} marks a missing value, not a class; give every "
                          "example a label")  # fmt: skip
        if not text:
            if self.strict:
                raise located(self.path, line, "empty text; remove the line or fill in the text (strict mode)")
            self.skipped.append(line)
            return
        self.records.append(Record(text=text, label=label_str, line=line))


def read_label_text(
    path: Path, encoding: str = "utf-8", strict: bool = False, skipped: list[int] | None = None
) -> list[Record]:
    """`<label> <text>` per line, split on the first white space; blank lines are skipped."""
    rows = _Rows(path, strict, skipped)
    for i, raw in enumerate(_lines(read_text(path, encoding)), start=1):
        if not raw.strip():
            continue
        parts = raw.strip().split(None, 1)
        if len(parts) < 2:
            if strict:
                raise located(path, i, "expected '<label> <text>', found only one field; add the text or the label")
            rows.skipped.append(i)
            continue
        rows.add(i, parts[1], parts[0])
    return rows.records


def _find_column(
    path: Path, header: list[str], given: str | None, candidates: tuple[str, ...], kind: str, line: int = 1
) -> int:
    lowered = [h.strip().lower() for h in header]
    if given is not None:
        if given.strip().lower() in lowered:
            return lowered.index(given.strip().lower())
        raise located(path, line, f"no column named {given!r} in header {header}; fix --{kind}-column")
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    raise located(
        path,
        line,
        f"no {kind} column found in header {header} (looked for {', '.join(candidates)}); name it with --{kind}-column",
    )


def read_delimited(
    path: Path, delimiter: str, options: ReadOptions = DEFAULT_READ, skipped: list[int] | None = None
) -> list[Record]:
    """CSV (RFC 4180 quoting) or TSV (no quoting) with a header row naming the columns."""
    text = read_text(path, options.encoding)
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = next(reader)
    except StopIteration:
        raise located(path, 1, "the file is empty; a header row with text and label columns is expected") from None
    ti = _find_column(path, header, options.text_column, TEXT_COLUMNS, "text")
    li = _find_column(path, header, options.label_column, LABEL_COLUMNS, "label")
    rows = _Rows(path, options.strict, skipped)
    start = reader.line_num + 1
    limit = csv.field_size_limit()
    csv.field_size_limit(1 << 30)  # a long review is a legitimate field; restored below (process-wide setting)
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if reader.line_num > line and not options.multiline:
                raise located(
                    path,
                    line,
                    f"a quoted field runs over {reader.line_num - line + 1} lines (to line {reader.line_num}): an "
                    'unclosed quote? Close it or write a quote inside a field as ""; if texts really span lines, '
                    "set data.multiline=true",
                )
            if len(row) > len(header) and ti == len(header) - 1:
                # A TSV text may itself contain tabs; the text column is last, so rejoin them.
                row = row[:ti] + [delimiter.join(row[ti:])]
            if len(row) != len(header):
                raise located(
                    path,
                    line,
                    f"expected {len(header)} fields like the header, found {len(row)}; "
                    "quote fields that contain the delimiter",
                )
            rows.add(line, row[ti], row[li])
    except csv.Error as e:
        raise located(path, reader.line_num, f"malformed CSV ({e}); check the quoting") from e
    finally:
        csv.field_size_limit(limit)
    return rows.records


def read_jsonl(path: Path, options: ReadOptions = DEFAULT_READ, skipped: list[int] | None = None) -> list[Record]:
    """One JSON object per line with a text and a label field."""
    rows = _Rows(path, options.strict, skipped)
    for i, raw in enumerate(_lines(read_text(path, options.encoding)), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise located(path, i, f"not valid JSON ({e.msg} at column {e.colno}); one object per line") from e
        if not isinstance(obj, dict):
            raise located(path, i, "expected a JSON object with a text and a label field")
        keys = list(obj.keys())
        ti = _find_column(path, keys, options.text_column, TEXT_COLUMNS, "text", line=i)
        li = _find_column(path, keys, options.label_column, LABEL_COLUMNS, "label", line=i)
        text = obj[keys[ti]]
        if text is not None and not isinstance(text, str):
            raise located(path, i, f"the text field {keys[ti]!r} must be a string")
        rows.add(i, text, obj[keys[li]])
    return rows.records


def read_records(
    path: Path, fmt: str | None = None, options: ReadOptions = DEFAULT_READ, skipped: list[int] | None = None
) -> list[Record]:
    """Read any supported file; `fmt` None: from the extension (see `detect_format`).

    Lines of rows skipped for an empty text are appended to `skipped` (with `strict`, such a row is an error).
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    skipped = skipped if skipped is not None else []
    if fmt == "label_text":
        records = read_label_text(path, options.encoding, options.strict, skipped)
    elif fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        records = read_delimited(path, delimiter, options, skipped)
    elif fmt == "jsonl":
        records = read_jsonl(path, options, skipped)
    else:
        raise SpiketextError(f"{path}: unknown format {fmt!r}; use csv, tsv, jsonl or label_text")
    if not records and skipped:
        raise SpiketextError(
            f"{path}: every one of its {len(skipped)} labelled row(s) has an empty text (lines "
            f"{', '.join(map(str, skipped[:5]))}{', ...' if len(skipped) > 5 else ''}); fill in the text column, or "
            "name the right one with --text-column"
        )
    if not records:
        raise SpiketextError(f"{path}: no examples found; the file holds no labelled lines")
    if skipped:
        first = ", ".join(map(str, skipped[:5])) + (", ..." if len(skipped) > 5 else "")
        log.warning("%s: skipped %d row(s) with an empty text (lines %s)", path, len(skipped), first)
    return records
