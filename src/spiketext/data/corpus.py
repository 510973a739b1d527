"""Labelled corpora with train / dev / test splits, from a built-in data set or from your own files.

A `Corpus` holds raw texts and class ids per split, the label of each class id as written in the data, and a
record of how the splits were made (official, or seeded and stratified: docs/design.md §1.5).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spiketext.data.readers import Record, read_records
from spiketext.data.sources import DatasetSpec, locate_files
from spiketext.data.splits import indices_digest, stratified_split
from spiketext.errors import SpiketextError, located
from spiketext.settings.config import DEFAULT_READ, DEFAULT_SPLIT, ReadOptions, SplitSettings

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")


@dataclass
class Split:
    """One split: N texts with class ids [N] and where each came from (file, 1-based line)."""

    texts: list[str]
    labels: np.ndarray  # [N] int64
    lines: np.ndarray  # [N] int64
    source: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray) -> Split:
        return Split([self.texts[i] for i in index], self.labels[index], self.lines[index], self.source)


@dataclass
class Corpus:
    name: str
    language: str | None
    labels: list[str]  # class id -> label as written in the data
    splits: dict[str, Split]
    split_info: dict
    source: dict
    label_descriptions: list[str | None] = field(default_factory=list)
    max_len: int | None = None  # the data set's fixed L, if it has one
    skipped: dict[str, dict] = field(default_factory=dict)  # file -> {"rows": n, "lines": [...]}: empty texts
    # label -> {"rows", "lines", "reason"}: classes with fewer than RARE_CLASS_ROWS training rows (`rare_classes`)
    rare: dict[str, dict] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.labels)


def label_order(raw: list[str]) -> list[str]:
    """Class order: numeric labels by value ("-1" < "0" < "1"), other labels alphabetically."""
    distinct = set(raw)
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return sorted(distinct)


def _to_split(records: list[Record], label_ids: dict[str, int], path: Path, train_path: Path | None) -> Split:
    ids = np.empty(len(records), dtype=np.int64)
    for n, r in enumerate(records):
        if r.label not in label_ids:
            known = ", ".join(label_ids)
            where = f"the training file {train_path}" if train_path else "the data set's labels"
            raise located(
                path,
                r.line,
                f"label {r.label!r} never appears in {where} (labels: {known}); "
                "fix the label or add training examples of it",
            )
        ids[n] = label_ids[r.label]
    lines = np.array([r.line for r in records], dtype=np.int64)
    return Split([r.text for r in records], ids, lines, str(path))


def _carve(splits: dict[str, Split], splitting: SplitSettings) -> tuple[dict[str, Split], dict]:
    """Fill missing dev/test splits from train: test first (stream 0), then dev from the rest (stream 1)."""
    info: dict = {"seed": splitting.seed, "carved_from_train": []}
    train = splits["train"]
    for stream, (name, fraction) in enumerate((("test", splitting.test_fraction), ("dev", splitting.dev_fraction))):
        if name not in splits:
            rest, held = stratified_split(train.labels, fraction, splitting.seed, stream=stream)
            splits[name], train = train.subset(held), train.subset(rest)
            info["carved_from_train"].append(name)
            info[f"{name}_fraction"] = fraction
            info[f"{name}_digest"] = indices_digest(held)
    splits["train"] = train
    if not info["carved_from_train"]:
        return splits, {"kind": "given"}
    info["kind"] = "seeded-stratified"
    for name in SPLITS:
        if len(splits[name]) == 0:
            raise SpiketextError(
                f"split {name} is empty after a {int(100 * splitting.dev_fraction)}% stratified split; "
                "the data are too small: give more examples or pass --dev/--test files"
            )
    return {s: splits[s] for s in SPLITS}, info


def load_builtin(
    spec: DatasetSpec,
    data_dir: Path,
    cache_dir: Path,
    splitting: SplitSettings = DEFAULT_SPLIT,
) -> Corpus:
    """Read a built-in data set from its published files (downloading them if needed) and split it."""
    paths = locate_files(spec, data_dir, cache_dir)
    label_ids = {label: i for i, label in enumerate(spec.label_descriptions)}
    splits, skipped = {}, {}
    for split, fname in spec.splits.items():
        path = paths[fname]
        lines: list[int] = []
        # published files are read as published (their counts are checked against PROVENANCE.md)
        options = ReadOptions(spec.encoding, spec.text_column, spec.label_column, multiline=True)
        records = read_records(path, spec.fmt, options, skipped=lines)
        splits["train" if split == "all" else split] = _to_split(records, label_ids, path, None)
        if lines:
            skipped[str(path)] = _skip_record(lines)
    splits, info = _carve(splits, splitting)
    if spec.official_split:
        info = {"kind": "official"}
    info["sizes"] = {s: len(splits[s]) for s in SPLITS}
    return Corpus(
        name=spec.name,
        language=spec.language,
        labels=list(spec.label_descriptions),
        label_descriptions=list(spec.label_descriptions.values()),
        splits=splits,
        split_info=info,
        source={
            "title": spec.title,
            "citation": spec.citation,
            "url": spec.source,
            "files": {name: str(p) for name, p in paths.items()},
            "notes": list(spec.notes),
        },
        max_len=spec.max_len,
        skipped=skipped,
    )


RARE_CLASS_ROWS = 5  # a class seen in fewer training rows is reported (and refused with strict)


def rare_classes(records: list[Record], path: Path, strict: bool) -> dict[str, dict]:
    """Classes with fewer than RARE_CLASS_ROWS training rows, or seen only in the file's last row (a row cut off
    mid-label adds a class of its own): a warning that names them (recorded in data.json), or with `strict` an
    error naming the line."""
    lines: dict[str, list[int]] = {}
    for r in records:
        lines.setdefault(r.label, []).append(r.line)
    last = records[-1].line if records else None
    rare = {}
    for label, where in lines.items():
        if len(where) >= RARE_CLASS_ROWS and where != [last]:
            continue
        cut = where == [last]
        reason = "only in the file's last row (cut off?)" if cut else f"fewer than {RARE_CLASS_ROWS} training rows"
        rare[label] = {"rows": len(where), "lines": where[:20], "reason": reason}
        if strict:
            raise located(
                path,
                where[0],
                f"label {label!r} occurs in {len(where)} training row(s), {reason}; fix or remove the row(s), or "
                "leave out --strict to keep the class (it is then reported)",
            )
    for label, r in rare.items():
        log.warning(
            "%s: label %r occurs in %d training row(s) (lines %s), %s; the model gets a class for it",
            path, label, r["rows"], ", ".join(map(str, r["lines"][:5])), r["reason"],
        )  # fmt: skip
    return rare


def _skip_record(lines: list[int]) -> dict:
    return {"rows": len(lines), "reason": "empty text", "first_lines": lines[:20]}


def load_files(
    train: str | Path,
    dev: str | Path | None = None,
    test: str | Path | None = None,
    options: ReadOptions = DEFAULT_READ,
    splitting: SplitSettings = DEFAULT_SPLIT,
) -> Corpus:
    """Your own data: CSV/TSV with a header, JSONL, or `label text` lines (format from the extension).

    Class ids come from the training file's labels (see `label_order`); dev/test labels must occur there.
    A missing dev or test split is carved from train, seeded and stratified.
    """
    train_path = Path(train)
    given = {"train": train_path, "dev": dev and Path(dev), "test": test and Path(test)}
    records, skipped = {}, {}
    for s, p in given.items():
        if p:
            lines: list[int] = []
            records[s] = read_records(p, None, options, lines)
            if lines:
                skipped[str(p)] = _skip_record(lines)
    labels = label_order([r.label for r in records["train"]])
    if len(labels) < 2:
        raise located(train_path, None, f"only one label ({labels[0]!r}) in the training file; a classifier needs 2+")
    rare = rare_classes(records["train"], train_path, options.strict)
    if 0 < len(rare) < len(labels):  # rare classes last: where scores tie, class 0 is never one of them
        labels = [x for x in labels if x not in rare] + [x for x in labels if x in rare]
    label_ids = {label: i for i, label in enumerate(labels)}
    splits = {s: _to_split(recs, label_ids, given[s], train_path) for s, recs in records.items()}
    splits, info = _carve(splits, splitting)
    info["sizes"] = {s: len(splits[s]) for s in SPLITS}
    return Corpus(
        name=train_path.stem,
        language=None,
        labels=labels,
        label_descriptions=[None] * len(labels),
        splits=splits,
        split_info=info,
        source={"files": {s: str(p) for s, p in given.items() if p}},
        skipped=skipped,
        rare=rare,
    )
