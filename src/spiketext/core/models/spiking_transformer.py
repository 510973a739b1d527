"""The spiking transformer: a quantized `TextTransformer` (the QANN) run with integrate-and-fire neurons for T
steps, as SpikeZIP-TF converts a transformer (Tong et al., ICML 2024; docs/design.md §1.10).

Every quantizer of the QANN becomes a layer of signed IF neurons (`neurons.stbif_step`: threshold θ = the
quantizer's step, membrane started at θ/2, counts bounded by its levels; the FFN's and the attention probabilities'
neurons cannot go below 0). A neuron is driven by the increments of its input, so after its input has settled its
count is ⌊x/θ + ½⌋ clamped: the QANN's level. Everything between neurons is linear in the increments or runs on
accumulated values:

    Linear layers fed by spikes add weight columns (accumulates; biases enter once, at step 1);
    products of two spiking tensors from spike events:  Δ(QKᵀ)ₜ = ΔQₜ Kₜᵀ + Qₜ₋₁ ΔKₜᵀ,  Δ(PV)ₜ = ΔPₜ Vₜ + Pₜ₋₁ ΔVₜ;
    softmax, LayerNorm and the mean pooling stay non-spiking: each runs on its accumulated input every step and
    passes on the change of its output (the embedding layer's output is the network's input, at step 1).

After enough steps every accumulated value equals the QANN's, so the SNN's prediction is the QANN's (a test checks
it on a tiny model in float64); before that, the prediction reads the logits accumulated so far. `run` returns the
accumulated logits after every step [T, B, C], so one run to T gives the accuracy at every T' ≤ T, and counts every
operation on the real tokens (`OpCounts`) for the energy report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from spiketext.core.models.quantize import Quantizer
from spiketext.core.models.transformer import Block, TextTransformer, attention_bias, mean_pool
from spiketext.core.neurons import stbif_step

# The price of a transcendental or a reciprocal, in multiply-accumulates (exp, 1/x, 1/√x, GELU's erf): a degree-3
# polynomial with its range reduction, as a shared-multiplier unit or software computes it. An assumption, stated in
# every report; the non-spiking operations' share of the energy is reported beside it.
TRANSCENDENTAL_MACS = 4


@dataclass
class OpCounts:
    """Operations over real tokens, for the energy report (`spiketext.energy.transformer`): additions (ACs),
    multiply-accumulates (MACs), words read and written, spikes and neuron updates per site, and what each was
    spent on. For the SNN, `per_step[t]` holds the counts of the steps up to t + 1 alone, so a shorter T is read
    off the same run."""

    acs: dict[str, float] = field(default_factory=dict)
    macs: dict[str, float] = field(default_factory=dict)
    reads: float = 0.0
    writes: float = 0.0
    spikes: dict[str, float] = field(default_factory=dict)
    neurons: dict[str, float] = field(default_factory=dict)  # neuron updates per site
    sentences: int = 0
    tokens: float = 0.0
    per_step: list[OpCounts] = field(default_factory=list)

    def add(self, kind: str, what: str, n: float, reads: float = 0.0, writes: float = 0.0) -> None:
        table = self.acs if kind == "ac" else self.macs
        table[what] = table.get(what, 0.0) + float(n)
        self.reads += float(reads)
        self.writes += float(writes)

    def copy(self) -> OpCounts:
        return OpCounts(dict(self.acs), dict(self.macs), self.reads, self.writes, dict(self.spikes),
                        dict(self.neurons), self.sentences, self.tokens)  # fmt: skip

    def absorb(self, other: OpCounts) -> None:
        """Add `other`'s counts (not its per-step list) into these."""
        for mine, theirs in ((self.acs, other.acs), (self.macs, other.macs), (self.spikes, other.spikes),
                             (self.neurons, other.neurons)):  # fmt: skip
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0.0) + v
        self.reads += other.reads
        self.writes += other.writes
        self.sentences += other.sentences
        self.tokens += other.tokens

    def to_json(self) -> dict:
        return {"acs": self.acs, "macs": self.macs, "reads": self.reads, "writes": self.writes,
                "spikes": self.spikes, "neurons": self.neurons, "sentences": self.sentences,
                "tokens": self.tokens}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> OpCounts:
        return cls(dict(d["acs"]), dict(d["macs"]), d["reads"], d["writes"], dict(d["spikes"]), dict(d["neurons"]),
                   d["sentences"], d["tokens"])  # fmt: skip


class _Site:
    """The IF neurons of one quantizer site: membrane, count, threshold and bounds."""

    def __init__(self, q: Quantizer, like: torch.Tensor) -> None:
        self.theta = q.step.detach().to(like.dtype)
        self.lo, self.hi = q.lo, q.levels
        self.mem = torch.full_like(like, 0.0) + self.theta / 2
        self.count = torch.zeros_like(like)

    def step(self, current: torch.Tensor) -> torch.Tensor:
        """current [...] -> the spikes' values, ±θ or 0 [...]."""
        spike, self.mem, self.count = stbif_step(current, self.mem, self.count, self.theta, self.lo, self.hi)
        return spike * self.theta


class _BlockState:
    """One block's accumulated values between steps."""

    def __init__(self) -> None:
        self.sites: dict[str, _Site] = {}
        self.q = self.k = self.v = self.scores = self.p_float = self.p = None
        self.res1 = self.res2 = self.h1 = self.y = None


class SpikingTransformer:
    """Runs a QANN's weights as a spiking transformer. model: a `TextTransformer` with levels ≥ 1 (eval mode)."""

    def __init__(self, model: TextTransformer) -> None:
        if model.shape.levels < 1:
            raise ValueError("a spiking transformer runs a quantized transformer (levels >= 1)")
        self.model = model.eval()

    @torch.no_grad()
    def run(
        self, ids: torch.Tensor, mask: torch.Tensor, num_steps: int, counts: OpCounts | None = None
    ) -> torch.Tensor:
        """ids, mask [B, N] -> the logits accumulated after each step [T, B, C]; `counts` gets every operation on
        the real tokens, cumulative per step in counts.per_step (a list the caller owns)."""
        m = self.model
        dtype = m.head.weight.dtype
        real = mask.to(dtype)  # [B, N]
        n = real.sum(1)  # [B] real tokens per sentence
        bias = attention_bias(mask).to(dtype)
        emb = m.embed(ids)  # [B, N, H]
        states = [_BlockState() for _ in m.blocks]
        head_site: _Site | None = None
        pooled_prev = torch.zeros(ids.shape[0], m.shape.hidden, dtype=dtype)
        logits = torch.zeros(ids.shape[0], m.shape.num_classes, dtype=dtype)
        out = []
        local = OpCounts(sentences=ids.shape[0], tokens=float(n.sum())) if counts is not None else None
        for t in range(num_steps):
            dx = emb if t == 0 else torch.zeros_like(emb)
            for block, state in zip(m.blocks, states, strict=True):
                dx = self._block_step(block, state, dx, bias, real, n, t, local)
            # the mean pool is linear: it pools the increments (non-spiking adds), then the head's neurons spike
            pooled = pooled_prev + mean_pool(dx, mask)
            d_pooled, pooled_prev = pooled - pooled_prev, pooled
            if head_site is None:
                head_site = _Site(m.q_head, d_pooled)
            s = head_site.step(d_pooled)
            logits = logits + s @ m.head.weight.T + (m.head.bias if t == 0 else 0)
            out.append(logits)
            if local is not None and counts is not None:
                self._count_pool_and_head(local, s, real, n, m.shape.hidden, m.shape.num_classes, t)
                if len(counts.per_step) <= t:
                    counts.per_step.append(OpCounts())
                counts.per_step[t].absorb(local)  # this batch's counts up to step t + 1
        if local is not None and counts is not None:
            counts.absorb(local)
        return torch.stack(out)

    def _block_step(
        self,
        b: Block,
        st: _BlockState,
        dx: torch.Tensor,
        bias: torch.Tensor,
        real: torch.Tensor,
        n: torch.Tensor,
        t: int,
        counts: OpCounts | None,
    ) -> torch.Tensor:
        """One block at step t: the increment of its input dx [B, N, H] -> the increment of its output."""
        B, N, H = dx.shape
        first = t == 0

        def neurons(name: str, current: torch.Tensor) -> torch.Tensor:
            if name not in st.sites:
                st.sites[name] = _Site(getattr(b, name), current)
            return st.sites[name].step(current)

        def linear(layer: torch.nn.Linear, s: torch.Tensor) -> torch.Tensor:
            return s @ layer.weight.T + (layer.bias if first else 0)

        a = neurons("q_in", dx)
        dq, dk, dv = (neurons(q, linear(lin, a)) for q, lin in (("q_q", b.query), ("q_k", b.key), ("q_v", b.value)))
        dq, dk, dv = b.split(dq), b.split(dk), b.split(dv)  # [B, heads, N, d]
        q_prev = st.q if st.q is not None else torch.zeros_like(dq)
        k_now = (st.k if st.k is not None else torch.zeros_like(dk)) + dk
        st.q, st.k = q_prev + dq, k_now
        d_scores = (dq @ k_now.transpose(-1, -2) + q_prev @ dk.transpose(-1, -2)) / math.sqrt(b.head_dim)
        st.scores = d_scores if st.scores is None else st.scores + d_scores
        p_float = (st.scores + bias).softmax(-1)  # non-spiking, on the accumulated scores
        d_p_in = p_float - (st.p_float if st.p_float is not None else 0)
        st.p_float = p_float
        dp = neurons("q_p", d_p_in)
        p_prev = st.p if st.p is not None else torch.zeros_like(dp)
        v_now = (st.v if st.v is not None else torch.zeros_like(dv)) + dv
        st.p, st.v = p_prev + dp, v_now
        d_ctx = dp @ v_now + p_prev @ dv  # [B, heads, N, d]
        c = neurons("q_c", d_ctx.transpose(1, 2).reshape(B, N, H))
        res1 = (st.res1 if st.res1 is not None else 0) + dx + linear(b.out, c)
        st.res1 = res1
        h1 = b.norm1(res1)  # non-spiking, on the accumulated residual
        dh1 = h1 - (st.h1 if st.h1 is not None else 0)
        st.h1 = h1
        f = neurons("q_f", dh1)
        u = neurons("q_u", linear(b.up, f))
        res2 = (st.res2 if st.res2 is not None else 0) + dh1 + linear(b.down, u)
        st.res2 = res2
        y = b.norm2(res2)
        dy = y - (st.y if st.y is not None else 0)
        st.y = y
        if counts is not None:
            spikes = {"q_in": a, "q_q": dq, "q_k": dk, "q_v": dv, "q_p": dp, "q_c": c, "q_f": f, "q_u": u}
            self._count_block(counts, b, spikes, real, n, first)
        return dy

    @staticmethod
    def _count_block(
        counts: OpCounts, b: Block, s: dict[str, torch.Tensor], real: torch.Tensor, n: torch.Tensor, first: bool
    ) -> None:
        """Every operation of one block at one step, on real tokens (pads are never computed by a real system:
        their keys are masked and their rows unused)."""
        H, F, heads, d = b.out.in_features, b.up.out_features, b.heads, b.head_dim
        tokens = float(real.sum())
        keys = real[:, None, :, None]  # [B, 1, N, 1]: real rows of a [B, heads, N, d] tensor
        pair = real[:, None, :, None] * real[:, None, None, :]  # [B, 1, N, N]: real query-key pairs
        spikes = {
            "q_in": float((s["q_in"].ne(0) * real[..., None]).sum()),
            "q_c": float((s["q_c"].ne(0) * real[..., None]).sum()),
            "q_f": float((s["q_f"].ne(0) * real[..., None]).sum()),
            "q_u": float((s["q_u"].ne(0) * real[..., None]).sum()),
        }
        per_sentence = {name: (s[name].ne(0) * keys).sum(dim=(1, 2, 3)) for name in ("q_q", "q_k", "q_v")}  # [B]
        for name, v in per_sentence.items():
            spikes[name] = float(v.sum())
        p_spikes = s["q_p"].ne(0) * pair
        spikes["q_p"] = float(p_spikes.sum())
        for name, v in spikes.items():
            counts.spikes[name] = counts.spikes.get(name, 0.0) + v
        # spike-driven Linear layers: one AC per spike and target (weight read, target read and written)
        fan_out = {"q_in": 3 * H, "q_c": H, "q_f": F, "q_u": H}
        for name, f in fan_out.items():
            counts.add("ac", "synaptic", spikes[name] * f, reads=2 * spikes[name] * f, writes=spikes[name] * f)
        if first:  # biases, once: q, k, v, out, up, down
            n_bias = tokens * (5 * H + F)
            counts.add("ac", "bias", n_bias, reads=2 * n_bias, writes=n_bias)
        # products of spiking tensors: a spike times a running sum, one AC per partner element
        prod = float((per_sentence["q_q"] * n).sum() + (per_sentence["q_k"] * n).sum())  # ΔQ Kᵀ and Q ΔKᵀ
        prod += spikes["q_p"] * d + float((per_sentence["q_v"] * n).sum())  # ΔP V and P ΔV
        counts.add("ac", "attention products", prod, reads=2 * prod, writes=prod)
        # neuron updates: every neuron, every step (an AC each; state read and written), and each spike written
        pairs = float(pair.sum())
        updates = {"q_in": tokens * H, "q_q": tokens * H, "q_k": tokens * H, "q_v": tokens * H,
                   "q_p": heads * pairs, "q_c": tokens * H, "q_f": tokens * H, "q_u": tokens * F}  # fmt: skip
        for name, u in updates.items():
            counts.neurons[name] = counts.neurons.get(name, 0.0) + u
            counts.add("ac", "neuron updates", u, reads=u, writes=u)
        counts.writes += sum(spikes.values())
        # non-spiking operations on the accumulated values, every step
        _count_softmax(counts, heads * pairs, heads * tokens, d)
        for _ in range(2):  # the two LayerNorms, and their output's change
            _count_layernorm(counts, tokens, H)
            counts.add("ac", "residual adds", 2 * tokens * H, reads=3 * tokens * H, writes=tokens * H)

    @staticmethod
    def _count_pool_and_head(
        counts: OpCounts, s: torch.Tensor, real: torch.Tensor, n: torch.Tensor, H: int, C: int, t: int
    ) -> None:
        tokens = float(real.sum())
        counts.add("ac", "pooling", tokens * H, reads=tokens * H, writes=0)
        counts.add("mac", "pooling", float(len(n)) * H, reads=float(len(n)) * H, writes=float(len(n)) * H)
        spikes = float(s.ne(0).sum())
        counts.spikes["q_head"] = counts.spikes.get("q_head", 0.0) + spikes
        counts.add("ac", "synaptic", spikes * C, reads=2 * spikes * C, writes=spikes * C)
        counts.neurons["q_head"] = counts.neurons.get("q_head", 0.0) + float(len(n)) * H
        counts.add("ac", "neuron updates", float(len(n)) * H, reads=float(len(n)) * H, writes=float(len(n)) * H)
        if t == 0:
            counts.add("ac", "bias", float(len(n)) * C, reads=2 * float(len(n)) * C, writes=float(len(n)) * C)


def _count_softmax(counts: OpCounts, elements: float, rows: float, head_dim: int) -> None:
    """Softmax over `elements` scores in `rows` rows: the 1/√d scale, exp, the row's sum and one reciprocal, the
    normalizing product; each element read and written."""
    counts.add("mac", "softmax", elements * (2 + TRANSCENDENTAL_MACS) + rows * TRANSCENDENTAL_MACS)
    counts.add("ac", "softmax", elements * 2, reads=elements, writes=elements)


def _count_layernorm(counts: OpCounts, tokens: float, hidden: int) -> None:
    """LayerNorm over `tokens` rows of `hidden`: mean, variance, 1/√(var + ε), normalize, scale and shift."""
    e = tokens * hidden
    counts.add("mac", "layernorm", 3 * e + tokens * TRANSCENDENTAL_MACS)
    counts.add("ac", "layernorm", 4 * e, reads=3 * e, writes=e)


def ann_counts(model: TextTransformer, mask: torch.Tensor) -> OpCounts:
    """Every operation of one forward pass of the (Q)ANN `model` on the real tokens of `mask` [B, N]: every MAC of
    the Linear layers and the attention products, biases, softmax, LayerNorm, the FFN's activation (GELU as a
    transcendental, ReLU as a comparison), residual adds and pooling. MAC: weight and input read, output written."""
    s = model.shape
    H, F, L, C = s.hidden, s.intermediate, s.layers, s.num_classes
    real = mask.double()
    n = real.sum(1)
    tokens, pairs = float(n.sum()), float((n * n).sum())
    c = OpCounts(sentences=len(n), tokens=tokens)
    linear = tokens * (4 * H * H + 2 * H * F) * L + len(n) * H * C
    c.add("mac", "linear", linear, reads=2 * linear, writes=tokens * (4 * H + F + H) * L + len(n) * C)
    products = 2 * pairs * H * L  # QKᵀ and PV: n² · d per head, heads · d = H
    c.add("mac", "attention products", products, reads=2 * products, writes=2 * pairs * s.heads * L)
    c.add("ac", "bias", tokens * (5 * H + F) * L + len(n) * C, reads=tokens * (5 * H + F) * L)
    for _ in range(L):
        _count_softmax(c, s.heads * pairs, s.heads * tokens, s.head_dim)
        for _ in range(2):
            _count_layernorm(c, tokens, H)
            c.add("ac", "residual adds", tokens * H, reads=2 * tokens * H, writes=tokens * H)
    act = tokens * F * L
    if s.activation == "gelu":
        c.add("mac", "activation", act * (TRANSCENDENTAL_MACS + 2), reads=act, writes=act)
    else:
        c.add("ac", "activation", act, reads=act, writes=act)
    c.add("ac", "pooling", tokens * H, reads=tokens * H)
    c.add("mac", "pooling", len(n) * H, writes=len(n) * H)
    return c


def quantizer_levels(model: TextTransformer) -> dict[str, float]:
    """Each quantizer's step θ (one spike's worth), for the report."""
    return {name: float(q.step) for name, q in model.quantizers().items()}
