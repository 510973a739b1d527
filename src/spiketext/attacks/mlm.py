"""A masked language model as a source of word substitutes, for BERT-Attack (Li et al., 2020).

As in the paper, the model reads the *unmasked* sentence once and its top-K predictions at each word are that
word's candidates (K = 48): one forward pass per sentence instead of one per word. A word that the tokenizer
splits into sub-words takes the predictions at its first piece (the paper also tries combinations of the pieces'
predictions; not done here). Candidates are whole words: no sub-word pieces ("##…"), no special tokens, no stop
words, nothing non-alphabetic, not the word itself.

The model comes from a local folder (`--mlm PATH`: a Hugging Face BERT-style masked LM and its tokenizer, saved
with `save_pretrained`); nothing is downloaded. Needs `transformers`.
"""

from __future__ import annotations

from pathlib import Path

import torch

from spiketext.attacks.words import STOP_WORDS
from spiketext.errors import SpiketextError

TOP_K = 48


class MaskedLM:
    """`substitutes(tokens)` -> {word position: up to K whole-word candidates}."""

    def __init__(self, model, tokenizer, top_k: int = TOP_K, max_length: int = 256) -> None:
        self.model, self.tokenizer, self.top_k, self.max_length = model.eval(), tokenizer, top_k, max_length
        vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(tokenizer.all_special_tokens)
        # the vocabulary rows a substitute may come from: whole alphabetic words that are not stop words
        keep = [i for i, w in enumerate(vocab) if w not in special and w.isalpha() and w not in STOP_WORDS]
        self.keep = torch.tensor(keep, dtype=torch.long)
        self.words = vocab

    @torch.no_grad()
    def substitutes(self, tokens: list[str]) -> dict[int, list[str]]:
        enc = self.tokenizer(
            tokens, is_split_into_words=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        logits = self.model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits[0]  # [P, V]
        first: dict[int, int] = {}  # word position -> its first sub-token's position
        for piece, word in enumerate(enc.word_ids(0)):
            if word is not None and word not in first:
                first[word] = piece
        out = {}
        for word, piece in first.items():
            scores = logits[piece, self.keep]
            top = self.keep[scores.topk(min(self.top_k + 1, len(self.keep))).indices].tolist()
            own = tokens[word].lower()
            out[word] = [self.words[t] for t in top if self.words[t] != own][: self.top_k]
        return out


def load_mlm(path: str | Path, top_k: int = TOP_K) -> MaskedLM:
    """A masked language model and its tokenizer from a local folder; SpiketextError if absent or unreadable."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise SpiketextError(
            f"--mlm {path}: not a Hugging Face model folder (no config.json); save one with "
            "model.save_pretrained(PATH) and tokenizer.save_pretrained(PATH)"
        )
    try:
        from transformers import AutoModelForMaskedLM, AutoTokenizer
    except ImportError as e:
        raise SpiketextError("--mlm needs transformers: pip install 'spiketext[attacks]'") from e
    try:
        # a local folder: never reach for the network
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForMaskedLM.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as e:
        raise SpiketextError(f"--mlm {path}: cannot load a masked language model there: {e}") from e
    return MaskedLM(model, tokenizer, top_k)
