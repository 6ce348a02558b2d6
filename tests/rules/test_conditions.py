from __future__ import annotations

import pytest

from apps.rules.conditions import (
    ExpressionError,
    condition_check,
    condition_names,
    condition_validate,
)

KNOWN = ["error_count", "response_time", "sla_threshold", "inventory_level", "reorder_point"]


def test_boolean_logic_and_arithmetic_evaluate():
    metrics = {"error_count": 14, "response_time": 900, "sla_threshold": 500}
    assert condition_check("error_count > 10 and response_time > sla_threshold", metrics).holds
    assert condition_check("error_count < 10 or response_time > sla_threshold * 1.5", metrics).holds
    assert not condition_check("not (error_count > 10)", metrics).holds
    assert condition_check("(response_time - sla_threshold) / 2 == 200", metrics).holds


def test_check_reports_the_values_that_decided_and_what_is_missing():
    check = condition_check("response_time > sla_threshold", {"response_time": 900, "x": 1})
    assert not check.holds
    assert check.values == {"response_time": 900}
    assert check.missing == ["sla_threshold"]


def test_names_are_listed_once_in_order():
    assert condition_names("a > b and a < c") == ["a", "b", "c"]


def test_unknown_name_is_refused_with_the_known_names():
    with pytest.raises(ExpressionError, match=r"unknown metric 'error_cnt'.*error_count"):
        condition_validate("error_cnt > 10", known=KNOWN)


def test_bad_syntax_is_refused():
    with pytest.raises(ExpressionError, match="not a valid expression"):
        condition_validate("error_count >", known=KNOWN)


@pytest.mark.parametrize(
    "condition",
    [
        "error_count.__class__",
        "error_count.real > 1",
        "__import__('os')",
        "len(error_count) > 1",
        "[x for x in error_count]",
    ],
)
def test_attribute_access_and_calls_are_refused(condition):
    with pytest.raises(ExpressionError):
        condition_validate(condition, known=[*KNOWN, "x", "len", "__import__"])
    assert not condition_check(condition, {"error_count": 1, "x": 1}).holds


def test_division_by_zero_on_sample_values_does_not_block_saving():
    condition_validate("error_count / (response_time - sla_threshold) > 1", known=KNOWN)
    check = condition_check(
        "error_count / (response_time - 1) > 1", {"error_count": 1, "response_time": 1}
    )
    assert not check.holds and "cannot evaluate" in check.error
