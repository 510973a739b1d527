"""The verbs' typed settings: defaults, validation that names the setting, keyword overrides."""

import dataclasses

import pytest

from spiketext.errors import SpiketextError
from spiketext.settings.verbs import (
    AttackConfig,
    EnergyConfig,
    EvaluateConfig,
    ExportConfig,
    parse_confirm,
    parse_victims,
    with_settings,
)


@pytest.mark.parametrize("cls", [EvaluateConfig, EnergyConfig, ExportConfig, AttackConfig])
def test_defaults_are_valid_frozen_and_every_field_has_its_option(cls):
    c = cls()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.seed = 3  # type: ignore[misc]
    for f in dataclasses.fields(cls):
        assert f.metadata["help"], f"{cls.__name__}.{f.name} has no help text"


@pytest.mark.parametrize(
    ("cls", "settings", "message"),
    [
        (EvaluateConfig, {"repeats": 0}, "repeats 0: must be a positive integer"),
        (EvaluateConfig, {"split": "val"}, "split 'val': choose one of train, dev, test"),
        (EvaluateConfig, {"seed": -1}, "seed -1: must be >= 0"),
        (EnergyConfig, {"costs": "fp64"}, "energy costs 'fp64'"),
        (ExportConfig, {"check": -2}, "--check -2"),
        (AttackConfig, {"victims": ("cnn", "cnn")}, "name each once"),
        (AttackConfig, {"eval_draws": 4}, "an odd number"),
        (AttackConfig, {"confirm": (9, 3)}, "1 <= k <= m"),
        (AttackConfig, {"draws": 10_000}, "at most 1,000"),
    ],
)
def test_bad_settings_are_refused_with_the_setting_named(cls, settings, message):
    with pytest.raises(SpiketextError, match=message):
        cls(**settings)


def test_keyword_settings_replace_fields_and_are_validated_again():
    base = AttackConfig(attack="pwws", n=50)
    c = with_settings(base, AttackConfig, {"n": 7, "victims": ("cnn", "snn", "snn-regular")})
    assert (c.attack, c.n, c.victims) == ("pwws", 7, ("cnn", "snn", "snn-regular"))
    assert with_settings(None, EvaluateConfig, {}) == EvaluateConfig()
    with pytest.raises(SpiketextError, match=r"unknown setting\(s\) nn"):
        with_settings(None, AttackConfig, {"nn": 3})
    with pytest.raises(SpiketextError, match="n 0: must be a positive integer"):
        with_settings(base, AttackConfig, {"n": 0})
    with pytest.raises(SpiketextError, match="is not a AttackConfig"):
        with_settings("textfooler", AttackConfig, {})


def test_option_strings_parse_to_their_values():
    assert parse_victims(" cnn, snn ,cnn-noise,") == ("cnn", "snn", "cnn-noise")
    assert parse_confirm("8/15") == (8, 15)
    with pytest.raises(SpiketextError, match="write it as K/M"):
        parse_confirm("eight")


@pytest.mark.parametrize(
    ("verb", "cls"),
    [("evaluate", EvaluateConfig), ("energy", EnergyConfig), ("export-nir", ExportConfig), ("attack", AttackConfig)],
)
def test_every_choice_of_every_verb_option_parses_to_its_setting(verb, cls):
    # each option with choices, given each of its values through the real parser, reaches the verb's config
    from spiketext.cli.commands import _config
    from spiketext.cli.parser import build_parser

    parser = build_parser()
    extra = ["x.nir"] if verb == "export-nir" else []
    checked = 0
    for f in dataclasses.fields(cls):
        for value in f.metadata["choices"] or ():
            flag = f.metadata["flag"] or "--" + f.name.replace("_", "-")
            args = parser.parse_args([verb, "runs/x", *extra, flag, value])
            assert getattr(_config(args), f.name) == value, (verb, flag, value)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"attack": "hotflip"}, r"setting --attack: 'hotflip' is not a known attack"),
        ({"attack": "textfool"}, r"did you mean 'textfooler'"),
        ({"victims": ("cnn", "bert")}, r"setting --victims: 'bert' is not a known attack victim"),
        ({"similarity": "minlm"}, r"did you mean 'minilm'"),
        ({"model": "cnn"}, "choose an SNN checkpoint"),
    ],
)
def test_an_attacks_component_names_are_checked_by_their_registries(settings, message):
    from spiketext.runs.robustness import check_names

    with pytest.raises(SpiketextError, match=message):
        check_names(AttackConfig(**settings))
