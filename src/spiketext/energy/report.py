"""Operation counts and energy estimates for the tailored CNN and the SNN (docs/design.md §1.7).

Every report leads with one number, `ratio_all_ops`: E_SNN / E_CNN with every operation of both models charged on
the windows that touch a real word, at fp32 (the reviewer's accounting, `spiketext.energy.accounting`, in
report["reviewer"] with its baselines and its memory sweep). energy.json carries it as a top-level key, energy.md
in bold, results.json's "energy" and the API's `EnergySummary` under the same name.

The first accounting, kept only for comparison with older reports, lives under report["first_accounting"]:
synaptic operations only (`ratio`), plus membrane updates (`ratio_with_membrane`), with the CNN charged for every
padded window, and a flat 5 pJ per word memory estimate (`ratio_memory_flat`) that no report prints as a verdict.
Its per-layer tables (report["cnn"]["layers"], report["snn"]["layers"]: operations, rates, energy per layer over
every padded window) are what energy.md shows per layer.

Energy = E_AC × accumulates + E_MAC × multiply-accumulates. Costs from Horowitz (ISSCC 2014, 45 nm): an add is the
AC, a multiply plus an add the MAC (fp32 0.9 / 4.6 pJ, fp16 0.4 / 1.5 pJ, int8 0.03 / 0.23 pJ). The input layer is
always counted. The counters and the costs per operation: `spiketext.energy.counting`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import torch

from spiketext.core.codes import Draw
from spiketext.core.models.spiking import SpikingTextCNN
from spiketext.core.runtime import generator
from spiketext.energy.accounting import reviewer_accounting
from spiketext.energy.counting import COSTS, CNNCounter, EnergyCosts, SNNCounter, cnn_layer_macs, formula_snn
from spiketext.errors import SpiketextError
from spiketext.io import atomic_write

HEADLINE = (
    "E_SNN / E_CNN: every operation of both models (the SNN's synaptic and held-current ACs, pool scales and a "
    "membrane update per neuron and step of every phase; every CNN MAC and add), on the windows that touch a real "
    "word, fp32 (Horowitz 2014, 45 nm)"
)


def energy_report(
    counter: SNNCounter,
    dim: int,
    length: int,
    cnn_input_mean: float,
    costs: EnergyCosts = COSTS["fp32"],
) -> dict:
    """The per-layer tables of both models over the same sentences (every padded window) and the first
    accounting's totals; a JSON-ready dict (`count_energy` puts the headline on top of it)."""
    n = counter.sentences
    if n == 0:
        raise ValueError("no sentences were counted")
    snn_layers = _snn_layers(counter, costs)
    cnn_layers = _cnn_layers(counter, dim, length, cnn_input_mean, costs)
    snn_e = sum(x["energy_pj"] for x in snn_layers)
    snn_e_mem = sum(x["energy_pj_with_membrane"] for x in snn_layers)
    cnn_e = sum(x["energy_pj"] for x in cnn_layers)
    flat = costs.e_mem_pj
    snn_e_memory = snn_e_mem + flat * sum(x["memory_accesses"] for x in snn_layers)
    cnn_e_memory = cnn_e + flat * sum(x["memory_accesses"] for x in cnn_layers)
    # spikes per synapse per inference: the SNN's synaptic events where the CNN does one MAC (conv and fc layers)
    cnn_macs = {layer["name"]: layer["macs"] for layer in cnn_layers}
    for layer in snn_layers:
        if layer["name"] != "pool" and cnn_macs.get(layer["name"]):
            layer["spikes_per_synapse"] = layer["synaptic_ops"] / cnn_macs[layer["name"]]
    return {
        "costs": asdict(costs),
        "sentences": n,
        "num_steps": counter.num_steps,
        "length": length,
        "cnn": {"layers": cnn_layers},
        "snn": {"layers": snn_layers},
        "first_accounting": {
            "note": "synaptic operations only, the CNN charged for every padded window; kept to compare with older "
            "reports, never a headline",
            "ratio": snn_e / cnn_e,
            "ratio_with_membrane": snn_e_mem / cnn_e,
            "ratio_memory_flat": snn_e_memory / cnn_e_memory,
            "cnn_pj_per_sentence": cnn_e / n,
            "snn_pj_per_sentence": snn_e / n,
            "snn_pj_per_sentence_with_membrane": snn_e_mem / n,
        },
        "input_layer_share": sum(layer["energy_pj"] for layer in snn_layers if layer["name"].startswith("conv"))
        / snn_e,
        # an input spike replaces one MAC with one AC: the SNN's input layer costs less than the CNN's only while
        # each input unit sends fewer than about E_MAC / E_AC spikes per inference
        "break_even_spikes_per_unit": costs.e_mac_pj / costs.e_ac_pj,
    }


def _snn_layers(counter: SNNCounter, costs: EnergyCosts) -> list[dict]:
    """The SNN's rows: operations, memory accesses and energy per layer (the module docstring's rules)."""
    ac, mac = costs.e_ac_pj, costs.e_mac_pj
    membrane_cost = ac if counter.beta == 1.0 else mac
    rows = []
    for name, c in counter.layers.items():
        e_syn = (c["synaptic_ops"] + c["current_acs"]) * ac + c["macs"] * mac
        e_mem = c["neuron_steps"] * membrane_cost
        # memory traffic (module docstring): synaptic op 3 words (2 in the pool: no weight), scale MAC 2,
        # membrane update 2, held current 1, spike event 1
        accesses = (
            c["synaptic_ops"] * (2 if name == "pool" else 3)
            + c["macs"] * 2
            + c["neuron_steps"] * 2
            + c["current_acs"]
            + c["spikes"]
        )
        rows.append(
            {
                "name": name,
                "input_rate": c["input_spikes"] / max(c["input_size"], 1),
                # spikes each input unit sends in one inference (rate × T): against E_MAC / E_AC, the break-even
                "input_spikes_per_unit": c["input_spikes"] * counter.num_steps / max(c["input_size"], 1),
                # the same per unit of a real word (padding sends nothing): what the SNN's cost scales with
                "input_spikes_per_real_unit": (
                    c["input_spikes"] * counter.num_steps / c["input_size_real"] if c.get("input_size_real") else None
                ),
                "firing_rate": c["spikes"] / max(c["neuron_steps"], 1),
                "synaptic_ops": c["synaptic_ops"],
                "current_acs": c["current_acs"],
                "macs": c["macs"],
                "membrane_updates": c["neuron_steps"],
                "memory_accesses": accesses,
                "formula": formula_snn(
                    name, counter.num_filters, counter.outputs, len(counter.kernel_sizes), counter.held_current
                ),
                "energy_pj": e_syn,
                "energy_pj_with_membrane": e_syn + e_mem,
            }
        )
    return rows


def _cnn_layers(counter: SNNCounter, dim: int, length: int, input_mean: float, costs: EnergyCosts) -> list[dict]:
    """The CNN's rows over the same sentences: MACs, ACs, memory accesses and energy per layer."""
    n, ac, mac = counter.sentences, costs.e_ac_pj, costs.e_mac_pj
    rows = []
    for layer in cnn_layer_macs(dim, length, counter.num_filters, counter.kernel_sizes, counter.outputs):
        macs, acs, outs = int(layer["macs"]) * n, int(layer["acs"]) * n, int(layer["outputs"]) * n
        e = macs * mac + acs * ac
        accesses = 2 * macs + acs + outs
        name = str(layer["name"])
        rows.append(
            {
                "name": name,
                "input_rate": input_mean if name.startswith("conv") else None,
                "macs": macs,
                "acs": acs,
                "memory_accesses": accesses,
                "formula": {
                    "pool": f"{counter.num_filters}·(L−k+1) adds (ACs) + {counter.num_filters} scales (MACs), per k",
                    "fc": f"{len(counter.kernel_sizes)}·{counter.num_filters}·{counter.outputs}",
                }.get(name, f"F·D·k·(L−k+1) = {counter.num_filters}·{dim}·{name[4:]}·({length}−{name[4:]}+1)"),
                "energy_pj": e,
            }
        )
    return rows


@torch.no_grad()
def count_energy(
    model: SpikingTextCNN,
    inputs: Iterable[torch.Tensor],
    num_steps: int,
    seed: int,
    costs: str = "fp32",
    dtype: torch.dtype | None = None,
    save_spikes: str | Path | None = None,
    cnn: torch.nn.Module | None = None,
) -> dict:
    """Energy report of `model` on e⁺ batches [B, D, L], one Bernoulli draw from a generator seeded by `seed`.

    With `save_spikes`, the first batch's recorded spikes of every layer ([T, B, ...], uint8) go to that
    safetensors file and its own counts to report["saved_spikes"], so that a layer can be recounted by hand.
    report["reviewer"] is the reviewer's accounting (`spiketext.energy.accounting`: real positions, every operation,
    baselines, memory sweep); with `cnn` (the run's tailored CNN) it includes the zero-skipping CNN.
    """
    if costs not in COSTS:
        raise SpiketextError(f"energy costs {costs!r}: choose one of {', '.join(COSTS)}")
    was = model.training
    model.eval()
    counter = SNNCounter(model.kernel_sizes, model.num_filters, model.num_outputs, model.snn.beta, model.held_current)
    cnn_counter = CNNCounter(model.convs[0].in_channels, model.num_filters, model.kernel_sizes, model.num_outputs)
    if cnn is not None:
        cnn_was = cnn.training
        cnn.eval()
    gen, total, size, dim, length, saved = None, 0.0, 0, 0, 0, {}
    for x in inputs:
        gen = gen or generator(seed, device=x.device)
        events: dict = {}
        _, layers = model.class_scores(x, Draw(num_steps, gen, dtype), record=True, events=events)
        words = x.abs().amax(dim=1) > 0  # [B, L]: padding is the all-zero column
        counter.add(layers, words, events)
        cnn_counter.add(x, words, cnn)
        if save_spikes is not None and counter.sentences == x.shape[0]:
            saved = _save_spikes(model, layers, save_spikes)
        total, size, (dim, length) = total + float(x.double().sum()), size + x.numel(), x.shape[1:]
    model.train(was)
    if cnn is not None:
        cnn.train(cnn_was)
    if counter.sentences == 0:
        raise SpiketextError("energy: no sentences to count; the split is empty")
    report = _assemble(model, counter, cnn_counter, (dim, length, total / max(size, 1)), num_steps, costs)
    if save_spikes is not None:
        report["saved_spikes"] = saved
    return report


def _save_spikes(model: SpikingTextCNN, layers: dict[str, torch.Tensor], path: str | Path) -> dict:
    """The first batch's spikes of every layer to a safetensors file (uint8; int8 for signed input spikes), and
    that batch's own counts, so that a layer can be recounted by hand."""
    from safetensors.torch import save_file

    first = SNNCounter(model.kernel_sizes, model.num_filters, model.num_outputs, 1.0, model.held_current)
    first.add(layers)
    spikes = {k: v.to(torch.int8 if bool((v < 0).any()) else torch.uint8).contiguous().cpu() for k, v in layers.items()}
    atomic_write(path, lambda tmp: save_file(spikes, str(tmp)))
    return {"file": str(path), "sentences": next(iter(layers.values())).shape[1], "layers": first.layers}


def _assemble(
    model: SpikingTextCNN, counter: SNNCounter, cnn_counter: CNNCounter, shape: tuple, num_steps: int, costs: str
) -> dict:
    """The report: the headline (the reviewer's accounting) on top of the per-layer tables, the first accounting
    at every precision, and the price of making the input spikes. shape: (D, L, the input's mean value)."""
    dim, length, mean = shape
    tables = energy_report(counter, dim, length, mean, COSTS[costs])
    reviewer = reviewer_accounting(counter.layers, cnn_counter.counts, model.snn.beta, num_steps, not model.stochastic)
    report = {"ratio_all_ops": reviewer["ratio"], "headline": HEADLINE, **tables, "reviewer": reviewer}
    report["cnn_counts"] = cnn_counter.counts
    fa = report["first_accounting"]
    fa["ratios_by_costs"] = {  # both models at one precision: int8 against int8, ...
        k: energy_report(counter, dim, length, mean, c)["first_accounting"]["ratio"] for k, c in COSTS.items()
    }
    report["encoding"] = _draws(model, dim, length, num_steps, COSTS[costs])
    draws = report["encoding"]["draws_pj_per_sentence"]
    fa["ratio_with_draws"] = (fa["snn_pj_per_sentence"] + draws) / fa["cnn_pj_per_sentence"]
    p = reviewer["per_sentence_pj"]
    reviewer["ratio_with_draws"] = (p["snn"] + draws) / p["cnn"]  # the headline with the draws' price
    return report


def _draws(model: SpikingTextCNN, dim: int, length: int, num_steps: int, costs: EnergyCosts) -> dict:
    """The random draws the input needs per sentence (a random code's per unit and step, input noise's per unit)
    and their estimated energy; none for a deterministic code without noise."""
    code_draws, noise_draws = model.front_end.noise_draws(dim, length, num_steps)
    draws = code_draws + noise_draws
    notes = []
    if code_draws:
        notes.append("one uniform draw and one comparison per input unit and step")
    if noise_draws:
        notes.append(f"one normal draw per input unit for the input noise (σ = {model.snn.input_noise})")
    return {
        "code": model.input_code,
        "domain": model.input_domain,
        "input_noise": model.snn.input_noise,
        "random_draws_per_sentence": draws,
        "draws_pj_per_sentence": draws * costs.e_draw_pj,
        "note": "; ".join(notes) + f", {costs.e_draw_pj} pJ each (xorshift + compare as 7 integer adds; an estimate)"
        if draws
        else "deterministic: counters only, no random draws",
    }


def energy_summary(report: dict) -> dict:
    """The numbers a run's results.json keeps from an energy report (`results.EnergySummary`): the headline
    `ratio_all_ops`, the reviewer's baselines and memory verdicts, and the first accounting as a labelled field."""
    r = report["reviewer"]
    first_layer = report["snn"]["layers"][0]
    fa = report["first_accounting"]
    return {
        "ratio_all_ops": report["ratio_all_ops"],
        "cnn_nj_per_sentence": r["per_sentence_pj"]["cnn"] / 1e3,
        "snn_nj_per_sentence": r["per_sentence_pj"]["snn"] / 1e3,
        "num_steps": report["num_steps"],
        "costs": report["costs"]["name"],
        "input_rate": first_layer["input_rate"],
        "input_spikes_per_unit": first_layer["input_spikes_per_unit"],
        "input_spikes_per_real_unit": first_layer.get("input_spikes_per_real_unit"),
        "ratio_all_ops_padded": r["ratio_padded"],
        "ratio_all_ops_int8": r["ratio_int8"],
        "ratio_zero_skip_cnn": r["ratio_zero_skip_cnn"],
        "ratio_quantized_cnn": r["ratio_quantized_cnn"],
        "activation_bits": r["activation_bits"],
        "ratio_lut": r["ratio_lut"],
        "ratio_event_driven": r.get("ratio_event_driven"),
        "ratio_with_draws": r.get("ratio_with_draws"),
        "ratio_memory_sram": r["memory"],
        "ratio_memory_horowitz": r.get("memory_horowitz", {}),
        "first_accounting": {k: fa[k] for k in ("ratio", "ratio_with_membrane", "ratio_memory_flat")},
        "note": "E_SNN / E_CNN over the test set, every operation on windows touching a real word (fp32); every term "
        "in energy.md",
    }
