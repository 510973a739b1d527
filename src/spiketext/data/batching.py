"""Mini-batches of positive embeddings `[B, D, L]` gathered on demand from ids `[N, L]` and a table `[V, D]`."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


def embed(ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """ids [B, L] int, table [V, D] -> [B, D, L] (channels first, as Conv1d wants)."""
    return torch.nn.functional.embedding(ids.long(), table).transpose(1, 2)


def iterate_batches(
    ids: np.ndarray,
    labels: np.ndarray,
    table: torch.Tensor,
    batch_size: int,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (x [B, D, L] float, y [B] int64) over one split.

    Shuffling draws a permutation from `generator` (seeded by the caller), so the order is reproducible.
    """
    n = len(ids)
    if shuffle:
        if generator is None:
            raise ValueError("shuffle=True needs a seeded torch.Generator")
        order = torch.randperm(n, generator=generator).numpy()
    else:
        order = np.arange(n)
    ids_t = torch.from_numpy(np.ascontiguousarray(ids))
    labels_t = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    for start in range(0, n, batch_size):
        idx = torch.from_numpy(order[start : start + batch_size])
        yield embed(ids_t[idx].to(table.device), table), labels_t[idx]
