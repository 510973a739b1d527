"""Every figure spiketext draws: training curves, spike rasters, energy bars, sweeps, attacks.

Built with matplotlib's object API (`matplotlib.figure.Figure` on its own Agg canvas): no pyplot state, and the
caller's backend (a notebook's inline one, say) is never switched. Each `*_figure` returns a Figure;
`save_figure` writes it atomically.
"""

from __future__ import annotations

from pathlib import Path

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from spiketext.io import atomic_write


def _figure(**kwargs) -> Figure:
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 110) -> None:
    """Write `fig` as a PNG, atomically."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


def curves_figure(metrics: list[dict]) -> Figure:
    """Dev accuracy and training loss per epoch, one line per stage."""
    stages: dict[str, list[dict]] = {}
    for m in metrics:
        stages.setdefault(m["stage"], []).append(m)
    fig = _figure(figsize=(11, 4))
    ax1, ax2 = fig.subplots(1, 2)
    for stage, rows in stages.items():
        epochs = [r["epoch"] for r in rows]
        ax1.plot(epochs, [100 * r["dev_acc"] for r in rows], marker=".", label=stage)
        ax2.plot(epochs, [r["train_loss"] for r in rows], marker=".", label=stage)
    ax1.set(xlabel="epoch", ylabel="dev accuracy (%)", title="Dev accuracy")
    ax2.set(xlabel="epoch", ylabel="training loss", title="Training loss", yscale="log")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        if stages:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def raster_figure(layers: dict[str, torch.Tensor], title: str = "", labels: list[str] | None = None) -> Figure:
    """One panel per layer: neurons (rows) × time steps (columns), a dot per spike (negative spikes of a signed
    input in red). layers[name]: [T, ...]."""
    names = list(layers)
    fig = _figure(figsize=(9, 2.0 * len(names)))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names, strict=True):
        signed = layers[name].float().flatten(1)  # [T, units]
        for sign, color in ((1, "black"), (-1, "tab:red")):
            t, unit = torch.nonzero(signed == sign, as_tuple=True)
            if len(t):
                ax.scatter(t.numpy() + 1, unit.numpy(), s=1.5, marker="|", color=color, linewidths=0.6)
        s = signed.abs()
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
    return fig


_SHORT = {
    "num_steps": "T=",
    "encoder": "",
    "input_domain": "",
    "threshold": "θ=",
    "input_scale": "α=",
    "noise_steps": "noise=",
    "init": "init=",
    "beta": "β=",
}


def sweep_figure(summary: dict) -> Figure:
    """Test accuracy against E_SNN / E_CNN (log x) for every sweep point, its Pareto front, and the CNN. With
    several seeds per point, the seed means with ± std bars (each seed's point faint behind them)."""
    groups = summary.get("groups") or []
    seeded = any(g["n"] > 1 for g in groups)
    pts = groups if seeded else summary["points"]
    fig = _figure(figsize=(7, 4.5))
    ax = fig.subplots()
    if seeded:
        raw = summary["points"]
        ax.scatter([p["energy_ratio"] for p in raw], [100 * p["test_acc"] for p in raw], s=8, c="tab:blue", alpha=0.3)
        ax.errorbar(
            [g["energy_ratio"] for g in pts],
            [100 * g["test_acc"] for g in pts],
            yerr=[100 * g.get("test_acc_std", 0.0) for g in pts],
            fmt="o",
            ms=4,
            c="tab:blue",
            capsize=2,
            zorder=3,
        )
    else:
        ax.scatter([p["energy_ratio"] for p in pts], [100 * p["test_acc"] for p in pts], s=18, c="tab:blue", zorder=3)
    front = [p for p in pts if p["pareto"]]
    ax.step(
        [p["energy_ratio"] for p in front],
        [100 * p["test_acc"] for p in front],
        where="post",
        c="tab:blue",
        alpha=0.6,
        label="fine-tuned SNN (Pareto front" + (", seed means)" if seeded else ")"),
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
    ax.axhline(cnn - 1, c="tab:red", ls=":", lw=1, label="CNN − 1 point")
    ax.axvline(0.5, c="gray", ls=":", lw=1, label="0.5 and 0.25 × E_CNN")
    ax.axvline(0.25, c="gray", ls=":", lw=1)
    ax.set_xscale("log")
    ticks = [
        t
        for t in (0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8)
        if min(p["energy_ratio"] for p in pts) / 1.5 < t < 1.5 * max(max(p["energy_ratio"] for p in pts), 1)
    ]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set(xlabel="E_SNN / E_CNN (synaptic ops, input layer included)", ylabel="test accuracy (%)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def attack_figure(report: dict) -> Figure:
    """Clean accuracy, accuracy under attack and attack success rate: CNN against SNN."""
    metrics = [
        ("clean_acc", "clean accuracy"),
        ("attacked_acc", "accuracy under attack"),
        ("success_rate", "success rate"),
    ]
    models = [m for m in report.get("victims", ("cnn", "snn")) if m in report]
    fig = _figure(figsize=(6 + len(models) // 3, 3.5))
    ax = fig.subplots()
    width = 0.8 / max(len(models), 1)
    for j, m in enumerate(models):
        xs = [i + (j - (len(models) - 1) / 2) * width for i in range(len(metrics))]
        ax.bar(xs, [100 * report[m][k] for k, _ in metrics], width, label=m.upper())
    ax.set_xticks(range(len(metrics)), [label for _, label in metrics])
    ax.set_ylabel("%")
    ax.set_title(f"{report['attack']} ({report['n']} examples)")
    ax.legend()
    fig.tight_layout()
    return fig


def energy_figure(report: dict) -> Figure:
    """Per-layer energy bar chart (log scale): CNN, SNN synaptic ops, SNN with membrane updates."""
    names = [layer["name"] for layer in report["snn"]["layers"]]
    cnn = {layer["name"]: layer["energy_pj"] for layer in report["cnn"]["layers"]}
    n = report["sentences"]
    series = {
        "CNN (MACs)": [cnn[k] / n for k in names],
        "SNN (synaptic ops)": [layer["energy_pj"] / n for layer in report["snn"]["layers"]],
        "SNN (+ membrane updates)": [layer["energy_pj_with_membrane"] / n for layer in report["snn"]["layers"]],
    }
    fig = _figure(figsize=(7, 4))
    ax = fig.subplots()
    width = 0.27
    for i, (label, values) in enumerate(series.items()):
        ax.bar([j + (i - 1) * width for j in range(len(names))], values, width, label=label)
    ax.set_xticks(range(len(names)), names)
    ax.set_yscale("log")
    ax.set_ylabel("energy per sentence (pJ)")
    ax.set_title(
        f"per layer, every padded window; headline E_SNN / E_CNN = {report['ratio_all_ops']:.3f} (T = "
        f"{report['num_steps']}, every operation, real positions)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def method_figure(table: dict, datasets: tuple[str, ...]) -> Figure:
    """Test accuracy per data set: each preset's tailored CNN and fine-tuned SNN side by side (± std over seeds)."""
    fig = _figure(figsize=(8, 4))
    ax = fig.subplots()
    bars = [(p, key) for p in table for key in ("cnn", "snn_finetuned")]
    width = 0.8 / max(len(bars), 1)
    for j, (preset, key) in enumerate(bars):
        rows = table[preset]
        xs = [i + (j - (len(bars) - 1) / 2) * width for i, d in enumerate(datasets) if rows.get(d, {}).get(key)]
        vals = [rows[d][key] for d in datasets if rows.get(d, {}).get(key)]
        std_key = "cnn_std_seeds" if key == "cnn" else "snn_finetuned_std"
        errs = [rows[d].get(std_key) or 0.0 for d in datasets if rows.get(d, {}).get(key)]
        label = f"{preset}: {'tailored CNN' if key == 'cnn' else 'SNN fine-tuned'}"
        ax.bar(xs, vals, width, yerr=errs, capsize=2, label=label, alpha=0.9 if key == "cnn" else 0.6)
    ax.set_xticks(range(len(datasets)), datasets)
    ax.set_ylabel("test accuracy (%)")
    values = [r[k] for p in table.values() for r in p.values() for k in ("cnn", "snn_finetuned") if r.get(k)]
    if values:
        ax.set_ylim(max(0.0, min(values) - 10), max(values) + 12)  # room for the legend above the bars
    ax.legend(fontsize=7, ncols=2, loc="upper left")
    ax.set_title("dev-selected test accuracy (± std over seeds; over Bernoulli draws for one seed)", fontsize=9)
    return fig
