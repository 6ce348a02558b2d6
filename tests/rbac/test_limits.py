"""Limits are data: validated on save with an error per problem."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from apps.agents.models import Agent
from apps.rbac.limits import LimitError, describe, limits_validate
from apps.rbac.models import Grant
from apps.rbac.services import grant_create, grant_update

PO_ARGS = {"create_purchase_order": {"supplier_id", "items"}}


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        ({"kind": "max"}, "limits must be a JSON list"),
        (
            [{"kind": "min", "path": "items"}],
            "kind must be one of max, in, email_domain, max_items",
        ),
        ([{"kind": "max", "path": "total", "value": 5}], "no tool of this grant takes total"),
        ([{"kind": "max", "path": "items..x", "value": 5}], "is not valid"),
        ([{"kind": "max", "path": "items", "value": "5000"}], "value must be a number"),
        ([{"kind": "max_items", "path": "items", "value": -1}], "whole number"),
        ([{"kind": "in", "path": "supplier_id", "values": []}], "values must be a non-empty list"),
        (
            [{"kind": "in", "path": "supplier_id", "values": ["A"], "requried": True}],
            "unknown key 'requried'",
        ),
        (
            [{"kind": "in", "path": "supplier_id", "values": ["A"], "required": "yes"}],
            "required must be true or false",
        ),
        (
            [{"kind": "in", "path": "items[].quantity*items[].unit_price", "values": [1]}],
            "only for kind max",
        ),
        ([{"kind": "max", "path": "items[].quantity*lines[].unit_price", "value": 1}], "same list"),
        (
            [{"kind": "email_domain", "path": "supplier_id", "domains": ["not a domain"]}],
            "not a domain",
        ),
        (
            [{"kind": "in", "path": "supplier_id", "values": ["A"], "tool": "x"}],
            "only for agent-wide grants",
        ),
    ],
)
def test_bad_limits_are_refused_with_a_clear_problem(limits, problem):
    with pytest.raises(LimitError) as caught:
        limits_validate(limits, tools=PO_ARGS)
    assert problem in str(caught.value)


def test_every_problem_is_numbered_and_reported_at_once():
    with pytest.raises(LimitError) as caught:
        limits_validate([{"kind": "max", "path": "items"}, {"kind": "nope"}], tools=PO_ARGS)
    assert [p.split(":")[0] for p in caught.value.problems] == ["limit 1", "limit 2"]


def test_good_limits_are_normalised():
    cleaned = limits_validate(
        [{"kind": "email_domain", "path": "recipients[]", "domains": [" OWM.example "]}],
        tools=None,
    )
    assert cleaned[0]["domains"] == ["owm.example"]
    assert describe(cleaned[0]) == "recipients[] @owm.example"
    total = {
        "kind": "max",
        "path": "items[].quantity*items[].unit_price",
        "value": 5000,
        "inclusive": False,
    }
    assert describe(total) == "total < 5,000"


@pytest.mark.django_db
def test_saving_a_grant_validates_its_limits_against_the_tool():
    role = Group.objects.create(name="buyer")
    with pytest.raises(ValidationError) as caught:
        grant_create(
            role=role,
            tool_name="create_purchase_order",
            decision="allow",
            limits=[{"kind": "max", "path": "amount", "value": 1}],
            actor=None,
        )
    assert "no tool of this grant takes amount" in str(caught.value.message_dict["limits"])
    assert not Grant.objects.filter(role=role).exists()


@pytest.mark.django_db
def test_agent_wide_limits_may_target_one_tool_of_the_agent():
    role = Group.objects.create(name="buyer")
    agent = Agent.objects.get(slug="inventory")
    limit = {
        "kind": "in",
        "path": "supplier_id",
        "values": ["SUP-001"],
        "tool": "create_purchase_order",
    }
    grant = grant_create(role=role, agent=agent, decision="allow", limits=[limit], actor=None)
    with pytest.raises(ValidationError):
        grant_update(grant=grant, limits=[{**limit, "tool": "get_weather"}], actor=None)


@pytest.mark.django_db
def test_a_grant_covers_a_tool_or_an_agent_never_both():
    role = Group.objects.create(name="buyer")
    with pytest.raises(ValidationError) as caught:
        grant_create(
            role=role,
            tool_name="check_stock_levels",
            agent=Agent.objects.get(slug="inventory"),
            decision="allow",
            actor=None,
        )
    assert "either a tool or an agent" in str(caught.value)
