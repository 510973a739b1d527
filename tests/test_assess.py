"""Assessing a saved run (spiketext.runs.assess): evaluation draws are seeded and reproducible, an energy recount with
the run's own defaults equals the count the run stored, and a recount with other settings never replaces it."""

import json

import pytest

from spiketext.errors import SpiketextError
from spiketext.runs import assess
from spiketext.settings.config import DataConfig


def test_evaluation_draws_are_seeded_and_a_cnn_is_drawn_once(finished_run):
    out, data, _ = finished_run
    a = assess.evaluate(out, split="dev", repeats=3, seed=5)
    assert a["seeds"] == [5, 6, 7] and len(a["accs"]) == 3 and a["kind"] == "snn"
    assert a["acc"] == pytest.approx(sum(a["accs"]) / 3)
    assert assess.evaluate(out, split="dev", repeats=3, seed=5)["accs"] == a["accs"]  # same seed, same draws
    c = assess.evaluate(out, model="cnn", split="dev", repeats=3)
    assert c["seeds"] is None and c["num_steps"] is None and len(c["accs"]) == 1 and c["std"] == 0.0
    with pytest.raises(SpiketextError, match="choose one of train, dev, test"):
        assess.evaluate(out, split="validation")


def test_labels_of_other_data_are_refused(finished_run, tmp_path):
    out, _, _ = finished_run
    other = tmp_path / "other.csv"
    other.write_text("text,label\n" + "".join(f"good film {i},{'yes' if i % 2 else 'no'}\n" for i in range(30)))
    with pytest.raises(SpiketextError, match="differ from the model's"):
        assess.evaluate(out, data=DataConfig(train=str(other)))


def test_an_energy_recount_with_the_runs_defaults_equals_its_stored_count(finished_run, tmp_path):
    out, _, _ = finished_run
    stored = json.loads((out / "energy.json").read_text())
    again = assess.energy(out)
    assert again["seed"] == stored["seed"] and again["ratio_all_ops"] == pytest.approx(
        stored["ratio_all_ops"], rel=1e-9
    )
    recount = assess.energy(out, num_steps=4, out=tmp_path)
    assert recount["num_steps"] == 4 and recount["files"]["json"].endswith("energy_T4.json")
    assert not (tmp_path / "energy.json").exists()
    with pytest.raises(SpiketextError, match="--model 'cnn': choose one of snn_finetuned"):
        assess.energy(out, model="cnn")
