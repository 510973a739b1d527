"""Prepared data and batches: ids [N, L], the positive table, [B, D, L] batches, and the config layer."""

import numpy as np
import pytest
import torch

from spiketext import api
from spiketext.data.vocab import PAD_ID, UNK_ID
from spiketext.errors import SpiketextError
from spiketext.settings.config import DataConfig, from_dict, load_mapping


@pytest.fixture
def data(review_csv, five_word_vectors):
    return api.load_data(DataConfig(train=str(review_csv), embeddings=str(five_word_vectors), max_len=6))


def test_ids_and_table(data):
    assert data.ids["train"].shape == (48, 6) and data.ids["train"].dtype == np.int32
    assert data.table.shape == (len(data.vocab), 2)
    row = data.ids["train"][0]
    tokens = data.tokens["train"][0]
    assert [data.vocab.itos[i] for i in row] == tokens[:6]  # truncated to L = 6
    np.testing.assert_array_equal(data.table[PAD_ID], 0)
    np.testing.assert_allclose(data.table[UNK_ID], data.transform.oov_vector(2))


def test_batches_shape_padding_and_seeded_order(data):
    batches = list(api.batches(data, "train", batch_size=16, shuffle=True, seed=1))
    assert [tuple(x.shape) for x, _ in batches] == [(16, 2, 6)] * 3
    x, y = batches[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    again = [y for _, y in api.batches(data, "train", batch_size=16, shuffle=True, seed=1)]
    other = [y for _, y in api.batches(data, "train", batch_size=16, shuffle=True, seed=2)]
    assert all(torch.equal(a, b) for (_, a), b in zip(batches, again, strict=True))
    assert not all(torch.equal(a, b) for (_, a), b in zip(batches, other, strict=True))
    ordered = torch.cat([y for _, y in api.batches(data, "test", batch_size=4)])
    assert ordered.tolist() == data.corpus.splits["test"].labels.tolist()


def test_padding_positions_are_zero(review_csv, five_word_vectors):
    data = api.load_data(DataConfig(train=str(review_csv), embeddings=str(five_word_vectors), max_len=20))
    x, _ = next(api.batches(data, "train", batch_size=4))
    n = len(data.tokens["train"][0])
    assert n < 20 and torch.all(x[0, :, n:] == 0) and torch.all(x[0, :, :n].sum(0) > 0)


def test_dev_test_words_with_vectors_are_not_oov(tmp_path, five_word_vectors):
    train = tmp_path / "train.txt"
    train.write_text("\n".join(["1 good film", "0 bad film"] * 10), encoding="utf-8")
    test = tmp_path / "test.txt"
    test.write_text("1 great film\n0 awful zzz\n", encoding="utf-8")
    data = api.load_data(DataConfig(train=str(train), test=str(test), embeddings=str(five_word_vectors)))
    great = data.vocab.stoi["great"]
    assert great >= data.train_vocab_size  # not a training word ...
    np.testing.assert_allclose(data.table[great], data.transform(np.array([3.0, 1.0])))  # ... yet its vector
    assert data.ids["test"][1][1] == UNK_ID  # "zzz" has no vector: the OOV rule


def test_config_rejects_unknown_and_mistyped_keys(tmp_path):
    with pytest.raises(SpiketextError, match=r"config.clpi: unknown key; did you mean 'clip'"):
        from_dict(DataConfig, {"dataset": "sst2", "clpi": 2})
    with pytest.raises(SpiketextError, match=r"config.clip: expected a number"):
        from_dict(DataConfig, {"dataset": "sst2", "clip": "wide"})
    with pytest.raises(SpiketextError, match=r"data.test_fraction: 0.7 must lie"):
        DataConfig(dataset="sst2", test_fraction=0.7)
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("dataset: mr\nclip: 2\n", encoding="utf-8")
    cfg = from_dict(DataConfig, load_mapping(cfg_file))
    assert cfg.dataset == "mr" and cfg.clip == 2.0


def test_yaml_exponent_without_dot_is_a_number(tmp_path):
    from spiketext.settings.config import parse_override
    from spiketext.settings.presets import build_run_config

    keys, value = parse_override("finetune.lr=1e-5")
    cfg = build_run_config("paper", overrides={"data": {"dataset": "sst2"}, "finetune": {"lr": value}})
    assert keys == ["finetune", "lr"] and cfg.finetune.lr == 1e-5
    with pytest.raises(SpiketextError, match="unknown preset"):
        build_run_config("fast", overrides={"data": {"dataset": "sst2"}})
    from spiketext.runs.families import family_of

    with pytest.raises(SpiketextError, match="setting finetune.loss: 'hinge' is not a known SNN loss"):
        family_of(build_run_config("paper", overrides={"data": {"dataset": "sst2"}, "finetune": {"loss": "hinge"}}))


def test_cnn_noise_steps_can_follow_t_and_input_scale_is_checked():
    from spiketext.settings.presets import build_run_config

    over = {"data": {"dataset": "sst2"}, "snn": {"num_steps": 8}, "cnn": {"noise_steps": "T"}}
    assert build_run_config("paper", overrides=over).cnn_noise_steps() == 8
    assert build_run_config("spiketext", overrides={"data": {"dataset": "sst2"}}).cnn_noise_steps() == 50
    with pytest.raises(SpiketextError, match="cnn.noise_steps"):
        build_run_config("paper", overrides={"data": {"dataset": "sst2"}, "cnn": {"noise_steps": "t8"}})
    with pytest.raises(SpiketextError, match="snn.input_scale"):
        build_run_config("paper", overrides={"data": {"dataset": "sst2"}, "snn": {"input_scale": 1.5}})
