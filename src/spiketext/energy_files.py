"""Energy reports as files: the markdown tables (every term with its formula), JSON and the per-layer figure.

The counting and the accountings live in `spiketext.energy` and `spiketext.accounting`; this module only renders.
"""

from __future__ import annotations

from pathlib import Path

from spiketext.io import atomic_write_json, atomic_write_text


def energy_markdown(report: dict) -> str:
    c = report["costs"]
    lines = [
        f"Energy over {report['sentences']} sentences (L = {report['length']}, SNN T = {report['num_steps']}); "
        f"E_AC = {c['e_ac_pj']} pJ, E_MAC = {c['e_mac_pj']} pJ ({c['name']}; {c['source']})",
        "",
        "| model | layer | input rate | firing rate | ACs | MACs | membrane updates | memory accesses | formula | "
        "energy (µJ) | with membrane (µJ) | memory-inclusive (µJ) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for layer in report["cnn"]["layers"]:
        rate = "" if layer["input_rate"] is None else f"{layer['input_rate']:.3f}"
        lines.append(
            f"| CNN | {layer['name']} | {rate} | | {layer['acs']:,} | {layer['macs']:,} | | "
            f"{layer.get('memory_accesses', 0):,} | {layer['formula']} | {layer['energy_pj'] / 1e6:.2f} | "
            f"{layer['energy_pj'] / 1e6:.2f} | {layer.get('energy_pj_memory', 0) / 1e6:.2f} |"
        )
    for layer in report["snn"]["layers"]:
        acs = layer["synaptic_ops"] + layer.get("current_acs", 0)  # synaptic ops (+ held-current adds)
        lines.append(
            f"| SNN | {layer['name']} | {layer['input_rate']:.3f} | {layer['firing_rate']:.3f} | "
            f"{acs:,} | {layer['macs']:,} | {layer['membrane_updates']:,} | {layer.get('memory_accesses', 0):,} | "
            f"{layer['formula']} | {layer['energy_pj'] / 1e6:.2f} | {layer['energy_pj_with_membrane'] / 1e6:.2f} | "
            f"{layer.get('energy_pj_memory', 0) / 1e6:.2f} |"
        )
    cnn, snn = report["cnn"], report["snn"]
    lines += [
        "",
        f"Per sentence: CNN {cnn['energy_pj_per_sentence'] / 1e3:.1f} nJ; SNN {snn['energy_pj_per_sentence'] / 1e3:.1f}"
        f" nJ (synaptic ops only), {snn['energy_pj_with_membrane_per_sentence'] / 1e3:.1f} nJ (with membrane "
        f"updates). **E_SNN / E_CNN = {report['ratio']:.3f}** (synaptic ops only, input layer included), "
        f"{report['ratio_with_membrane']:.3f} with membrane updates; the convolution layer (fed by the input "
        f"spikes) holds {100 * report['input_layer_share']:.1f}% of the SNN's energy.",
    ]
    first = report["snn"]["layers"][0]
    lines.append(
        f"Each input unit sends {first['input_spikes_per_unit']:.2f} spikes per inference; the input layer breaks even "
        f"with the CNN's near E_MAC / E_AC = {report['break_even_spikes_per_unit']:.1f} spikes per unit."
    )
    per_synapse = [
        f"{x['name']} {x['spikes_per_synapse']:.3f}" for x in report["snn"]["layers"] if "spikes_per_synapse" in x
    ]
    if per_synapse:
        lines.append(
            "Spikes per synapse per inference (the SNN's synaptic events where the CNN does one MAC): "
            + ", ".join(per_synapse)
            + "."
        )
    if "ratios_by_costs" in report:
        by = ", ".join(f"{k} {v:.3f}" for k, v in report["ratios_by_costs"].items())
        lines.append(f"E_SNN / E_CNN with both models at the same precision (costs of Horowitz 2014): {by}.")
    if "ratio_memory" in report:
        line = (
            f"Memory-inclusive (Lemaire et al. 2022 style: every operation also reads and writes its words in SRAM, "
            f"E_mem = {c['e_mem_pj']} pJ per word, no reuse on either side): CNN "
            f"{cnn['energy_pj_memory_per_sentence'] / 1e3:.1f} nJ, SNN {snn['energy_pj_memory_per_sentence'] / 1e3:.1f}"
            f" nJ per sentence, **E_SNN / E_CNN = {report['ratio_memory']:.3f}**"
        )
        if "ratios_memory_by_costs" in report:
            line += " (" + ", ".join(f"{k} {v:.3f}" for k, v in report["ratios_memory_by_costs"].items()) + ")"
        lines.append(line + ".")
    if "reviewer" in report:
        lines += ["", *reviewer_markdown(report["reviewer"])]
    if "encoding" in report:
        e = report["encoding"]
        lines.append(
            f"Making the input spikes ({e['code']} code, {e.get('domain', 'positive')} input): "
            f"{e['random_draws_per_sentence']:,} random draws per sentence ({e['note']}); with their price, "
            f"E_SNN / E_CNN = {report.get('ratio_with_draws', report['ratio']):.3f}."
        )
    return "\n".join(lines)


def reviewer_markdown(r: dict) -> list[str]:
    """The reviewer's accounting as text (spiketext.accounting has every rule and source)."""
    p = r["per_sentence_pj"]
    skip = f"{r['ratio_zero_skip_cnn']:.3f}" if r.get("ratio_zero_skip_cnn") is not None else "– (no CNN given)"
    sizes = " | ".join(r["memory"])
    return [
        "## The reviewer's accounting (spiketext.accounting): both models on windows that touch a real word, every "
        "operation",
        "",
        f"**E_SNN / E_CNN = {r['ratio']:.3f}** (fp32; SNN {p['snn'] / 1e3:.1f} nJ, CNN {p['cnn'] / 1e3:.1f} nJ per "
        "sentence: synaptic ACs, held-current ACs, pool scales and one membrane update per neuron and step in every "
        "phase, against every CNN MAC and add).",
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
        "(E64 = 13.2 pJ + 1.09e-5 pJ × bits per 64-bit access):",
        "",
        f"| SRAM | {sizes} |",
        "|---|" + "---:|" * len(r["memory"]),
        "| fp32 words | " + " | ".join(f"{v:.3f}" for v in r["memory"].values()) + " |",
        "| int8 words | " + " | ".join(f"{v:.3f}" for v in r["memory_int8"].values()) + " |",
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
