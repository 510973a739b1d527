"""Opening a saved run for assessment (spiketext.runs.saved): the run's trained skip-gram vectors rebuilt and checked
against the checkpoint's own table, so word attacks reach runs on Chinese text."""

import json

import numpy as np
import pytest

from conftest import TINY
from spiketext import api
from spiketext.cli import main
from spiketext.errors import SpiketextError
from spiketext.runs.saved import run_vectors


def _chinese_task(folder):
    good, bad = ["很好吃", "服务好", "干净", "推荐"], ["太慢了", "凉了", "很差", "失望"]
    rows = ["text,label"]
    for i in range(120):
        words = (good if i % 2 else bad)[i % 4 :] + ["，", "这家店", "外卖"][: 1 + i % 3]
        rows.append(f"{''.join(words)}{'还会再来' if i % 2 else '不会再点'},{i % 2}")
    path = folder / "zh.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_trained_vectors_are_kept_with_the_run_and_rebuilt_only_without_them(tmp_path, capsys, monkeypatch):
    data = _chinese_task(tmp_path)
    out = tmp_path / "run"
    small = ["--set", "data.skipgram_dim=8", "--set", "data.skipgram_epochs=2", "--set", "data.max_len=8"]
    argv = ["run", "--train", str(data), "--out", str(out), *TINY, *small]
    assert main([*argv, "--set", "cnn.epochs=2", "--set", "finetune.epochs=1"]) == 0
    cnn = api.load_model(out, "cnn")
    kept = cnn.featurizer.vectors  # the run's own skip-gram vectors, from RUN/vectors/
    assert cnn.featurizer.vectors_name == "train-skipgram" and kept is not None and kept.dim == 8
    assert set(cnn.featurizer.vocab.itos[2:]) <= set(kept.words)

    def no_retraining(*args, **kwargs):
        raise AssertionError("an attack on a run that kept its vectors retrained them")

    monkeypatch.setattr("spiketext.runs.saved.train_skipgram", no_retraining)
    summary = tmp_path / "s.json"
    assert main(["attack", str(out), "--attack", "textfooler", "--n", "6", "--victims", "cnn,snn",
                 "--draws", "2", "--eval-draws", "3", "--json", str(summary)]) == 0  # fmt: skip
    r = json.loads(summary.read_text())
    assert "word vectors" in r["similarity"] and r["cnn"]["n"] >= 1
    monkeypatch.undo()
    # a vectors folder that changed since is never used: the vectors are rebuilt and equal the kept ones
    words = out / "vectors" / "words.json"
    words.write_text(words.read_text(encoding="utf-8").replace('"', '"x', 2), encoding="utf-8")
    moved = api.load_model(out, "cnn")
    assert moved.featurizer.vectors is None
    rebuilt = run_vectors(moved, out)  # from the training split, its settings and its seed
    assert rebuilt.words == kept.words and np.array_equal(np.asarray(rebuilt.vectors), np.asarray(kept.vectors))
    # vectors that do not give the checkpoint's table are refused, never used: another seed trains others
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "seed": config["seed"] + 1}))
    with pytest.raises(SpiketextError, match="do not give the checkpoint's table"):
        run_vectors(api.load_model(out, "cnn"), out)
    capsys.readouterr()
