"""Energy of the spiking transformer against its ANN, under the TextCNN's reviewer accounting
(`spiketext.energy.accounting`).

Both models are charged for the real tokens only (a padded position's key is masked and its row unused, so a real
system never computes it), for every operation (`models.spiking_transformer.OpCounts`): the SNN's spike-driven
accumulates, the products of its spiking tensors (a spike times a running sum: an AC per partner element), biases,
residual adds, one membrane update per neuron and step, and its non-spiking operations (softmax, LayerNorm, the
mean pool) run on accumulated values at every step; the ANN's every MAC, bias, residual add, softmax, LayerNorm and
GELU. A transcendental (exp, 1/x, 1/√x, GELU's erf) is priced as `TRANSCENDENTAL_MACS` MACs, an assumption named
in every report with the non-spiking operations' share of the SNN's energy. The embedding lookup is the same for
both and left out.

Baselines: both at int8; the SNN at int8 against its own QANN run with int8 weights and the activations it
quantizes (⌈log₂(2L + 1)⌉ bits for L levels per sign), and against an ANN whose activations carry the information of
a T-step spike count (⌈log₂(T + 1)⌉ bits; Yan et al., arXiv 2409.08290). Memory: every word read and written, one
SRAM for both, swept over size with the fit through Horowitz's points and at his own three points.
"""

from __future__ import annotations

import math

from spiketext.core.models.spiking_transformer import TRANSCENDENTAL_MACS, OpCounts
from spiketext.energy.accounting import HOROWITZ_SRAM_64BIT_PJ, SRAM_SIZES, Ops, low_bit_mac_pj, memory_ratio, sram_pj

FP32, INT8 = (0.9, 4.6), (0.03, 0.23)
NON_SPIKING = ("softmax", "layernorm", "pooling")
HEADLINE = (
    "E_SNN / E_ANN: every operation of both models (the SNN's spike-driven ACs, spike-event products, biases, "
    "residual adds, a membrane update per neuron and step, and its non-spiking softmax, LayerNorm and pooling at "
    "every step; every ANN MAC and add), on the real tokens, fp32 (Horowitz 2014, 45 nm)"
)


def ops(c: OpCounts) -> Ops:
    return Ops(acs=sum(c.acs.values()), macs=sum(c.macs.values()), reads=c.reads, writes=c.writes)


def breakdown(c: OpCounts, e_ac: float = FP32[0], e_mac: float = FP32[1]) -> dict[str, float]:
    """Each kind of operation's share of a model's compute energy."""
    energy = {k: v * e_ac for k, v in c.acs.items()}
    for k, v in c.macs.items():
        energy[k] = energy.get(k, 0.0) + v * e_mac
    total = sum(energy.values())
    return {k: v / total for k, v in sorted(energy.items(), key=lambda kv: -kv[1])}


def transformer_energy(ann: OpCounts, qann: OpCounts, snn: OpCounts, num_steps: int, levels: int) -> dict:
    """The report of the SNN at T = `num_steps` against its ANN (and its QANN), over the same sentences."""
    s, a, q = ops(snn), ops(ann), ops(qann)
    n = snn.sentences
    level_bits = math.ceil(math.log2(2 * levels + 1))
    count_bits = math.ceil(math.log2(num_steps + 1))
    share = breakdown(snn)
    neurons = sum(snn.neurons.values())
    report = {
        "ratio_all_ops": s.compute_pj(*FP32) / a.compute_pj(*FP32),
        "headline": HEADLINE,
        "num_steps": num_steps,
        "levels": levels,
        "sentences": n,
        "tokens": snn.tokens,
        "ratio_vs_qann": s.compute_pj(*FP32) / q.compute_pj(*FP32),
        "ratio_int8": s.compute_pj(*INT8) / a.compute_pj(*INT8),
        "level_bits": level_bits,
        "ratio_low_bit_qann": s.compute_pj(*INT8) / q.compute_pj(INT8[0], low_bit_mac_pj(level_bits)),
        "count_bits": count_bits,
        "ratio_spike_count_ann": s.compute_pj(*INT8) / q.compute_pj(INT8[0], low_bit_mac_pj(count_bits)),
        "memory": {size: memory_ratio(s, a, *FP32, sram_pj(b, 32)) for size, b in SRAM_SIZES.items()},
        "memory_horowitz": {
            size: memory_ratio(s, a, *FP32, pj * 32 / 64) for size, pj in HOROWITZ_SRAM_64BIT_PJ.items()
        },
        "non_spiking_share": sum(share.get(k, 0.0) for k in NON_SPIKING),
        "snn_breakdown": share,
        "ann_breakdown": breakdown(ann),
        "transcendental_macs": TRANSCENDENTAL_MACS,
        "per_sentence_pj": {
            "snn": s.compute_pj(*FP32) / n,
            "ann": a.compute_pj(*FP32) / n,
            "qann": q.compute_pj(*FP32) / n,
        },
        "spikes_per_neuron": sum(snn.spikes.values()) / max(neurons / num_steps, 1.0),
        "spikes": snn.spikes,
        "ops": {"snn": vars(s), "ann": vars(a), "qann": vars(q)},
        "counts": {"snn": snn.to_json(), "ann": ann.to_json(), "qann": qann.to_json()},
    }
    return report


def transformer_energy_markdown(r: dict) -> str:
    """energy.md of a transformer run: the headline in bold, the verdicts that can flip it, the breakdown."""
    p = r["per_sentence_pj"]
    mem = ", ".join(f"{k} {v:.3f}" for k, v in r["memory"].items())
    hor = ", ".join(f"{k} {v:.3f}" for k, v in r["memory_horowitz"].items())
    lines = [
        f"# Energy: E_SNN / E_ANN = **{r['ratio_all_ops']:.3f}**",
        "",
        f"{r['headline']}; {r['sentences']} sentences, {r['tokens']:.0f} real tokens; the SNN at T = "
        f"{r['num_steps']} with {r['levels']} levels per sign. SNN {p['snn'] / 1e6:.2f} µJ, ANN "
        f"{p['ann'] / 1e6:.2f} µJ, QANN {p['qann'] / 1e6:.2f} µJ per sentence. Above 1 the SNN loses.",
        "",
        "| comparison | E_SNN / E_ANN |",
        "|---|---:|",
        f"| headline: fp32, real tokens, every operation | {r['ratio_all_ops']:.3f} |",
        f"| against its own QANN (fp32) | {r['ratio_vs_qann']:.3f} |",
        f"| both int8 | {r['ratio_int8']:.3f} |",
        f"| SNN int8 against its QANN with {r['level_bits']}-bit activations and int8 weights | "
        f"{r['ratio_low_bit_qann']:.3f} |",
        f"| SNN int8 against an ANN with ⌈log₂(T+1)⌉ = {r['count_bits']}-bit activations | "
        f"{r['ratio_spike_count_ann']:.3f} |",
        f"| memory counted, the fit through Horowitz's points ({mem}) | {max(r['memory'].values()):.3f} (max) |",
        f"| memory counted, at Horowitz's own points ({hor}) | {max(r['memory_horowitz'].values()):.3f} (max) |",
        "",
        f"Non-spiking operations (softmax, LayerNorm, pooling, every step) take "
        f"{100 * r['non_spiking_share']:.1f}% of the SNN's energy (a transcendental priced as "
        f"{r['transcendental_macs']} MACs). {r['spikes_per_neuron']:.2f} spikes per neuron per inference.",
        "",
        "| the SNN's energy | share |",
        "|---|---:|",
        *[f"| {k} | {100 * v:.1f}% |" for k, v in r["snn_breakdown"].items()],
        "",
        "| the ANN's energy | share |",
        "|---|---:|",
        *[f"| {k} | {100 * v:.1f}% |" for k, v in r["ann_breakdown"].items()],
    ]
    return "\n".join(lines) + "\n"
