"""The run folder: resolved config, metrics per epoch (JSONL), results (JSON + markdown), training curves (PNG).

    RUN/config.json            the resolved RunConfig
    RUN/data.json              data description and the split record (seed, sizes, index digests)
    RUN/metrics.jsonl          one line per epoch per stage, rewritten atomically after every epoch
    RUN/results.json           {"cnn": {"dev_acc", "test_acc", ...}, "snn_converted": ..., "snn_finetuned": ...}
    RUN/results.md, curves.png
    RUN/checkpoints/NAME.{safetensors,json}   models usable by `evaluate` and `predict`
    RUN/state/                 resume state of the training loops
Every file is written atomically, so a killed run leaves either the old or the new version, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spiketext.checkpoint import atomic_write_json, atomic_write_text

RESULT_ROWS = {
    "cnn": "Tailored CNN",
    "snn_converted": "SNN, converted (plain copy, no fine-tuning)",
    "snn_finetuned": "SNN, converted + fine-tuned (the method)",
    "standard_cnn": "Standard TextCNN (max pool, biases, raw vectors)",
    "snn_converted_model_norm": "SNN, converted, model-based normalization",
    "snn_converted_data_norm_max": "SNN, converted, data-based normalization (max)",
    "snn_converted_data_norm_p999": "SNN, converted, data-based normalization (99.9th pct)",
    "snn_direct": "SNN trained directly from random init (surrogate gradients)",
    "random_emb_cnn": "Tailored CNN, random embeddings",
    "random_emb_snn_finetuned": "SNN, converted + fine-tuned, random embeddings",
}


def read_json(path: Path, default: Any = None) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


class RunDir:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def checkpoint(self, name: str) -> Path:
        return self.checkpoints / name

    def results(self) -> dict:
        return read_json(self.root / "results.json", {})

    def update_results(self, key: str, value: dict) -> dict:
        results = self.results()
        results[key] = value
        atomic_write_json(self.root / "results.json", results)
        return results

    def write_metrics(self, stage: str, history: list[dict]) -> None:
        """Replace `stage`'s lines in metrics.jsonl with `history` (so each epoch appears exactly once)."""
        path = self.root / "metrics.jsonl"
        lines = []
        if path.is_file():
            lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        lines = [x for x in lines if x["stage"] != stage] + history
        atomic_write_text(path, "".join(json.dumps(x) + "\n" for x in lines))

    def metrics(self) -> list[dict]:
        path = self.root / "metrics.jsonl"
        if not path.is_file():
            return []
        return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def results_markdown(results: dict, title: str) -> str:
    """The summary table: one row per model, accuracies in percent."""
    lines = [f"# {title}", "", "| model | dev acc | test acc | selected epoch | notes |", "|---|---:|---:|---:|---|"]
    for key, label in RESULT_ROWS.items():
        r = results.get(key)
        if not r:
            continue
        test = f"{100 * r['test_acc']:.2f}"
        if r.get("test_std") is not None:
            test += f" ± {100 * r['test_std']:.2f}"
        dev = f"{100 * r['dev_acc']:.2f}" if r.get("dev_acc") is not None else "–"
        lines.append(f"| {label} | {dev} | {test} | {r.get('epoch', '–')} | {r.get('note', '')} |")
    notes = results.get("notes", [])
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
