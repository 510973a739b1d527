"""Presets: every preset is a valid run on every built-in data set; a file overrides the preset and explicit
overrides the file; the paper preset keeps the authors' settings."""

import pytest

from spiketext.errors import SpiketextError
from spiketext.settings.config import BUILTIN_DATASETS, PAPER_CNN_LR
from spiketext.settings.presets import PRESETS, build_run_config


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("dataset", BUILTIN_DATASETS)
def test_every_preset_builds_on_every_dataset(preset, dataset):
    if PRESETS[preset].get("family") == "transformer" and dataset in ("chnsenti", "waimai"):
        with pytest.raises(SpiketextError, match="the transformer family is English only"):
            build_run_config(preset, overrides={"data": {"dataset": dataset}})
        return
    cfg = build_run_config(preset, overrides={"data": {"dataset": dataset}})
    assert cfg.data.dataset == dataset and cfg.cnn_lr() > 0 and cfg.snn.num_steps >= 1


def test_paper_preset_keeps_the_authors_settings():
    for dataset, lr in PAPER_CNN_LR.items():
        cfg = build_run_config("paper", overrides={"data": {"dataset": dataset}})
        assert cfg.cnn_lr() == lr
    cfg = build_run_config("paper", overrides={"data": {"dataset": "sst2"}})
    assert (cfg.snn.num_steps, cfg.snn.encoder, cfg.cnn.weight_decay, cfg.finetune.weight_decay) == (
        50,
        "bernoulli",
        0.0,
        0.0,
    )
    assert cfg.cnn.record_test and cfg.finetune.record_test  # for the authors' protocol rows, labelled as such


def test_file_overrides_preset_and_explicit_overrides_file(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("data:\n  dataset: mr\nsnn:\n  num_steps: 12\ncnn:\n  epochs: 7\n")
    cfg = build_run_config("efficient", path, overrides={"snn": {"num_steps": 20}})
    assert cfg.data.dataset == "mr" and cfg.cnn.epochs == 7  # the file over the preset (efficient: 30 epochs)
    assert cfg.snn.num_steps == 20  # the override over the file
    assert cfg.snn.encoder == "ttfs"  # the preset where neither says otherwise


def test_presets_are_not_changed_by_building():
    before = repr(PRESETS)
    build_run_config("quick", overrides={"data": {"dataset": "sst2"}, "cnn": {"epochs": 1}})
    assert repr(PRESETS) == before


def test_unknown_preset_names_the_choices():
    with pytest.raises(SpiketextError, match=r"unknown preset 'fast'; choose one of paper, spiketext, quick"):
        build_run_config("fast", overrides={"data": {"dataset": "sst2"}})
