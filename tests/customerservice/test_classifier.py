"""The inquiry classifier: pure functions, no database."""

from __future__ import annotations

import pytest

from apps.customerservice.classifier import (
    CATEGORIES,
    classify,
    matches,
    priority_for,
    reason_text,
)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I was charged twice and want a refund of the duplicate payment", "billing"),
        ("My package never arrived, the tracking number shows nothing", "shipping"),
        ("How do I return this? I need a return label for the wrong item", "returns"),
        (
            "The app shows an error message and keeps crashing after the firmware update",
            "technical",
        ),
        ("I am locked out and need to reset my password", "account"),
        ("Is this printer compatible with my labels and what is the warranty?", "product"),
        (
            "I want to file a complaint, your staff was rude. I want to speak to a manager",
            "complaint",
        ),
        ("What are your opening hours?", "general"),
    ],
)
def test_each_category_is_recognised_by_its_rules(text, category):
    result = classify(text)
    assert result.category == category
    assert any(r["rule"] == "category" and r["category"] == category for r in result.reasons) or (
        category == "general"
    )


def test_every_category_has_a_test_above():
    assert len(CATEGORIES) == 8


def test_a_message_without_any_signal_is_general_with_low_confidence():
    result = classify("hello there")
    assert result.category == "general"
    assert result.confidence == 0.2
    assert result.priority == "low"
    assert result.reasons == []


def test_competing_signals_lower_the_confidence():
    clear = classify("please refund the double charge on my invoice")
    mixed = classify("refund my order, the package never arrived and the app has an error")
    assert clear.confidence > mixed.confidence


@pytest.mark.parametrize(
    "cue", ["urgent", "asap", "immediately", "down", "outage", "legal", "refund now", "!!!"]
)
def test_each_urgency_cue_raises_priority_to_high(cue):
    result = classify(f"please look at my invoice {cue}")
    assert result.priority == "high"
    assert {"rule": "urgency", "match": cue, "points": 3} in result.reasons


def test_several_urgency_cues_and_anger_make_it_urgent():
    result = classify("The site is down, outage everywhere, this is ridiculous!!!")
    assert result.priority == "urgent"
    assert [r["match"] for r in result.reasons if r["rule"] == "urgency"] == [
        "down",
        "outage",
        "!!!",
    ]
    assert any(r["rule"] == "sentiment" and r["match"] == "ridiculous" for r in result.reasons)


def test_words_match_their_inflections_but_not_other_words():
    assert matches("urgent", "i need it urgently")
    assert matches("refund", "i was refunded")
    assert not matches("down", "the download failed")
    assert not matches("sue", "there is an issue")


@pytest.mark.parametrize(
    ("tier", "priority"),
    [
        (None, "low"),
        ("bronze", "low"),
        ("silver", "low"),
        ("gold", "medium"),
        ("platinum", "medium"),
    ],
)
def test_gold_and_platinum_raise_a_calm_message(tier, priority):
    assert classify("Where can I download my invoice?", tier).priority == priority


def test_a_platinum_customer_with_an_urgent_lost_order_is_urgent():
    text = "my order #5521 never arrived and I need it urgently"
    assert classify(text, "bronze").priority == "high"
    result = classify(text, "platinum")
    assert result.category == "shipping"
    assert result.priority == "urgent"
    assert {"rule": "tier", "match": "platinum", "points": 2} in result.reasons


def test_negative_sentiment_counts_at_most_twice():
    result = classify("terrible awful horrible useless shipping")
    assert sum(1 for r in result.reasons if r["rule"] == "sentiment") == 2
    assert result.priority == "medium"


def test_priority_thresholds():
    assert [priority_for(p) for p in (0, 1, 2, 3, 4, 5, 9)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "urgent",
        "urgent",
    ]


def test_reasons_read_as_sentences():
    result = classify("refund now!!!", "gold")
    lines = result.reason_lines()
    assert '"refund" suggests billing (+2)' in lines
    assert 'urgency cue "refund now" (+3 priority)' in lines
    assert "gold customer (+1 priority)" in lines
    assert reason_text({"rule": "complaint", "match": "complaint"}) == "a complaint (+1 priority)"


def test_an_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="diamond"):
        classify("hi", "diamond")
