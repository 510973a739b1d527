"""The six published data sets, read as they are: counts must equal each PROVENANCE.md."""

import numpy as np
import pytest

from spiketext import api
from spiketext.settings.config import DataConfig

# split -> class counts, from ../shared/data/*/PROVENANCE.md (official splits) or the whole file.
PROVENANCE = {
    "sst2": {"train": [3310, 3610], "dev": [428, 444], "test": [912, 909]},
    "sst5": {
        "train": [1092, 2218, 1624, 2322, 1288],
        "dev": [139, 289, 229, 279, 165],
        "test": [279, 633, 389, 510, 399],
    },
    "chnsenti": {"train": [4802, 4798], "dev": [610, 590], "test": [598, 602]},
    "mr": {"all": [5331, 5331]},
    "subj": {"all": [5000, 5000]},
    "waimai": {"all": [7987, 4000]},
}


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_counts_match_provenance(shared_data, name):
    corpus = api.load_corpus(DataConfig(dataset=name, data_dir=str(shared_data)))
    counts = {s: np.bincount(sp.labels, minlength=corpus.num_classes).tolist() for s, sp in corpus.splits.items()}
    expected = PROVENANCE[name]
    if "all" in expected:
        total = np.sum([counts[s] for s in counts], axis=0).tolist()
        assert total == expected["all"]
        n = sum(expected["all"])
        # Seeded stratified: 10% test, then 10% of the rest as dev, per class.
        assert len(corpus.splits["test"]) == sum(round(0.1 * c) for c in expected["all"])
        assert corpus.split_info["kind"] == "seeded-stratified"
        assert sum(len(sp) for sp in corpus.splits.values()) == n
    else:
        assert counts == expected
        assert corpus.split_info["kind"] == "official"


def test_mr_and_subj_cp1252_line_counts(shared_data):
    for name, n in (("mr", 10662), ("subj", 10000)):
        corpus = api.load_corpus(DataConfig(dataset=name, data_dir=str(shared_data)))
        assert sum(len(sp) for sp in corpus.splits.values()) == n
    texts = [
        t
        for sp in api.load_corpus(DataConfig(dataset="mr", data_dir=str(shared_data))).splits.values()
        for t in sp.texts
    ]
    assert sum("\u2026" in t for t in texts) > 0  # byte 0x85 decoded as cp1252's ellipsis, not a line break


def test_chnsenti_label_with_leading_spaces(shared_data):
    corpus = api.load_corpus(DataConfig(dataset="chnsenti", data_dir=str(shared_data)))
    test = corpus.splits["test"]
    i = int(np.flatnonzero(test.lines == 419)[0])  # the row whose label is "    0"
    assert test.labels[i] == 0 and test.texts[i].startswith("环境很不好")


def test_split_determinism_on_waimai(shared_data):
    a = api.load_corpus(DataConfig(dataset="waimai", data_dir=str(shared_data), split_seed=5))
    b = api.load_corpus(DataConfig(dataset="waimai", data_dir=str(shared_data), split_seed=5))
    assert a.split_info == b.split_info and a.splits["dev"].texts == b.splits["dev"].texts
    # the file is sorted by label: a stratified split still has both classes in every split
    assert all(len(np.unique(sp.labels)) == 2 for sp in a.splits.values())
