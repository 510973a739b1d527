"""Model bundles: save/load round trips, every kind of damaged checkpoint refused with one line, no paths trusted,
and classify (ties reported)."""

import json
import shutil

import pytest
import torch

from spiketext.core.codes import Draw, bernoulli_encode
from spiketext.core.inference import classify, load_bundle, save_bundle
from spiketext.core.models.registry import Architecture, build_model, model_meta
from spiketext.core.models.textcnn import init_linear_weights
from spiketext.core.runtime import generator
from spiketext.errors import SpiketextError
from spiketext.settings.config import SNNConfig

ARCH = Architecture(dim=6, num_classes=3, num_filters=5, kernel_sizes=(2, 3), neurons_per_class=4, dropout=0.5,
                    zero_mean_filters=True)  # fmt: skip
SPEC = SNNConfig(8, 0.9, 0.7, "subtract", "arctan", 2.0, "bernoulli")
VOCAB = ["<pad>", "<unk>", "good", "bad"]
DATA = {
    "language": "en",
    "max_len": 9,
    "embeddings": "random",
    "input": "positive",
    "transform": {"mean": 0.1, "std": 0.5, "clip": 3.0},
    "vocab": VOCAB,
    "labels": ["a", "b", "c"],
    "label_descriptions": [None] * 3,
}


def saved(tmp_path, kind="snn", data=None, arch=ARCH):
    model = build_model(kind, arch, SPEC if kind == "snn" else None)
    init_linear_weights(model, generator(3))
    table = torch.rand(len(VOCAB), arch.dim)
    table[0] = 0
    meta = model_meta(kind, arch, SPEC if kind == "snn" else None, data or DATA, {})
    save_bundle(tmp_path / "m", model, table, meta)
    return model, table


@pytest.mark.parametrize("kind", ["tailored_cnn", "standard_cnn", "snn"])
def test_save_load_gives_identical_outputs(tmp_path, kind):
    model, table = saved(tmp_path, kind)
    bundle = load_bundle(tmp_path / "m.json", tmp_path)
    assert bundle.kind == kind and bundle.labels == ["a", "b", "c"] and bundle.featurizer.vocab.itos == VOCAB
    x = bundle.featurizer.encode(["good bad unknown"])
    assert torch.equal(x[0, :, 0], table[2]) and torch.equal(x[0, :, 3], table[0])
    model.eval()
    if kind == "snn":
        s = bernoulli_encode(x, Draw(8, torch.Generator().manual_seed(0)))
        assert torch.equal(bundle.model(s), model(s))
        assert bundle.model.out_neuron.params == SPEC == bundle.model.snn and bundle.model.snn.reset == "subtract"
    else:
        assert torch.equal(bundle.model(x), model(x))
    # the file holds no pickle: safetensors + JSON only
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("m.")) == ["m.json", "m.safetensors"]


def edit_json(tmp_path, change, restamp: bool = True):
    """Change m.json; with `restamp` its content digest is recomputed (a consistent file that is still wrong)."""
    from spiketext.core.checkpoint import META_DIGEST, meta_digest

    path = tmp_path / "m.json"
    meta = json.loads(path.read_text())
    change(meta)
    if restamp and META_DIGEST in meta:
        meta[META_DIGEST] = meta_digest(meta)
    path.write_text(json.dumps(meta))


def test_an_edited_json_is_refused_and_a_legacy_one_loads_with_a_warning(tmp_path, caplog):
    saved(tmp_path)
    edit_json(tmp_path, lambda m: m["data"]["vocab"].__setitem__(2, "changed"), restamp=False)
    with pytest.raises(SpiketextError, match=r"m.json: its content was changed after it was written"):
        load_bundle(tmp_path / "m", tmp_path)
    # the weights digest removed (the hostile case: overwritten weights then load unchecked) is an edit too
    saved(tmp_path)
    edit_json(tmp_path, lambda m: m.pop("weights_sha256"), restamp=False)
    with pytest.raises(SpiketextError, match=r"content was changed"):
        load_bundle(tmp_path / "m", tmp_path)
    # every digest removed from a file that claims this format (or set to null): damage, not age
    for remove in (lambda m: (m.pop("weights_sha256"), m.pop("meta_sha256")), lambda m: m.update(meta_sha256=None)):
        saved(tmp_path)
        edit_json(tmp_path, remove, restamp=False)
        with pytest.raises(SpiketextError, match=r"says 'spiketext-checkpoint/2' but has no .*digests were removed"):
            load_bundle(tmp_path / "m", tmp_path)
    # a file from before the digests (no format claim): loads, and says what is unchecked; strict refuses it
    saved(tmp_path)
    edit_json(tmp_path, lambda m: (m.pop("weights_sha256"), m.pop("meta_sha256"), m.pop("checkpoint")), restamp=False)
    with caplog.at_level("WARNING"):
        load_bundle(tmp_path / "m", tmp_path)
    assert "its JSON (vocabulary, labels, settings) and its weights not checked" in caplog.text
    with pytest.raises(SpiketextError, match="written without digests .* refused in strict mode"):
        load_bundle(tmp_path / "m", tmp_path, strict=True)


def test_a_non_finite_value_in_a_checkpoint_json_is_refused_naming_the_field(tmp_path):
    saved(tmp_path)
    path = tmp_path / "m.json"
    meta = json.loads(path.read_text())
    meta["snn"]["threshold"] = float("nan")
    path.write_text(json.dumps(meta))  # meta_sha256 kept: the digest code must not be what trips over the NaN
    with pytest.raises(SpiketextError, match=r"m.json: snn.threshold is nan, not a finite number"):
        load_bundle(tmp_path / "m", tmp_path)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda m: m["data"].pop("vocab"), r"m.json: data.vocab is missing"),
        (lambda m: m["data"].update(labels=["a"]), r"1 labels for a model with 3 classes"),
        (lambda m: m["arch"].update(num_filters=7), r"convs.0.weight is \[5, 6, 2\], the architecture says \[7, 6"),
        (
            lambda m: m["snn"].update(surrogate="bogus"),
            r"m.json: setting snn.surrogate: 'bogus' is not a known surrogate",
        ),
        (lambda m: m["arch"].update(dim=-4), r"dim = -4 is not a positive integer"),
        (lambda m: m["arch"].update(kernel_sizes=[2, 3, 2**40]), r"kernel_sizes = .* must be positive integers"),
        (lambda m: m.update(kind="lstm"), r"kind 'lstm' is unknown"),
        (lambda m: m["data"].update(transform={"mean": 0, "std": 0, "clip": 3}), r"data.transform is not"),
    ],
)
def test_damaged_json_is_refused_before_a_model_is_built(tmp_path, damage, message):
    saved(tmp_path)
    edit_json(tmp_path, damage)
    with pytest.raises(SpiketextError, match=message):
        load_bundle(tmp_path / "m", tmp_path)


def test_damaged_weights_are_refused(tmp_path):
    saved(tmp_path)
    weights = tmp_path / "m.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF  # same size, one byte changed
    weights.write_bytes(bytes(data))
    with pytest.raises(SpiketextError, match=r"m.safetensors: its content does not match the sha256"):
        load_bundle(tmp_path / "m", tmp_path)
    weights.write_bytes(bytes(data[:100]))  # truncated
    with pytest.raises(SpiketextError, match=r"m.safetensors: 100 bytes where m.json recorded"):
        load_bundle(tmp_path / "m", tmp_path)
    (tmp_path / "m.json").write_text('{"format": "spiketext-mo')
    with pytest.raises(SpiketextError, match=r"m.json: damaged \(not valid JSON"):
        load_bundle(tmp_path / "m", tmp_path)


def test_overflowing_header_without_a_recorded_digest(tmp_path):
    # a checkpoint from elsewhere (no digest): a header that promises an impossible tensor is one line too
    saved(tmp_path)
    edit_json(tmp_path, lambda m: (m.pop("weights_sha256"), m.pop("weights_bytes"), m.pop("checkpoint")))
    weights = tmp_path / "m.safetensors"
    raw = weights.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    key = next(k for k in header if k != "__metadata__")
    header[key]["shape"] = [2**62, 2**62]
    new = json.dumps(header).encode().ljust(n)[:n]
    weights.write_bytes(raw[:8] + new + raw[8 + n :])
    with pytest.raises(SpiketextError, match=r"m.safetensors: not a readable safetensors file"):
        load_bundle(tmp_path / "m", tmp_path)


def test_paths_in_a_checkpoint_are_not_opened_on_trust(tmp_path, caplog):
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    saved(tmp_path, data={**DATA, "embeddings": str(secret)})
    bundle = load_bundle(tmp_path / "m", tmp_path)
    assert bundle.featurizer.vectors is None  # no recorded digest matches: the file is never read
    assert "root:x" not in caplog.text


def test_classify_reports_ties_and_known_words(tmp_path):
    saved(tmp_path, "tailored_cnn")
    bundle = load_bundle(tmp_path / "m", tmp_path)
    with torch.no_grad():
        bundle.model.fc.weight.zero_()  # every class scores 0: a tie
    r = classify(bundle, ["zzz qqq", "good film"])
    assert r[0]["tie"] and r[0]["known_tokens"] == 0 and r[1]["known_tokens"] == 1
    with pytest.raises(SpiketextError, match="T must be >= 1"):
        classify(bundle, ["good"], num_steps=-1)


def test_copied_checkpoint_still_loads(tmp_path):
    saved(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    for suffix in (".json", ".safetensors"):
        shutil.copy(tmp_path / f"m{suffix}", other / f"m{suffix}")
    assert load_bundle(other / "m", tmp_path).kind == "snn"
