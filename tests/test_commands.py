"""The subcommands' glue (spiketext.cli.commands): parsed options become the typed settings of their verb, every
data option reaches DataConfig, --set and the named options reach RunConfig, user text is echoed safely."""

import dataclasses

import pytest

from spiketext.cli.commands import _DATA_OPTIONS, _config, _data_config, _run_config, _safe
from spiketext.cli.parser import build_parser
from spiketext.errors import SpiketextError
from spiketext.settings.config import DataConfig
from spiketext.settings.verbs import AttackConfig, EnergyConfig, RunSettings


def test_control_characters_are_shown_escaped_never_run():
    assert _safe("good\x1b[31m red") == "good\\x1b[31m red"
    assert _safe("tab\there\nline") == "tab\\there\\nline"
    assert _safe("普通 text") == "普通 text"


def test_every_data_option_reaches_the_data_config():
    assert set(_DATA_OPTIONS) <= {f.name for f in dataclasses.fields(DataConfig)}
    args = build_parser().parse_args(
        [
            "data",
            "describe",
            "--train",
            "a.csv",
            "--text-column",
            "review",
            "--max-len",
            "12",
            "--clip",
            "2.5",
            "--encoding",
            "cp1252",
            "--split-seed",
            "3",
            "--strict",
        ]  # fmt: skip
    )
    d = _data_config(args)
    assert (d.train, d.text_column, d.max_len, d.clip, d.encoding, d.split_seed, d.strict) == (
        "a.csv", "review", 12, 2.5, "cp1252", 3, True
    )  # fmt: skip
    assert d.dev is None and d.embeddings is None  # options not given keep DataConfig's defaults
    with pytest.raises(SpiketextError, match="two data set names given"):
        _data_config(build_parser().parse_args(["data", "describe", "mr", "--dataset", "sst2"]))


def test_run_options_and_sets_build_the_run_config():
    args = build_parser().parse_args(
        [
            "run",
            "--dataset",
            "sst2",
            "--preset",
            "quick",
            "--seed",
            "4",
            "--set",
            "cnn.lr=0.01",
            "--set",
            "snn.num_steps=12",
            "--set",
            "finetune.epochs=2",
        ]  # fmt: skip
    )
    cfg = _run_config(args)
    assert cfg.seed == 4 and cfg.cnn.lr == 0.01 and cfg.snn.num_steps == 12 and cfg.finetune.epochs == 2
    assert cfg.data.dataset == "sst2"
    assert RunSettings(set=("a.c=true", "a.b=2.5")).overrides({}) == {"data": {}, "a": {"c": True, "b": 2.5}}
    with pytest.raises(SpiketextError, match="--set 'seed': write it as key=value"):
        RunSettings(set=("seed",))
    with pytest.raises(SpiketextError, match="preset 'quik': choose one of"):
        RunSettings(preset="quik")
    with pytest.raises(SpiketextError, match="nope"):
        _run_config(build_parser().parse_args(["run", "--dataset", "sst2", "--set", "cnn.nope=1"]))


def test_a_verbs_options_become_its_typed_config():
    args = build_parser().parse_args(
        [
            "attack",
            "runs/x",
            "--attack",
            "pwws",
            "--n",
            "7",
            "--victims",
            "cnn,snn-regular",
            "--confirm",
            "3/5",
            "--no-recheck",
        ]  # fmt: skip
    )
    c = _config(args)
    assert isinstance(c, AttackConfig)
    assert (c.attack, c.n, c.victims, c.confirm, c.recheck) == ("pwws", 7, ("cnn", "snn-regular"), (3, 5), False)
    e = _config(build_parser().parse_args(["energy", "runs/x"]))
    assert isinstance(e, EnergyConfig) and e == EnergyConfig()  # nothing given: the verb's own defaults
