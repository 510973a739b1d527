"""BERT-Attack's masked language model (spiketext.attacks.mlm) on a tiny BERT built here (nothing downloaded)."""

import pytest
import torch

from conftest import copy_run
from spiketext.cli import main


def tiny_bert(folder, words):
    """A 1-layer BERT masked LM over `words`, built from a config (random weights; nothing downloaded)."""
    transformers = pytest.importorskip("transformers", reason="transformers not installed (the attacks extra)")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "##s", *words]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = transformers.BertTokenizerFast(str(folder / "vocab.txt"), do_lower_case=True)
    config = transformers.BertConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32
    )

    torch.manual_seed(0)
    transformers.BertForMaskedLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_bert_attack_with_a_tiny_local_bert(finished_run, tmp_path, capsys):
    from spiketext.attacks.mlm import load_mlm

    words = [
        "good",
        "great",
        "fine",
        "wonderful",
        "bad",
        "awful",
        "dull",
        "boring",
        "film",
        "movie",
        "the",
        "a",
        "plot",
    ]
    mlm = load_mlm(tiny_bert(tmp_path / "bert", words), top_k=5)
    subs = mlm.substitutes(["the", "good", "film"])
    assert set(subs) == {0, 1, 2} and all(len(v) <= 5 for v in subs.values())
    assert all(w in words and w not in ("the", "a") for v in subs.values() for w in v)  # whole words, no stop words
    assert "good" not in subs[1]
    run, _, _ = copy_run(finished_run, tmp_path / "copy")
    out = tmp_path / "attacks"
    argv = ["attack", str(run), "--attack", "bertattack", "--n", "4", "--out", str(out), "--draws", "2"]
    assert main([*argv, "--mlm", str(tmp_path / "bert"), "--similarity", "word-vectors", "--eval-draws", "3"]) == 0
    assert (out / "attack_bertattack.csv").is_file()
    capsys.readouterr()
    assert main(argv) == 2  # no language model: one line that says so
    assert "bertattack needs a masked language model: --mlm PATH" in capsys.readouterr().err
