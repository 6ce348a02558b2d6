"""The inquiry classifier: pure functions over a message and a customer tier.

How it decides, in order:

1. Category. Every category has rules: a word (matched on word boundaries,
   with its inflections: "refund" matches "refunds", "refunded") or a phrase
   (matched anywhere, e.g. "never arrived"), each with a weight. A category's
   score is the sum of the weights of its rules that match. The highest score
   wins; ties go to the category listed first in CATEGORY_RULES. No match at
   all gives "general".
2. Confidence = top score / (sum of all scores + 1), clamped to 0.05..0.99:
   one strong, uncontested signal is confident, competing signals are not,
   and "general" by default gets 0.2.
3. Priority points: the first urgency cue ("urgent", "asap", "immediately",
   "down", "outage", "legal", "refund now", "!!!", ...) gives 3 points, each
   further one 1 more; each negative-sentiment cue ("terrible", "angry", ...)
   gives 1 (at most 2); a complaint gets 1; the tier adds platinum 2, gold 1.
   Points map to a priority: 5+ urgent, 3+ high, 1+ medium, else low.

Every rule that fired is returned in `reasons`, so a human (or the model) can
see why an inquiry landed where it did."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

CATEGORIES = (
    "billing",
    "shipping",
    "returns",
    "technical",
    "account",
    "product",
    "complaint",
    "general",
)
TIERS = ("bronze", "silver", "gold", "platinum")
PRIORITIES = ("low", "medium", "high", "urgent")

# category -> (rule, weight). A rule with a space is a phrase, otherwise a word.
CATEGORY_RULES: dict[str, tuple[tuple[str, float], ...]] = {
    "billing": (
        ("charged twice", 3.0),
        ("double charge", 3.0),
        ("refund", 2.0),
        ("invoice", 2.0),
        ("charge", 1.5),
        ("billing", 2.0),
        ("payment", 1.5),
        ("credit card", 1.5),
        ("subscription", 1.0),
        ("price", 0.5),
    ),
    "shipping": (
        ("never arrived", 3.0),
        ("not arrived", 3.0),
        ("tracking number", 2.5),
        ("shipping", 2.0),
        ("delivery", 2.0),
        ("deliver", 1.5),
        ("shipment", 2.0),
        ("courier", 1.5),
        ("package", 1.5),
        ("parcel", 1.5),
        ("order", 0.5),
        ("late", 0.5),
    ),
    "returns": (
        ("return label", 3.0),
        ("send it back", 3.0),
        ("exchange", 2.0),
        ("return", 2.0),
        ("rma", 2.5),
        ("wrong item", 2.0),
        ("damaged", 1.5),
    ),
    "technical": (
        ("error message", 2.5),
        ("not working", 2.0),
        ("doesn't work", 2.0),
        ("error", 2.0),
        ("crash", 2.0),
        ("bug", 2.0),
        ("app", 1.0),
        ("install", 1.5),
        ("firmware", 2.0),
        ("sync", 1.5),
        ("outage", 2.0),
        ("down", 1.0),
    ),
    "account": (
        ("reset my password", 3.0),
        ("password", 2.5),
        ("log in", 2.0),
        ("login", 2.0),
        ("sign in", 2.0),
        ("account", 1.5),
        ("two-factor", 2.0),
        ("2fa", 2.0),
        ("locked out", 2.5),
        ("username", 1.5),
        ("email address", 1.0),
    ),
    "product": (
        ("how do i use", 2.0),
        ("compatible", 2.0),
        ("specification", 2.0),
        ("specs", 1.5),
        ("warranty", 2.0),
        ("feature", 1.5),
        ("size", 1.0),
        ("battery", 1.5),
        ("manual", 1.5),
        ("in stock", 1.5),
    ),
    "complaint": (
        ("speak to a manager", 3.0),
        ("complaint", 3.0),
        ("unacceptable", 2.0),
        ("worst", 2.0),
        ("terrible service", 3.0),
        ("rude", 2.0),
        ("lawyer", 2.0),
        ("legal action", 3.0),
        ("never again", 2.0),
    ),
    "general": (
        ("opening hours", 2.0),
        ("question", 0.5),
        ("information", 0.5),
        ("contact", 0.5),
    ),
}

URGENCY_CUES: tuple[str, ...] = (
    "urgent",
    "asap",
    "immediately",
    "right now",
    "refund now",
    "emergency",
    "down",
    "outage",
    "legal",
    "lawyer",
    "sue",
    "!!!",
)
NEGATIVE_CUES: tuple[str, ...] = (
    "terrible",
    "awful",
    "angry",
    "furious",
    "disappointed",
    "frustrated",
    "unacceptable",
    "ridiculous",
    "worst",
    "horrible",
    "useless",
)
TIER_POINTS = {"bronze": 0, "silver": 0, "gold": 1, "platinum": 2}
FIRST_URGENCY_POINTS = 3
MAX_NEGATIVE_POINTS = 2
PRIORITY_THRESHOLDS = ((5, "urgent"), (3, "high"), (1, "medium"))


@dataclass(frozen=True)
class Classification:
    category: str
    priority: str
    confidence: float
    scores: dict[str, float]
    points: int
    reasons: list[dict[str, Any]] = field(default_factory=list)

    def reason_lines(self) -> list[str]:
        return [reason_text(r) for r in self.reasons]


@cache
def _pattern(rule: str) -> re.Pattern[str]:
    """A phrase or symbol matches as written; a word also matches its inflections."""
    if not rule[0].isalnum():
        return re.compile(re.escape(rule))
    suffix = "" if " " in rule else r"(?:s|es|ed|ing|ly|d)?"
    return re.compile(r"\b" + re.escape(rule) + suffix + r"\b")


def matches(rule: str, text: str) -> bool:
    """Whether `rule` occurs in `text` (already lower-cased)."""
    return _pattern(rule).search(text) is not None


def category_scores(text: str) -> tuple[dict[str, float], list[dict[str, Any]]]:
    lowered = text.lower()
    scores: dict[str, float] = {}
    reasons: list[dict[str, Any]] = []
    for category, rules in CATEGORY_RULES.items():
        for rule, weight in rules:
            if matches(rule, lowered):
                scores[category] = scores.get(category, 0.0) + weight
                reasons.append(
                    {"rule": "category", "category": category, "match": rule, "weight": weight}
                )
    return scores, reasons


def pick_category(scores: dict[str, float]) -> tuple[str, float]:
    """The winning category and the confidence in it."""
    if not scores:
        return "general", 0.2
    top = max(scores.values())
    category = next(c for c in CATEGORIES if scores.get(c) == top)
    confidence = top / (sum(scores.values()) + 1.0)
    return category, round(min(0.99, max(0.05, confidence)), 2)


def priority_points(text: str, tier: str | None, category: str) -> tuple[int, list[dict[str, Any]]]:
    lowered = text.lower()
    points = 0
    reasons: list[dict[str, Any]] = []
    urgent = [cue for cue in URGENCY_CUES if matches(cue, lowered)]
    for i, cue in enumerate(urgent):
        gained = FIRST_URGENCY_POINTS if i == 0 else 1
        points += gained
        reasons.append({"rule": "urgency", "match": cue, "points": gained})
    negative = [cue for cue in NEGATIVE_CUES if matches(cue, lowered)][:MAX_NEGATIVE_POINTS]
    for cue in negative:
        points += 1
        reasons.append({"rule": "sentiment", "match": cue, "points": 1})
    if category == "complaint":
        points += 1
        reasons.append({"rule": "complaint", "match": "complaint", "points": 1})
    if tier and TIER_POINTS.get(tier, 0):
        points += TIER_POINTS[tier]
        reasons.append({"rule": "tier", "match": tier, "points": TIER_POINTS[tier]})
    return points, reasons


def priority_for(points: int) -> str:
    for threshold, priority in PRIORITY_THRESHOLDS:
        if points >= threshold:
            return priority
    return "low"


def classify(text: str, tier: str | None = None) -> Classification:
    """Classify a customer's message; `tier` is bronze|silver|gold|platinum or None."""
    if tier is not None and tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; use one of {', '.join(TIERS)}")
    scores, category_reasons = category_scores(text)
    category, confidence = pick_category(scores)
    points, priority_reasons = priority_points(text, tier, category)
    return Classification(
        category=category,
        priority=priority_for(points),
        confidence=confidence,
        scores={c: round(s, 2) for c, s in sorted(scores.items(), key=lambda kv: -kv[1])},
        points=points,
        reasons=category_reasons + priority_reasons,
    )


def reason_text(reason: dict[str, Any]) -> str:
    """One reason as a sentence fragment, for summaries and the dashboard."""
    rule, match = reason.get("rule"), reason.get("match")
    if rule == "category":
        return f'"{match}" suggests {reason["category"]} (+{reason["weight"]:g})'
    if rule == "urgency":
        return f'urgency cue "{match}" (+{reason["points"]} priority)'
    if rule == "sentiment":
        return f'negative sentiment "{match}" (+1 priority)'
    if rule == "tier":
        return f"{match} customer (+{reason['points']} priority)"
    if rule == "complaint":
        return "a complaint (+1 priority)"
    return f"{rule}: {match}"
