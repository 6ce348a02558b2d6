"""The RBAC tool policy: settings.OWM_TOOL_POLICY = "apps.rbac.policy.rbac_policy".

Deny by default. A user may run a tool when one of their roles has a grant for
it: a grant for the tool itself, or else (per role) a grant for every tool of an
agent that lists it. Any deny wins; the limits of each remaining grant are
checked against the call's arguments; of the grants that pass, allow beats
approve. Superusers are allowed everything. One query per decision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from apps.rbac.limits import applies_to, limit_check
from apps.rbac.models import Grant
from apps.tools.policy import Decision

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.tools.registry import ToolSpec

# Most permissive first: when several roles' grants pass, the first kind wins.
PERMISSIVENESS = [Grant.Decision.ALLOW, Grant.Decision.APPROVE]


def rbac_policy(
    *, actor: AbstractBaseUser | None, spec: ToolSpec, arguments: dict[str, Any]
) -> Decision:
    early = _gate(actor, spec)
    if early is not None:
        return early
    grants = grants_for(actor=actor, tool_names=[spec.name])
    return grant_decide(
        username=actor.get_username(),  # type: ignore[union-attr]
        spec=spec,
        arguments=arguments,
        grants=grants,
        check_limits=not _is_probe(spec, arguments),
    )


def visible_tools(*, actor: AbstractBaseUser | None, specs: list[ToolSpec]) -> list[ToolSpec]:
    """The tools `actor` may use at all (limits are checked per call), in one query."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return []
    if actor.is_superuser:  # type: ignore[attr-defined]
        return list(specs)
    grants = grants_for(actor=actor, tool_names=[spec.name for spec in specs])
    username = actor.get_username()
    return [
        spec
        for spec in specs
        if grant_decide(
            username=username, spec=spec, arguments={}, grants=grants, check_limits=False
        ).allowed
    ]


rbac_policy.visible_tools = visible_tools  # type: ignore[attr-defined]  # the batch form


def _gate(actor: AbstractBaseUser | None, spec: ToolSpec) -> Decision | None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Decision(False, f"denied: {spec.name} needs an authenticated, active user")
    if actor.is_superuser:  # type: ignore[attr-defined]
        return Decision(True, f"allowed: superusers may use {spec.name}")
    return None


def _is_probe(spec: ToolSpec, arguments: dict[str, Any]) -> bool:
    """Empty arguments to a tool that requires some cannot be a real call (the
    schema check rejects it): it asks whether the tool may be used at all, as
    apps.tools.policy.visible_tools does. A tool without required arguments
    can really be called with {}, so its limits still apply then."""
    return not arguments and bool(spec.parameters.get("required"))


def grants_for(*, actor: AbstractBaseUser, tool_names: Iterable[str] | None) -> list[Grant]:
    """The grants of `actor`'s roles that can bear on these tools (all tools when
    None): tool grants and every agent-wide grant. One query."""
    scope = Q(agent__isnull=False)
    scope |= Q(tool_name__in=list(tool_names)) if tool_names is not None else ~Q(tool_name="")
    return list(
        Grant.objects.filter(scope, role__user=actor)
        .select_related("role", "agent")
        .order_by("role__name", "pk")
    )


def applicable_grants(*, spec: ToolSpec, grants: Iterable[Grant]) -> list[Grant]:
    """Per role: its grant for the tool, or else its grants for agents listing the tool."""
    direct: dict[int, Grant] = {}
    via_agent: dict[int, list[Grant]] = {}
    for grant in grants:
        if grant.tool_name == spec.name:
            direct[grant.role_id] = grant
        elif grant.agent is not None and spec.name in (grant.agent.tool_names or []):
            via_agent.setdefault(grant.role_id, []).append(grant)
    chosen: list[Grant] = []
    for role_id in dict.fromkeys([*direct, *via_agent]):
        chosen += [direct[role_id]] if role_id in direct else via_agent[role_id]
    return sorted(chosen, key=lambda g: (g.role.name, g.pk))


def grant_decide(
    *,
    username: str,
    spec: ToolSpec,
    arguments: dict[str, Any],
    grants: Iterable[Grant],
    check_limits: bool = True,
) -> Decision:
    """The decision for one call, from the grants already loaded (no queries)."""
    applicable = applicable_grants(spec=spec, grants=grants)
    if not applicable:
        return Decision(False, f"denied: no role of {username} grants {spec.name}")
    for grant in applicable:
        if grant.decision == Grant.Decision.DENY:
            return Decision(False, f"denied: role {grant.role.name} may not use {spec.name}")
    failures: list[tuple[Grant, str]] = []
    passing: list[Grant] = []
    for grant in applicable:
        problem = limits_problem(grant, spec, arguments) if check_limits else None
        if problem:
            failures.append((grant, problem))
        else:
            passing.append(grant)
    if passing:
        return _granted(min(passing, key=lambda g: PERMISSIVENESS.index(g.decision)), spec)
    grant, problem = failures[0]
    return Decision(False, f"denied: {spec.name} {problem} for role {grant.role.name}")


def _granted(grant: Grant, spec: ToolSpec) -> Decision:
    role = grant.role.name
    if grant.decision == Grant.Decision.APPROVE:
        return Decision(
            True,
            f"approval required: role {role} may use {spec.name} once a person approves the call",
            requires_approval=True,
        )
    return Decision(True, f"allowed: role {role} grants {spec.name}")


def limits_problem(grant: Grant, spec: ToolSpec, arguments: dict[str, Any]) -> str | None:
    """Why `arguments` break one of the grant's limits, or None."""
    names = set(spec.parameters.get("properties", {}))
    for limit in grant.limits or []:
        try:
            if grant.agent_id and not applies_to(limit, tool_name=spec.name, argument_names=names):
                continue
            problem = limit_check(limit, arguments)
        except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
            problem = "has a limit that cannot be evaluated (fix the grant)"
        if problem:
            return problem
    return None
