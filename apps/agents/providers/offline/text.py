"""Word normalisation and the facts the planner reads out of a request:
identifiers, numbers (with the unit word after them), quoted strings, place
names, ``name=value`` pairs, e-mail addresses and URLs. Pure functions only."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STOP_WORDS_TEXT = """a about an and any are as at be by can could do does for from get give have
    how i in into is it its let me my next of on or our please show should so some
    tell than that the their them then there these this those to up us was we what
    when where which will with would you your all also over per each just now"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

ID_RE = re.compile(r"\b[A-Za-z]{2,5}-\d+\b")
NUMBER_RE = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?:[\s-]*([A-Za-z]+))?")
QUOTED_RE = re.compile(r"\"([^\"]+)\"|(?:^|(?<=\s))'([^']+)'(?=$|[\s.,;:!?])")
PLACE_RE = re.compile(r"\b(?:at|in|from|for|near)\s+(?:the\s+)?([A-Z][\w']*(?:\s+[A-Z][\w']*)*)")
PAIR_RE = re.compile(r"\b([A-Za-z][\w]*)\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s,;]+)")
NUMERIC_PAIR_RE = re.compile(r"\b([A-Za-z]+_[\w]+)\s+(-?\d+(?:\.\d+)?)\b")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
URL_RE = re.compile(r"\bhttps?://[^\s\"'<>]+")
WORD_RE = re.compile(r"[a-z][a-z0-9]*")


def stem(word: str) -> str:
    """A deliberately small stemmer: plural, -ing and -ed endings, final e."""
    word = word.lower()
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith(("ed", "sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def content_stems(text: str) -> list[str]:
    """Stems of the meaningful words of ``text``, in order, without repeats."""
    stems: list[str] = []
    for word in WORD_RE.findall(ID_RE.sub(" ", text).lower().replace("_", " ")):
        if word in STOP_WORDS:
            continue
        stemmed = stem(word)
        if stemmed not in stems:
            stems.append(stemmed)
    return stems


def name_stems(name: str) -> list[str]:
    """Stems of the parts of a snake_case or camelCase identifier."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ")
    return [stem(part) for part in WORD_RE.findall(spaced.lower())]


def coerce(value: str) -> object:
    """``"12"`` -> 12, ``"1.5"`` -> 1.5, ``"true"`` -> True, quotes dropped."""
    value = value.strip().strip("\"'")
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Number:
    value: int | float
    unit: str  # stem of the word after the number ("" when none)
    position: int


@dataclass(frozen=True)
class Facts:
    """Everything the argument filler may use, read once from the request."""

    text: str
    stems: tuple[str, ...]
    ids: tuple[str, ...]
    numbers: tuple[Number, ...]
    quoted: tuple[str, ...]
    places: tuple[str, ...]
    pairs: tuple[tuple[str, object], ...]
    emails: tuple[str, ...]
    urls: tuple[str, ...]


def _numbers(masked: str) -> tuple[Number, ...]:
    found = []
    for match in NUMBER_RE.finditer(masked):
        raw, unit = match.group(1), match.group(2) or ""
        value: int | float = float(raw) if "." in raw else int(raw)
        found.append(Number(value, stem(unit) if unit else "", match.start()))
    return tuple(found)


def _pairs(text: str) -> tuple[tuple[str, object], ...]:
    pairs: dict[str, object] = {}
    for match in PAIR_RE.finditer(text):
        key = match.group(1)
        if key.lower() not in ("http", "https"):
            pairs.setdefault(key, coerce(match.group(2)))
    for match in NUMERIC_PAIR_RE.finditer(text):
        pairs.setdefault(match.group(1), coerce(match.group(2)))
    return tuple(pairs.items())


def read_facts(text: str) -> Facts:
    """Read the facts out of one user request."""
    ids = tuple(dict.fromkeys(m.upper() for m in ID_RE.findall(text)))
    masked = ID_RE.sub(lambda m: " " * len(m.group(0)), URL_RE.sub(" ", text))
    no_quotes = QUOTED_RE.sub(" ", masked)
    return Facts(
        text=text.strip(),
        stems=tuple(content_stems(text)),
        ids=ids,
        numbers=_numbers(EMAIL_RE.sub(" ", no_quotes)),
        quoted=tuple(a or b for a, b in QUOTED_RE.findall(text)),
        places=tuple(dict.fromkeys(PLACE_RE.findall(no_quotes))),
        pairs=_pairs(text),
        emails=tuple(dict.fromkeys(EMAIL_RE.findall(text))),
        urls=tuple(dict.fromkeys(URL_RE.findall(text))),
    )
