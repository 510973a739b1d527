"""Settings: bad values are one-line errors naming the setting, a component's name is checked against the registry
that owns it (with the closest name), nothing non-finite gets through, and --set values are plain YAML scalars."""

import pytest

from spiketext.errors import SpiketextError
from spiketext.runs.families import family_of
from spiketext.runs.folder import CHECKPOINTS
from spiketext.settings.config import RunConfig, from_dict, parse_override, to_dict
from spiketext.settings.presets import build_run_config


def cfg(**overrides):
    return build_run_config("quick", overrides={"data": {"dataset": "sst2"}, **overrides})


def test_a_components_name_is_checked_by_its_registry_with_the_closest_name():
    for overrides, message in [
        ({"snn": {"encoder": "poisson"}}, r"setting snn.encoder: 'poisson' is not a known input code; choose one of "
                                          "bernoulli, regular, ttfs"),
        ({"snn": {"surrogate": "fast_sigmod"}}, r"snn.surrogate: .*did you mean 'fast_sigmoid'"),
        ({"model": {"input_domain": "negative"}, "cnn": {"noise_steps": 0}}, r"model.input_domain: 'negative' is not a "
                                                                             "known input domain"),
        ({"finetune": {"init": "data_p99"}}, r"finetune.init: .*did you mean 'data_p999'"),
        ({"snn": {"readout": "membrane_"}}, r"snn.readout: .*did you mean 'membrane'"),
        ({"family": "transformers"}, r"setting family: .*did you mean 'transformer'"),
    ]:  # fmt: skip
        built = cfg(**overrides)  # settings hold plain strings
        with pytest.raises(SpiketextError, match=message):
            family_of(built)
    assert CHECKPOINTS[0] == "snn_finetuned" and CHECKPOINTS[-1] == "cnn"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"eval_batch_size": 0}, r"setting eval_batch_size: 0 must be >= 1"),
        ({"eval_batch_size": -4}, r"setting eval_batch_size: -4 must be >= 1"),
        ({"device": "bogus"}, r"setting device: 'bogus' is not a device"),
        ({"cnn": {"lr": float("inf")}}, r"setting config.cnn.lr: inf is not a finite number"),
        ({"finetune": {"lr": float("nan")}}, r"config.finetune.lr: nan is not a finite number"),
        ({"precision": "fp64"}, r"'fp64' is not one of auto, bf16, fp32"),
        ({"model": {"kernel_sizes": [500]}, "data": {"dataset": "sst2", "max_len": 25}}, r"kernel of 500 tokens"),
        ({"data": {"dataset": "sst2", "max_len": 1}}, r"longer than the sentence length L = 1"),
        ({"seed": -1}, r"setting seed: -1 must be >= 0"),
        ({"model": {"input_domain": "signed"}, "cnn": {"noise_steps": 50}}, r"setting cnn.noise_steps: Binomial"),
        ({"data": {"dataset": "chnsenti", "skipgram_window": 0}}, r"setting data.skipgram_window: 0 must be >= 1"),
    ],
)
def test_bad_values_name_the_setting(overrides, message):
    with pytest.raises(SpiketextError, match=message):
        cfg(**overrides)


def test_converted_is_the_old_name_of_the_plain_copy():
    old = cfg(finetune={"init": "converted"})
    assert old.finetune.init == "none" and to_dict(old) == to_dict(cfg(finetune={"init": "none"}))
    assert from_dict(RunConfig, to_dict(old)) == old


@pytest.mark.parametrize(
    "text", ["snn.num_steps=!!python/object:os.system x", "snn.num_steps=[1, 2", "snn.num_steps={a: 1", "=4"]
)
def test_override_values_are_plain_yaml(text):
    with pytest.raises(SpiketextError, match="override"):
        parse_override(text)


def test_override_parses_scalars_and_lists():
    assert parse_override("model.kernel_sizes=[3,4]") == (["model", "kernel_sizes"], [3, 4])
    assert parse_override("finetune.lr=3e-5") == (["finetune", "lr"], "3e-5")  # YAML 1.1; coerced to float later
    assert cfg(finetune={"lr": "3e-5"}).finetune.lr == pytest.approx(3e-5)


def test_a_config_file_that_is_not_a_mapping(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("- 1\n- 2\n")
    with pytest.raises(SpiketextError, match="c.yaml: a config file must hold a mapping"):
        build_run_config("paper", p)
    with pytest.raises(SpiketextError, match="expected a mapping of settings"):
        from_dict(RunConfig, [1, 2])  # type: ignore[arg-type]
