"""Figures: training curves of a run, and a spike raster of one sentence through the SNN's layers (matplotlib)."""

from __future__ import annotations

from pathlib import Path

import torch


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)


def plot_curves(metrics: list[dict], path: Path) -> None:
    """Dev accuracy and training loss per epoch, one line per stage."""
    plt = _pyplot()
    stages: dict[str, list[dict]] = {}
    for m in metrics:
        stages.setdefault(m["stage"], []).append(m)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for stage, rows in stages.items():
        epochs = [r["epoch"] for r in rows]
        ax1.plot(epochs, [100 * r["dev_acc"] for r in rows], marker=".", label=stage)
        ax2.plot(epochs, [r["train_loss"] for r in rows], marker=".", label=stage)
    ax1.set(xlabel="epoch", ylabel="dev accuracy (%)", title="Dev accuracy")
    ax2.set(xlabel="epoch", ylabel="training loss", title="Training loss", yscale="log")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_raster(layers: dict[str, torch.Tensor], path: Path, title: str = "", labels: list[str] | None = None) -> None:
    """One panel per layer: neurons (rows) × time steps (columns), a dot per spike. layers[name]: [T, ...]."""
    plt = _pyplot()
    names = list(layers)
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.0 * len(names)), sharex=True)
    for ax, name in zip(axes, names, strict=True):
        s = layers[name].float().flatten(1)  # [T, units]
        t, unit = torch.nonzero(s, as_tuple=True)
        ax.scatter(t.numpy() + 1, unit.numpy(), s=1.5, marker="|", color="black", linewidths=0.6)
        rate = float(s.mean())
        ax.set_ylabel(f"{name}\n({s.shape[1]} units)", fontsize=8)
        ax.set_ylim(-0.5, s.shape[1] - 0.5)
        ax.set_title(f"{name}: {int(s.sum())} spikes, rate {rate:.3f} per unit per step", fontsize=8, loc="left")
        if name == "output" and labels:
            per = s.shape[1] // len(labels)
            for c, lab in enumerate(labels):
                ax.axhline(c * per - 0.5, color="tab:red", lw=0.5)
                ax.text(s.shape[0] + 0.5, c * per + per / 2, lab, fontsize=7, va="center")
    axes[-1].set_xlabel("time step")
    fig.suptitle(title[:120], fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


_SHORT = {
    "num_steps": "T=",
    "threshold": "θ=",
    "input_scale": "α=",
    "noise_steps": "noise=",
    "init": "init=",
    "beta": "β=",
}


def plot_sweep(summary: dict, path: Path) -> None:
    """Test accuracy against E_SNN / E_CNN (log x) for every sweep point, its Pareto front, and the CNN."""
    plt = _pyplot()
    pts = summary["points"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter([p["energy_ratio"] for p in pts], [100 * p["test_acc"] for p in pts], s=18, c="tab:blue", zorder=3)
    front = [p for p in pts if p["pareto"]]
    ax.step(
        [p["energy_ratio"] for p in front],
        [100 * p["test_acc"] for p in front],
        where="post",
        c="tab:blue",
        alpha=0.6,
        label="fine-tuned SNN (Pareto front)",
    )
    for p in pts:
        label = " ".join(f"{_SHORT.get(k.split('.')[-1], k.split('.')[-1])}{v}" for k, v in p["config"].items())
        ax.annotate(
            label,
            (p["energy_ratio"], 100 * p["test_acc"]),
            fontsize=5.5,
            alpha=0.8,
            xytext=(3, -2),
            textcoords="offset points",
        )
    cnn = 100 * summary["cnn"]["test_acc"]
    ax.scatter([1.0], [cnn], marker="*", s=120, c="tab:red", zorder=4, label="tailored CNN")
    ax.axhline(cnn - 2, c="tab:red", ls=":", lw=1, label="CNN − 2 points")
    ax.axvline(0.5, c="gray", ls=":", lw=1, label="0.5 × E_CNN")
    ax.set_xscale("log")
    ticks = [
        t
        for t in (0.125, 0.25, 0.5, 1, 2, 4, 8)
        if min(p["energy_ratio"] for p in pts) / 1.5 < t < 1.5 * max(max(p["energy_ratio"] for p in pts), 1)
    ]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set(xlabel="E_SNN / E_CNN (synaptic ops, input layer included)", ylabel="test accuracy (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def plot_attack(report: dict, path: Path) -> None:
    """Clean accuracy, accuracy under attack and attack success rate: CNN against SNN."""
    plt = _pyplot()
    metrics = [
        ("clean_acc", "clean accuracy"),
        ("attacked_acc", "accuracy under attack"),
        ("success_rate", "success rate"),
    ]
    models = [m for m in ("cnn", "snn") if m in report]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    width = 0.38
    for j, m in enumerate(models):
        xs = [i + (j - 0.5) * width for i in range(len(metrics))]
        ax.bar(xs, [100 * report[m][k] for k, _ in metrics], width, label=m.upper())
    ax.set_xticks(range(len(metrics)), [label for _, label in metrics])
    ax.set_ylabel("%")
    ax.set_title(f"{report['attack']} ({report['n']} examples)")
    ax.legend()
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
