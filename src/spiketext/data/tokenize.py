"""Tokenizers: English in the corpora's PTB style, Chinese with jieba.

The English corpora here are already lower-cased and tokenized (SST: PTB with `wo n't`, `'s`, `-lrb-`; MR and
Subj: punctuation split, clitics not split). `tokenize_english` maps all of them, and raw user text, onto one
style that matches GloVe's vocabulary: lower-case, PTB escapes undone (`-lrb-` -> `(`, `\\/` -> `/`), clitics
split (`it's` -> `it 's`, `don't` -> `do n't`, `can't` -> `ca n't`), punctuation split off words. It is
idempotent on PTB text, so "It's great!" and the corpus line "it 's great !" give the same tokens.

Written here rather than taken from NLTK: `word_tokenize` needs the punkt model (a download, offline here), and
NLTK's Treebank tokenizer rewrites `"` to ``` `` ```/`''`, which the corpora and GloVe do not use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

PTB_ESCAPES = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u00b4": "'"})
_ESCAPE_RE = re.compile(r"-[lr][rsc]b-")
_CLITIC_RE = re.compile(r"(?<=[a-z0-9])(n't|'s|'re|'ve|'ll|'d|'m)(?![a-z0-9])")
# Always split off: brackets, quotes, $, and , ; ! ? when they touch a word.
_PUNCT_RE = re.compile(r"""([()\[\]{}"!?;$]|\.\.\.|,(?!\d)|:(?!\d))""")
# A final period after a word longer than one letter (keeps "u.s.", "mr.", "a.").
_PERIOD_RE = re.compile(r"(?<=[a-z0-9]{2})\.(?=\s|$)")
# Quotes used as brackets: 'word' -> ' word '
_SQUOTE_RE = re.compile(r"(^|\s)'(?=[a-z0-9])(?!(?:s|re|ve|ll|d|m)(?![a-z0-9]))|(?<=[a-z0-9])'(\s|$)")


def tokenize_english(text: str, lowercase: bool = True) -> list[str]:
    """Raw or PTB-tokenized English -> tokens in the corpora's (and GloVe's) style."""
    text = text.translate(_QUOTES)
    if lowercase:
        text = text.lower()
    text = _ESCAPE_RE.sub(lambda m: f" {PTB_ESCAPES.get(m.group(0), m.group(0))} ", text)
    text = text.replace("\\/", "/").replace("\\*", "*")
    text = text.replace("``", ' " ').replace("''", ' " ')
    text = _PUNCT_RE.sub(r" \1 ", text)
    text = _PERIOD_RE.sub(" .", text)
    text = _SQUOTE_RE.sub(lambda m: f"{m.group(1) or ''} ' {m.group(2) or ''}", text)
    text = _CLITIC_RE.sub(r" \1", text)
    return text.split()


_JOIN_CLITIC_RE = re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)(?![a-z0-9])")


def detokenize_english(text: str) -> str:
    """The corpora's PTB-style English back towards plain text for a subword tokenizer: `english_tokens` with the
    escapes undone and clitics joined again (`wo n't` -> `won't`, `it 's` -> `it's`); spaces around punctuation
    stay (WordPiece splits punctuation off anyway)."""
    return _JOIN_CLITIC_RE.sub(r"\1", " ".join(tokenize_english(text)))


_jieba = None


def tokenize_chinese(text: str, lowercase: bool = True) -> list[str]:
    """Chinese word segmentation with jieba (precise mode); white space is dropped."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its dictionary loading otherwise prints to stderr
        _jieba = jieba
    if lowercase:
        text = text.lower()
    return [t for t in _jieba.lcut(text) if t.strip()]


def get_tokenizer(language: str) -> Callable[[str], list[str]]:
    if language == "en":
        return tokenize_english
    if language == "zh":
        return tokenize_chinese
    raise ValueError(f"no tokenizer for language {language!r}")


_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


def detect_language(texts: list[str]) -> str:
    """'zh' when CJK characters make up over 20% of the non-space characters of the first texts, else 'en'."""
    sample = "".join(texts[:500])
    chars = sum(1 for ch in sample if not ch.isspace())
    return "zh" if chars and len(_CJK_RE.findall(sample)) / chars > 0.2 else "en"
