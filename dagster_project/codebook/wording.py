"""Comparing Dutch wordings as survey tools write them: folded, cut at SPSS's limits, split into question and item.

Two tools seldom write a label the same way: one writes `Vraag? - Optie`, another `Vraag? [Optie]`,
a third cuts the label at SPSS's 256 bytes and ends it with an ellipsis. Folding (accents, case,
punctuation, spaces) makes those the same text; the similarity and the prefix test below allow for
the cut.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

# SPSS keeps variable labels up to 256 bytes and value labels up to 120; a label at (or just under)
# the limit was probably cut, whether or not the tool added an ellipsis.
VARIABLE_LABEL_LIMIT = 256
VALUE_LABEL_LIMIT = 120
_NEAR_LIMIT = 6
_ELLIPSES = ("…", "...")
# Where tools put the item after the question: `Q - item`, `Q – item`, `Q: item`, `Q | item`, `Q [item]`.
_SEPARATORS = (" - ", " – ", " — ", ": ", " | ")
_BRACKETED_ITEM = re.compile(r"^(?P<question>.*?)\s*\[(?P<item>[^\[\]]+)\]\s*$")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Words that carry no meaning of their own in a question id.
_STOPWORDS = frozenset(
    [
        "aan",
        "al",
        "alle",
        "als",
        "bij",
        "de",
        "deze",
        "die",
        "dit",
        "door",
        "een",
        "en",
        "er",
        "exact",
        "geeft",
        "hebt",
        "heeft",
        "het",
        "hoe",
        "hoeveel",
        "hun",
        "in",
        "is",
        "kunt",
        "met",
        "mijn",
        "naar",
        "niet",
        "of",
        "om",
        "onze",
        "op",
        "over",
        "te",
        "tot",
        "u",
        "uit",
        "uw",
        "van",
        "voor",
        "waar",
        "wat",
        "welk",
        "welke",
        "wie",
        "wordt",
        "worden",
        "zijn",
        "zo",
    ]
)


@lru_cache(maxsize=65536)
def _fold_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", ascii_text.lower()).strip()


def fold(text: object) -> str:
    """Lowercase ASCII words separated by single spaces: accents, case, punctuation and spacing folded."""
    # Cached: a draft folds the same few hundred wordings against each other many thousand times.
    return "" if text is None else _fold_text(str(text))


def is_cut(label: str, limit: int) -> bool:
    """Whether a label looks cut at SPSS's byte limit: it ends in an ellipsis or fills (nearly) the limit."""
    stripped = label.rstrip()
    return stripped.endswith(_ELLIPSES) or len(label.encode("utf-8")) >= limit - _NEAR_LIMIT


def _without_ellipsis(label: str) -> str:
    stripped = label.rstrip()
    for ellipsis in _ELLIPSES:
        if stripped.endswith(ellipsis):
            return stripped[: -len(ellipsis)]
    return stripped


def same_text(label: str, full: str, limit: int = VARIABLE_LABEL_LIMIT) -> bool:
    """Whether `label` says `full`, folded; a label cut at the limit only has to be its beginning."""
    folded_label, folded_full = fold(label), fold(full)
    if folded_label == folded_full:
        return True
    if not is_cut(label, limit):
        return False
    # The last word of a cut label may itself be cut: compare up to the word before it.
    head = fold(_without_ellipsis(label)).rsplit(" ", 1)[0]
    return bool(head) and folded_full.startswith(head)


def similarity(label: str, full: str, limit: int = VARIABLE_LABEL_LIMIT) -> float:
    """0-100: how alike two wordings are, folded; a cut label is compared with as much of `full` as it holds."""
    if same_text(label, full, limit):
        return 100.0
    folded_label, folded_full = fold(_without_ellipsis(label)), fold(full)
    if not folded_label or not folded_full:
        return 0.0
    if is_cut(label, limit):
        folded_full = folded_full[: len(folded_label)]
    return max(fuzz.ratio(folded_label, folded_full), fuzz.token_sort_ratio(folded_label, folded_full))


def split_label(label: str) -> tuple[str, str] | None:
    """The label as (question, item) where a tool wrote both in it; None for a label without an item part."""
    bracketed = _BRACKETED_ITEM.match(label)
    if bracketed and bracketed["question"].strip():
        return bracketed["question"].strip(), bracketed["item"].strip()
    for separator in _SEPARATORS:
        if separator in label:
            question, item = label.split(separator, 1)
            if question.strip() and item.strip():
                return question.strip(), item.strip()
    return None


def slug(text: str, words: int = 3, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """An identifier from a wording: its first meaningful words, folded, joined by `_`; unique among `taken`."""
    tokens = [token for token in fold(text).split() if token not in _STOPWORDS and not token.isdigit()]
    base = "_".join(tokens[:words]) or "vraag"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}_{number}", number + 1
    return candidate
