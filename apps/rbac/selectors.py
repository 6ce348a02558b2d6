"""Reads: the role-by-tool matrix, one cell, roles, and a user's effective access."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet

from apps.rbac.limits import describe
from apps.rbac.models import Grant
from apps.rbac.policy import applicable_grants, grant_decide, grants_for
from apps.tools.registry import ToolSpec, registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass
class Cell:
    role: Group
    spec: ToolSpec
    grant: Grant | None = None  # the role's grant for this tool
    via_agents: list[Grant] = field(default_factory=list)  # its agent-wide grants covering it

    @property
    def decision(self) -> str:
        """What the role alone gets here ("" = nothing: denied by default)."""
        if self.grant is not None:
            return self.grant.decision
        kinds = {g.decision for g in self.via_agents}
        for kind in (Grant.Decision.DENY, Grant.Decision.ALLOW, Grant.Decision.APPROVE):
            if kind in kinds:
                return kind
        return ""

    @property
    def source(self) -> str:
        if self.grant is not None:
            return "seeded default" if self.grant.seeded else "tool grant"
        if self.via_agents:
            return "via agent " + ", ".join(g.agent.slug for g in self.via_agents if g.agent)
        return "no grant"

    @property
    def limits(self) -> list[str]:
        grants = [self.grant] if self.grant is not None else self.via_agents
        return [describe(limit) for g in grants for limit in g.limits or []]


@dataclass
class Row:
    spec: ToolSpec
    cells: list[Cell]


def role_list() -> QuerySet[Group]:
    return Group.objects.annotate(
        members=Count("user", distinct=True), grants=Count("tool_grants", distinct=True)
    ).order_by("name")


def _cell(role: Group, spec: ToolSpec, grants: list[Grant]) -> Cell:
    mine = [g for g in grants if g.role_id == role.pk]
    direct = next((g for g in mine if g.tool_name == spec.name), None)
    agents = [g for g in mine if g.agent is not None and spec.name in (g.agent.tool_names or [])]
    return Cell(role=role, spec=spec, grant=direct, via_agents=agents)


def matrix(*, category: str = "", query: str = "") -> dict[str, Any]:
    """Roles (columns) and tools (rows, grouped by category), two queries."""
    roles = list(Group.objects.order_by("name"))
    grants = list(Grant.objects.select_related("role", "agent"))
    specs = [
        spec
        for spec in registry.all()
        if (not category or spec.category == category)
        and (not query or query.lower() in spec.name.lower())
    ]
    groups: dict[str, list[Row]] = {}
    for spec in sorted(specs, key=lambda s: (s.category, s.name)):
        cells = [_cell(role, spec, grants) for role in roles]
        groups.setdefault(spec.category, []).append(Row(spec=spec, cells=cells))
    return {
        "roles": roles,
        "groups": list(groups.items()),
        "categories": sorted({spec.category for spec in registry.all()}),
    }


def matrix_cell(*, role: Group, spec: ToolSpec) -> Cell:
    grants = list(Grant.objects.filter(role=role).select_related("role", "agent"))
    return _cell(role, spec, grants)


def grant_list(*, role: str = "", tool: str = "") -> QuerySet[Grant]:
    grants = Grant.objects.select_related("role", "agent", "updated_by")
    if role:
        grants = grants.filter(role__name=role)
    if tool:
        grants = grants.filter(tool_name=tool)
    return grants


def effective_access(*, user: AbstractBaseUser) -> list[dict[str, Any]]:
    """Per registered tool: may `user` use it at all (limits apply per call)."""
    specs = registry.all()
    superuser = getattr(user, "is_superuser", False)
    grants = [] if superuser else grants_for(actor=user, tool_names=None)
    rows = []
    for spec in specs:
        if not user.is_active:
            decision, reason = "deny", f"denied: {user.get_username()} is inactive"
            limits: list[str] = []
        elif superuser:
            decision, reason, limits = "allow", f"allowed: superusers may use {spec.name}", []
        else:
            verdict = grant_decide(
                username=user.get_username(),
                spec=spec,
                arguments={},
                grants=grants,
                check_limits=False,
            )
            decision = _decision_name(verdict.allowed, verdict.requires_approval)
            reason = verdict.reason
            applicable = applicable_grants(spec=spec, grants=grants)
            limits = [describe(limit) for g in applicable for limit in g.limits or []]
        rows.append(
            {
                "tool": spec.name,
                "category": spec.category,
                "risk": spec.risk.value,
                "decision": decision,
                "requires_approval": decision == "approve",
                "limits": limits,
                "reason": reason,
            }
        )
    return rows


def _decision_name(allowed: bool, requires_approval: bool) -> str:
    if not allowed:
        return "deny"
    return "approve" if requires_approval else "allow"
