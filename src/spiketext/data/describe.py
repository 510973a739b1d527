"""Statistics of a prepared data set: sizes, class counts, token lengths, L, and OOV rates."""

from __future__ import annotations

import numpy as np

from spiketext.data.corpus import SPLITS
from spiketext.data.embeddings import covered
from spiketext.data.prepare import PreparedData


def describe(data: PreparedData) -> dict:
    """A JSON-ready description. Keys scripts rely on: `num_classes`, `splits.<split>.size` / `.class_counts`.

    Per split, `oov_rate` is the fraction of tokens with no vector in the embedding table: exactly the tokens the
    model sees as the OOV vector.
    """
    corpus = data.corpus
    in_table = data.vectors.index
    has_vector = covered(data.vocab, data.vectors)
    splits = {}
    for s in SPLITS:
        split = corpus.splits[s]
        lengths = np.array([len(t) for t in data.tokens[s]])
        n_tokens = int(lengths.sum())
        oov = sum(1 for tokens in data.tokens[s] for t in tokens if t not in in_table)
        counts = np.bincount(split.labels, minlength=corpus.num_classes)
        splits[s] = {
            "size": len(split),
            "class_counts": {label: int(c) for label, c in zip(corpus.labels, counts, strict=True)},
            "mean_tokens": float(lengths.mean()) if len(lengths) else 0.0,
            "max_tokens": int(lengths.max()) if len(lengths) else 0,
            "truncated_fraction": float((lengths > data.max_len).mean()) if len(lengths) else 0.0,
            "tokens": n_tokens,
            "oov_rate": oov / n_tokens if n_tokens else 0.0,
            "source": split.source,
        }
    return {
        "name": corpus.name,
        "language": data.language,
        "source": corpus.source,
        "num_classes": corpus.num_classes,
        "labels": [
            {"id": i, "label": label, "description": desc}
            for i, (label, desc) in enumerate(zip(corpus.labels, corpus.label_descriptions, strict=True))
        ],
        "split": corpus.split_info,
        "skipped": corpus.skipped,
        "rare_classes": corpus.rare,
        "splits": splits,
        "max_len": data.max_len,
        "vocab_size": data.train_vocab_size - 2,  # without <pad> and <unk>
        "vocab_with_vectors": int(has_vector[: data.train_vocab_size].sum()),
        "embeddings": {
            "name": data.vectors.name,
            "table_size": len(data.vectors.words),
            "dim": data.dim,
            "mean": data.transform.mean,
            "std": data.transform.std,
            "clip": data.transform.clip,
            "deviation": data.vectors.deviation,
        },
    }


def describe_markdown(d: dict) -> str:
    """Human-readable form of `describe`'s output."""
    lines = [f"# {d['name']}"]
    src = d["source"]
    if "title" in src:
        lines.append(f"{src['title']} ({src['citation']})")
        lines.append(f"source: {src['url']}")
    for name, path in src.get("files", {}).items():
        lines.append(f"file {name}: {path}")
    for note in src.get("notes", []):
        lines.append(f"note: {note}")
    split = d["split"]
    how = {
        "official": "official train/dev/test",
        "given": "train/dev/test files as given",
    }.get(
        split["kind"],
        f"seeded stratified (seed {split.get('seed')}; carved from train: "
        f"{', '.join(split.get('carved_from_train', []))})",
    )
    lines += [
        f"language: {d['language']}   classes: {d['num_classes']}   splits: {how}",
        f"fixed length L = {d['max_len']}   vocabulary (train) = {d['vocab_size']:,} words, "
        f"{d['vocab_with_vectors']:,} with vectors",
    ]
    e = d["embeddings"]
    lines.append(
        f"embeddings: {e['name']} ({e['table_size']:,} × {e['dim']}), μ = {e['mean']:.5f}, σ = {e['std']:.5f}, "
        f"clip ±{e['clip']:g}σ"
    )
    if e["deviation"]:
        lines.append(f"DEVIATION from the paper: {e['deviation']}")
    for path, skip in d.get("skipped", {}).items():
        first = ", ".join(map(str, skip["first_lines"][:5]))
        lines.append(f"SKIPPED: {skip['rows']} row(s) of {path} with an empty text (lines {first}...)")
    for label, r in d.get("rare_classes", {}).items():
        where = ", ".join(map(str, r["lines"][:5]))
        lines.append(f"RARE CLASS: {label!r} in {r['rows']} training row(s) (lines {where}), {r['reason']}")
    labels = [f"{lab['label']} ({lab['description']})" if lab["description"] else lab["label"] for lab in d["labels"]]
    lines += [
        "",
        "| split | size | " + " | ".join(labels) + " | mean tokens | max tokens | > L | OOV |",
        "|---|---:|" + "---:|" * len(labels) + "---:|---:|---:|---:|",
    ]
    for s, v in d["splits"].items():
        counts = " | ".join(f"{c:,}" for c in v["class_counts"].values())
        lines.append(
            f"| {s} | {v['size']:,} | {counts} | {v['mean_tokens']:.1f} | {v['max_tokens']} | "
            f"{100 * v['truncated_fraction']:.1f}% | {100 * v['oov_rate']:.2f}% |"
        )
    return "\n".join(lines)
