"""Figures: drawn with the object API (the caller's matplotlib backend is left alone), written atomically."""

import matplotlib
import pytest
import torch

from spiketext.viz import curves_figure, raster_figure, save_figure


@pytest.mark.slow
def test_figures_leave_the_backend_alone(tmp_path):
    before = matplotlib.get_backend()
    metrics = [{"stage": "cnn", "epoch": e, "dev_acc": 0.5 + e / 10, "train_loss": 1 / e} for e in (1, 2, 3)]
    save_figure(curves_figure(metrics), tmp_path / "curves.png")
    layers = {"input": (torch.rand(5, 6) < 0.3).float(), "output": (torch.rand(5, 4) < 0.3).float()}
    save_figure(raster_figure(layers, "a film", ["neg", "pos"]), tmp_path / "raster.png")
    assert matplotlib.get_backend() == before
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "raster.png").stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "raster.png"]  # no temporaries left
