"""Mini-batches (spiketext.data.batching): rows of the table gathered channels-first [B, D, L], every example once
per pass, a seeded shuffle reproducible and refused without a generator."""

import numpy as np
import pytest
import torch

from spiketext.data.batching import embed, iterate_batches


def table_and_ids():
    table = torch.arange(12, dtype=torch.float32).reshape(4, 3)  # [V 4, D 3]: row v holds 3v, 3v+1, 3v+2
    ids = np.array([[1, 2], [3, 0], [2, 2], [0, 1], [3, 3]], dtype=np.int32)  # [N 5, L 2]
    return table, ids


def test_embed_is_channels_first():
    table, ids = table_and_ids()
    x = embed(torch.from_numpy(ids[:1]), table)
    assert x.shape == (1, 3, 2)
    assert x[0].tolist() == [[3.0, 6.0], [4.0, 7.0], [5.0, 8.0]]  # column l is the row of word ids[0, l]


def test_batches_cover_the_split_once_in_order():
    table, ids = table_and_ids()
    labels = np.array([0, 1, 0, 1, 1])
    batches = list(iterate_batches(ids, labels, table, batch_size=2))
    assert [len(y) for _, y in batches] == [2, 2, 1]
    assert torch.cat([y for _, y in batches]).tolist() == labels.tolist()
    assert batches[0][0].dtype == torch.float32 and batches[0][1].dtype == torch.int64


def test_a_seeded_shuffle_is_reproducible_and_a_permutation():
    table, ids = table_and_ids()
    labels = np.arange(5)

    def order(seed):
        g = torch.Generator().manual_seed(seed)
        return torch.cat([y for _, y in iterate_batches(ids, labels, table, 2, shuffle=True, generator=g)]).tolist()

    assert order(3) == order(3) and sorted(order(3)) == [0, 1, 2, 3, 4]
    assert any(order(s) != order(3) for s in range(4, 10))
    with pytest.raises(ValueError, match="seeded torch.Generator"):
        next(iterate_batches(ids, labels, table, 2, shuffle=True))
