"""The model families a run trains (the `family` setting), each registered with its stage plan, its single-seed run
and the check of its component names: the TextCNN of the paper, and the spiking transformer converted from
all-MiniLM-L6-v2. A new family is one module of stages (as `runs.textcnn`, `runs.transformer`) and one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spiketext.core.models.transformer import ENCODERS
from spiketext.core.registry import Registry
from spiketext.runs import textcnn, transformer
from spiketext.runs.folder import RESULT_ROWS
from spiketext.runs.ledger import TEXTCNN_PLAN, StagePlan, check_textcnn
from spiketext.settings.config import RunConfig


@dataclass(frozen=True)
class Family:
    """A model family: its stages in order (and what each owns), one seed's whole run, its settings' check."""

    name: str
    plan: StagePlan
    run_single: Callable[..., dict]  # (cfg, out, seed=None, restart=None) -> results.json's mapping
    check: Callable[[RunConfig], None]
    rows: dict[str, str]  # results.json's stage rows, in order, with what each is


def row_label(key: str) -> str:
    """What a results row is, whichever family wrote it (the key itself for a row no family names)."""
    return next((f.rows[key] for f in FAMILIES.values() if key in f.rows), key)


def check_transformer(cfg: RunConfig) -> None:
    ENCODERS.check(cfg.transformer.encoder, "transformer.encoder")


FAMILIES: Registry[Family] = Registry("model family")
FAMILIES.add("textcnn", Family("textcnn", TEXTCNN_PLAN, textcnn.run_single, check_textcnn, RESULT_ROWS))
FAMILIES.add("transformer", Family("transformer", transformer.TRANSFORMER_PLAN, transformer.run_single,
                                   check_transformer, transformer.TRANSFORMER_ROWS))  # fmt: skip


def family_of(cfg: RunConfig) -> Family:
    """The registered family `cfg.family` names (one line naming the closest otherwise), its settings checked."""
    family = FAMILIES.get(cfg.family, "family")
    family.check(cfg)
    return family
