"""The training loop: dev selection, resume with the metrics reconciled, a damaged state refused, NaN stops."""

import numpy as np
import pytest
import torch

from spiketext.core.models.architecture import Architecture
from spiketext.core.models.textcnn import TailoredTextCNN, init_linear_weights
from spiketext.core.runtime import generator
from spiketext.errors import SpiketextError
from spiketext.runs.train import FitSettings, accuracy, cnn_logits, cnn_loss, fit


def task(n=64, dim=4, length=6):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, n)
    table = torch.rand(10, dim, generator=torch.Generator().manual_seed(0))
    ids = rng.integers(1, 10, (n, length))
    ids[:, 0] = np.where(labels == 1, 2, 3)  # a separable cue
    return ids, labels, table


def model():
    m = TailoredTextCNN(Architecture(4, 2, num_filters=4, kernel_sizes=(2,), neurons_per_class=2, dropout=0.0))
    init_linear_weights(m, generator(0))
    return m


class Killed(Exception):
    pass


def train(state_dir, epochs, lr=0.05, kill_at=None):
    ids, labels, table = task()
    m = model()
    seen = []

    def on_epoch(entry, history):
        if entry["epoch"] == kill_at:
            raise Killed  # the state of this epoch is saved; its metrics line never gets written
        seen.append(list(history))

    res = fit(
        m,
        cnn_loss(),
        lambda mm: accuracy(cnn_logits(mm, ids, table), labels),
        train_ids=ids,
        train_labels=labels,
        table=table,
        settings=FitSettings(epochs=epochs, lr=lr, weight_decay=0.0, batch_size=16, seed=1, stage="cnn"),
        state_dir=state_dir,
        on_epoch=on_epoch,
        on_history=lambda history: seen.append(list(history)),
    )
    return m, res, seen


def test_resume_hands_back_the_saved_history(tmp_path):
    with pytest.raises(Killed):
        train(tmp_path, 3, kill_at=2)
    # on resume the saved history (epochs 1 and 2) comes back first, so epoch 2's metrics line is not lost
    _, res3, seen = train(tmp_path, 3)
    assert [h["epoch"] for h in seen[0]] == [1, 2] and [h["epoch"] for h in res3.history] == [1, 2, 3]
    _, clean, _ = train(tmp_path / "clean", 3)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in clean.history]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in res3.history]


def test_a_diverging_loss_stops_the_run(tmp_path):
    with pytest.raises(SpiketextError, match=r"stage cnn, epoch 1: the training loss became nan"):
        train(tmp_path, 2, lr=1e30)


def test_best_dev_weights_are_loaded(tmp_path):
    m, res, _ = train(tmp_path, 4)
    ids, labels, table = task()
    assert accuracy(cnn_logits(m, ids, table), labels) == pytest.approx(res.best_dev)
    assert res.best_epoch == 1 + int(np.argmax([h["dev_acc"] for h in res.history]))
