"""Readers for labelled text files: `label text` lines, CSV / TSV with a header, and JSON Lines.

Every reader returns `Record`s that remember their line number, so a later check (an empty text, a label never
seen in training) can name the exact place to fix. Built-in data sets go through the same readers with their
published quirks spelled out in `sources.DatasetSpec` (cp1252 for MR and Subj; TSV for ChnSenti; quoted CSV for
Waimai). CSV parsing uses the standard `csv` module.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from spiketext.errors import SpiketextError, located

TEXT_COLUMNS = ("text", "sentence", "review", "text_a", "content", "comment", "document", "sent", "utterance")
LABEL_COLUMNS = ("label", "labels", "class", "sentiment", "category", "target", "polarity", "y")


@dataclass(frozen=True)
class Record:
    text: str
    label: str
    line: int  # 1-based line in the source file where the record starts


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


def read_text(path: Path, encoding: str) -> str:
    """Decode a whole file; undecodable bytes raise an error naming the line, column and byte."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise SpiketextError(f"{path}: file not found; check the path") from e
    except OSError as e:
        raise SpiketextError(f"{path}: cannot read ({e.strerror})") from e
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
    # can contain (DESIGN: MR has 23 of them).
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _record(path: Path, line: int, text: str | None, label: object) -> Record:
    text = (text or "").strip()
    label_str = "" if label is None else str(label).strip()
    if not text:
        raise located(path, line, "empty text; remove the line or fill in the text")
    if not label_str:
        raise located(path, line, "empty label; every example needs a label")
    return Record(text=text, label=label_str, line=line)


def read_label_text(path: Path, encoding: str = "utf-8") -> list[Record]:
    """`<label> <text>` per line, split on the first white space; blank lines are skipped."""
    records = []
    for i, raw in enumerate(_lines(read_text(path, encoding)), start=1):
        if not raw.strip():
            continue
        parts = raw.strip().split(None, 1)
        if len(parts) < 2:
            raise located(path, i, f"expected '<label> <text>', found only {parts[0]!r}; add the text or the label")
        records.append(_record(path, i, parts[1], parts[0]))
    return records


def _find_column(path: Path, header: list[str], given: str | None, candidates: tuple[str, ...], kind: str) -> int:
    lowered = [h.strip().lower() for h in header]
    if given is not None:
        if given.strip().lower() in lowered:
            return lowered.index(given.strip().lower())
        raise located(path, 1, f"no column named {given!r} in header {header}; fix --{kind}-column")
    for name in candidates:
        if name in lowered:
            return lowered.index(name)
    raise located(
        path,
        1,
        f"no {kind} column found in header {header} (looked for {', '.join(candidates)}); name it with --{kind}-column",
    )


def read_delimited(
    path: Path,
    delimiter: str,
    encoding: str = "utf-8",
    text_column: str | None = None,
    label_column: str | None = None,
) -> list[Record]:
    """CSV (RFC 4180 quoting) or TSV (no quoting) with a header row naming the columns."""
    text = read_text(path, encoding)
    quoting = csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    try:
        header = next(reader)
    except StopIteration:
        raise located(path, 1, "the file is empty; a header row with text and label columns is expected") from None
    ti = _find_column(path, header, text_column, TEXT_COLUMNS, "text")
    li = _find_column(path, header, label_column, LABEL_COLUMNS, "label")
    records = []
    start = reader.line_num + 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
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
            records.append(_record(path, line, row[ti], row[li]))
    except csv.Error as e:
        raise located(path, reader.line_num, f"malformed CSV ({e}); check the quoting") from e
    return records


def read_jsonl(
    path: Path, encoding: str = "utf-8", text_column: str | None = None, label_column: str | None = None
) -> list[Record]:
    """One JSON object per line with a text and a label field."""
    records = []
    for i, raw in enumerate(_lines(read_text(path, encoding)), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            raise located(path, i, f"not valid JSON ({e.msg} at column {e.colno}); one object per line") from e
        if not isinstance(obj, dict):
            raise located(path, i, "expected a JSON object with a text and a label field")
        keys = list(obj.keys())
        ti = _find_column(path, keys, text_column, TEXT_COLUMNS, "text")
        li = _find_column(path, keys, label_column, LABEL_COLUMNS, "label")
        text = obj[keys[ti]]
        if text is not None and not isinstance(text, str):
            raise located(path, i, f"the text field {keys[ti]!r} must be a string")
        records.append(_record(path, i, text, obj[keys[li]]))
    return records


def read_records(
    path: Path,
    fmt: str | None = None,
    encoding: str = "utf-8",
    text_column: str | None = None,
    label_column: str | None = None,
) -> list[Record]:
    """Read any supported file; `fmt` None: from the extension (see `detect_format`)."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "label_text":
        records = read_label_text(path, encoding)
    elif fmt in ("csv", "tsv"):
        records = read_delimited(path, "," if fmt == "csv" else "\t", encoding, text_column, label_column)
    elif fmt == "jsonl":
        records = read_jsonl(path, encoding, text_column, label_column)
    else:
        raise SpiketextError(f"{path}: unknown format {fmt!r}; use csv, tsv, jsonl or label_text")
    if not records:
        raise SpiketextError(f"{path}: no examples found; the file holds no labelled lines")
    return records
