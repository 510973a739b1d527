"""Energy reports as files: the markdown tables (every term with its formula), JSON and the per-layer figure.

The counting and the accountings live in `spiketext.energy.report` and `spiketext.energy.accounting`; this module
only renders.
"""

from __future__ import annotations

from pathlib import Path

from spiketext.io import atomic_write_json, atomic_write_text


def _verdict(ratio: float) -> str:
    return "SNN wins" if ratio < 1 else "SNN loses"


def energy_markdown(report: dict) -> str:
    """energy.md: the headline first (bold), the two verdicts that can flip it, the reviewer's tables, the per-layer
    counts, and the first accounting last, labelled."""
    return "\n".join(
        [*_headline(report), "", *reviewer_markdown(report["reviewer"]), "", *_layers(report), *_notes(report),
         "", *_first_accounting(report)]
    )  # fmt: skip


def _headline(report: dict) -> list[str]:
    r = report["reviewer"]
    p = r["per_sentence_pj"]
    horowitz = r.get("memory_horowitz", {})
    memory = ", ".join(f"{size} {v:.3f}" for size, v in r["memory"].items()) + " (fit through Horowitz's points)"
    if horowitz:
        memory += "; at his own points " + ", ".join(f"{size} {v:.3f}" for size, v in horowitz.items())
    return [
        f"# Energy: E_SNN / E_CNN = **{report['ratio_all_ops']:.3f}**",
        "",
        f"{report['headline']}; {report['sentences']} sentences (L = {report['length']}, SNN T = "
        f"{report['num_steps']}); SNN {p['snn'] / 1e3:.1f} nJ, CNN {p['cnn'] / 1e3:.1f} nJ per sentence. Above 1 the "
        "SNN loses.",
        "",
        f"- compute, every operation: **{report['ratio_all_ops']:.3f}** ({_verdict(report['ratio_all_ops'])})",
        "- memory counted (one SRAM for both, every weight read and state read and write): "
        f"{memory} ({_memory_verdict(r)})",
        f"- first layer folded into a per-word lookup table ({r['lut_note']}): {r['ratio_lut']:.3f} "
        f"({_verdict(r['ratio_lut'])})",
    ]


def _layers(report: dict) -> list[str]:
    lines = [
        "## Per layer (operation counts over every padded window)",
        "",
        "| model | layer | input rate | firing rate | ACs | MACs | membrane updates | memory accesses | formula | "
        "energy (µJ) | with membrane (µJ) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for layer in report["cnn"]["layers"]:
        rate = "" if layer["input_rate"] is None else f"{layer['input_rate']:.3f}"
        lines.append(
            f"| CNN | {layer['name']} | {rate} | | {layer['acs']:,} | {layer['macs']:,} | | "
            f"{layer.get('memory_accesses', 0):,} | {layer['formula']} | {layer['energy_pj'] / 1e6:.2f} | "
            f"{layer['energy_pj'] / 1e6:.2f} |"
        )
    for layer in report["snn"]["layers"]:
        acs = layer["synaptic_ops"] + layer.get("current_acs", 0)  # synaptic ops (+ held-current adds)
        lines.append(
            f"| SNN | {layer['name']} | {layer['input_rate']:.3f} | {layer['firing_rate']:.3f} | "
            f"{acs:,} | {layer['macs']:,} | {layer['membrane_updates']:,} | {layer.get('memory_accesses', 0):,} | "
            f"{layer['formula']} | {layer['energy_pj'] / 1e6:.2f} | {layer['energy_pj_with_membrane'] / 1e6:.2f} |"
        )
    return lines


def _notes(report: dict) -> list[str]:
    first = report["snn"]["layers"][0]
    real = first.get("input_spikes_per_real_unit")
    spikes = (
        f"Each input unit of a real word sends {real:.2f} spikes per inference ({first['input_spikes_per_unit']:.2f} "
        "per unit, padding included)"
        if real is not None
        else f"Each input unit sends {first['input_spikes_per_unit']:.2f} spikes per inference (padding included)"
    )
    lines = [
        "",
        f"{spikes}; the input layer breaks even with the CNN's near E_MAC / E_AC = "
        f"{report['break_even_spikes_per_unit']:.1f} spikes per unit; the convolution layer holds "
        f"{100 * report['input_layer_share']:.1f}% of the SNN's synaptic energy.",
    ]
    per_synapse = [
        f"{x['name']} {x['spikes_per_synapse']:.3f}" for x in report["snn"]["layers"] if "spikes_per_synapse" in x
    ]
    if per_synapse:
        lines.append(
            "Spikes per synapse per inference (the SNN's synaptic events where the CNN does one MAC): "
            + ", ".join(per_synapse)
            + "."
        )
    if "encoding" in report:
        e = report["encoding"]
        lines.append(
            f"Making the input spikes ({e['code']} code, {e.get('domain', 'positive')} input): "
            f"{e['random_draws_per_sentence']:,} random draws per sentence ({e['note']}); with their price, "
            f"E_SNN / E_CNN = {report['reviewer'].get('ratio_with_draws', report['ratio_all_ops']):.3f}."
        )
    return lines


def _first_accounting(report: dict) -> list[str]:
    c, fa = report["costs"], report["first_accounting"]
    by = fa.get("ratios_by_costs")
    return [
        "## The first accounting (kept to compare with older reports; not a verdict)",
        "",
        f"Synaptic operations only, the CNN charged for every padded window: {fa['ratio']:.3f} "
        f"({fa['ratio_with_membrane']:.3f} with membrane updates; E_AC = {c['e_ac_pj']} pJ, E_MAC = {c['e_mac_pj']} pJ"
        + ("; " + ", ".join(f"{k} {v:.3f}" for k, v in by.items()) if by else "")
        + ").",
    ]


def _memory_verdict(r: dict) -> str:
    ratios = [*r["memory"].values(), *r.get("memory_horowitz", {}).values()]
    if all(v >= 1 for v in ratios):
        return "the SNN loses at every size"
    if all(v < 1 for v in ratios):
        return "the SNN wins at every size"
    return "the verdict flips within the sweep"


def reviewer_markdown(r: dict) -> list[str]:
    """The reviewer's accounting as text (spiketext.energy.accounting has every rule and source)."""
    p = r["per_sentence_pj"]
    skip = f"{r['ratio_zero_skip_cnn']:.3f}" if r.get("ratio_zero_skip_cnn") is not None else "– (no CNN given)"
    sizes = " | ".join(r["memory"])
    horowitz = r.get("memory_horowitz", {})
    return [
        "## The reviewer's accounting (spiketext.energy.accounting): both models on windows that touch a real word, "
        "every operation",
        "",
        f"SNN {p['snn'] / 1e3:.1f} nJ, CNN {p['cnn'] / 1e3:.1f} nJ per sentence (fp32): synaptic ACs, held-current "
        "ACs, pool scales and one membrane update per neuron and step in every phase, against every CNN MAC and add.",
        "",
        "| comparison | E_SNN / E_CNN |",
        "|---|---:|",
        f"| headline: fp32, real positions, every operation | {r['ratio']:.3f} |",
        f"| both charged for every padded window | {r['ratio_padded']:.3f} |",
        f"| both int8 | {r['ratio_int8']:.3f} |",
        f"| against a zero-skipping CNN (fp32) | {skip} |",
        f"| SNN int8 against a CNN with {r['activation_bits']}-bit activations and int8 weights | "
        f"{r['ratio_quantized_cnn']:.3f} |",
        f"| first layer as a per-word lookup table ({r['lut_note']}) | {r['ratio_lut']:.3f} |",
        *(
            [f"| event-driven neuron updates (only at input or after a spike) | {r['ratio_event_driven']:.3f} |"]
            if r.get("ratio_event_driven") is not None
            else []
        ),
        "",
        "Memory-inclusive, every weight read and every state read and write of each phase, one SRAM size for both "
        "(the fit: E64 = 13.2 pJ + 1.09e-5 pJ × bits per 64-bit access; Horowitz's own points: 10 / 20 / 100 pJ at "
        "8 KB / 32 KB / 1 MB):",
        "",
        f"| SRAM | {sizes} |",
        "|---|" + "---:|" * len(r["memory"]),
        "| fp32 words (the fit) | " + " | ".join(f"{v:.3f}" for v in r["memory"].values()) + " |",
        *(
            [
                "| fp32 words (Horowitz's points) | "
                + " | ".join(f"{horowitz[s]:.3f}" if s in horowitz else "–" for s in r["memory"])
                + " |"
            ]
            if horowitz
            else []
        ),  # fmt: skip
        "| int8 words (the fit) | " + " | ".join(f"{v:.3f}" for v in r["memory_int8"].values()) + " |",
        "",
        "Where a ratio is above 1 the SNN loses.",
    ]


def write_energy(report: dict, out: str | Path, stem: str = "energy") -> dict[str, str]:
    """STEM.json, STEM.md and STEM.png (per-layer bars) into `out`; returns their paths."""
    from spiketext.viz import energy_figure, save_figure

    out = Path(out)
    paths = {"json": out / f"{stem}.json", "md": out / f"{stem}.md", "png": out / f"{stem}.png"}
    atomic_write_json(paths["json"], report)
    atomic_write_text(paths["md"], energy_markdown(report) + "\n")
    save_figure(energy_figure(report), paths["png"])
    return {k: str(v) for k, v in paths.items()}
