"""typed_settings, generically: dataclasses from mappings checked against their hints, files, key=value overrides."""

import math
from dataclasses import dataclass, field
from typing import Literal

import pytest

from spiketext.errors import SpiketextError
from spiketext.settings.typed import deep_merge, from_dict, load_mapping, parse_override, set_nested, to_dict


@dataclass(frozen=True)
class Inner:
    rate: float = 0.5
    mode: Literal["alpha", "beta"] = "alpha"


@dataclass(frozen=True)
class Outer:
    name: str
    sizes: list[int] = field(default_factory=lambda: [3])
    inner: Inner = field(default_factory=Inner)
    limit: int | None = None
    flag: bool = False
    steps: int | Literal["T"] = "T"


def test_a_mapping_becomes_the_typed_value_with_its_defaults():
    cfg = from_dict(Outer, {"name": "x", "sizes": [2, 4], "inner": {"rate": "1e-5"}, "steps": 8})
    assert cfg == Outer("x", [2, 4], Inner(rate=1e-5), None, False, 8)  # YAML 1.1's "1e-5" string is a number
    assert to_dict(cfg)["inner"] == {"rate": 1e-5, "mode": "alpha"}
    assert from_dict(Outer, {"name": "y", "steps": "T", "limit": None}).steps == "T"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "x", "sizse": [1]}, r"setting config.sizse: unknown key; did you mean 'sizes'\?"),
        ({"name": "x", "inner": {"mode": "c"}}, r"config.inner.mode: 'c' is not one of alpha, beta"),
        ({"name": "x", "inner": {"mode": "betta"}}, r"did you mean 'beta'\?"),
        ({"name": "x", "sizes": [1, "two"]}, r"config.sizes\[1\]: expected an integer, got 'two'"),
        ({"name": "x", "flag": "yes"}, r"config.flag: expected true or false"),
        ({"name": "x", "limit": True}, r"config.limit: expected an integer, got True"),  # a bool is not an int
        ({"name": "x", "inner": {"rate": math.inf}}, r"is not a finite number"),
        ({"name": 3}, r"config.name: expected a string"),
        ({"name": "x", "inner": [1]}, r"config.inner: expected a mapping"),
    ],
)
def test_every_wrong_value_is_named_with_its_path(data, message):
    with pytest.raises(SpiketextError, match=message):
        from_dict(Outer, data)


def test_overrides_files_and_merging(tmp_path):
    assert parse_override("inner.rate=2.5") == (["inner", "rate"], 2.5)
    assert parse_override("sizes=[3,4]") == (["sizes"], [3, 4])
    with pytest.raises(SpiketextError, match="write it as key=value"):
        parse_override("inner.rate")
    data: dict = {"inner": {"mode": "alpha"}}
    set_nested(data, ["inner", "rate"], 0.1)
    assert deep_merge({"name": "x", "inner": {"rate": 1.0, "mode": "beta"}}, data) == {
        "name": "x",
        "inner": {"rate": 0.1, "mode": "alpha"},
    }
    with pytest.raises(SpiketextError, match="name is not a group of settings"):
        set_nested({"name": "x"}, ["name", "first"], 1)
    good, bad = tmp_path / "s.yaml", tmp_path / "b.json"
    good.write_text("name: x\ninner:\n  rate: 0.25\n")
    bad.write_text("{not json")
    assert from_dict(Outer, load_mapping(good)).inner.rate == 0.25
    with pytest.raises(SpiketextError, match=r"b.json: not valid JSON"):
        load_mapping(bad)
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(SpiketextError, match="must hold a mapping"):
        load_mapping(tmp_path / "list.yaml")
