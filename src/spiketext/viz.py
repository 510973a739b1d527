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
