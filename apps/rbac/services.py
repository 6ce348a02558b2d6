"""Writes: grants, roles and the default grants. Every change is audited."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.agents.models import Agent
from apps.rbac.limits import LimitError, limits_validate
from apps.rbac.models import Grant, SeedRecord
from apps.tools.registry import Risk, registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

# The defaults mirror what the roles could do before RBAC: admins, managers and
# operators use every tool; operators need approval for high-risk ones; viewers
# get nothing. Applied once per (role, scope); see SeedRecord.
DEFAULT_ROLES = ("admin", "manager", "operator")
ROLE_NAME_MAX = 150


def _tool_arguments(names: list[str]) -> dict[str, set[str]]:
    return {
        name: set(spec.parameters.get("properties", {}))
        for name in names
        if (spec := registry.get(name)) is not None
    }


def grant_clean(
    *, tool_name: str, agent: Agent | None, decision: str, limits: Any
) -> list[dict[str, Any]]:
    """The normalised limits, or ValidationError with a message per problem."""
    errors: dict[str, list[str]] = {}
    if bool(tool_name) == (agent is not None):
        errors["scope"] = ["Give either a tool or an agent, not both."]
    if decision not in Grant.Decision.values:
        errors["decision"] = [f"Decision must be one of {', '.join(Grant.Decision.values)}."]
    names = [tool_name] if tool_name else list(agent.tool_names if agent else [])
    try:
        cleaned = limits_validate(
            limits, tools=_tool_arguments(names) or None, agent_wide=agent is not None
        )
    except LimitError as exc:
        errors["limits"] = exc.problems
        cleaned = []
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def grant_create(
    *,
    role: Group,
    decision: str,
    tool_name: str = "",
    agent: Agent | None = None,
    limits: Any = None,
    actor: AbstractBaseUser | None,
) -> Grant:
    if tool_name and tool_name not in registry:
        raise ValidationError({"tool_name": [f"Unknown tool {tool_name!r}."]})
    cleaned = grant_clean(tool_name=tool_name, agent=agent, decision=decision, limits=limits)
    taken = Grant.objects.filter(role=role)
    if (tool_name and taken.filter(tool_name=tool_name).exists()) or (
        agent is not None and taken.filter(agent=agent).exists()
    ):
        raise ValidationError({"scope": ["This role already has a grant for that; edit it."]})
    grant = Grant.objects.create(
        role=role,
        tool_name=tool_name,
        agent=agent,
        decision=decision,
        limits=cleaned,
        updated_by=_user_or_none(actor),
    )
    _audit(actor, "created", grant, before=None)
    return grant


@transaction.atomic
def grant_update(
    *,
    grant: Grant,
    decision: str | None = None,
    limits: Any = None,
    actor: AbstractBaseUser | None,
) -> Grant:
    """Change the decision and/or the limits (None leaves a field as it is)."""
    before = _snapshot(grant)
    decision = grant.decision if decision is None else decision
    limits = grant.limits if limits is None else limits
    cleaned = grant_clean(
        tool_name=grant.tool_name, agent=grant.agent, decision=decision, limits=limits
    )
    grant.decision, grant.limits = decision, cleaned
    grant.seeded = False
    grant.updated_by = _user_or_none(actor)
    grant.save(update_fields=["decision", "limits", "seeded", "updated_by", "updated_at"])
    _audit(actor, "updated", grant, before=before)
    return grant


@transaction.atomic
def grant_delete(*, grant: Grant, actor: AbstractBaseUser | None) -> None:
    before = _snapshot(grant)
    grant.delete()
    _audit(actor, "deleted", None, before=before)


@transaction.atomic
def grant_set(
    *,
    role: Group,
    tool_name: str,
    decision: str,
    limits: Any,
    actor: AbstractBaseUser | None,
) -> Grant | None:
    """The matrix cell's save: create or update the role's grant for the tool;
    decision "" removes it (the role then falls back to its agent-wide grants)."""
    grant = Grant.objects.filter(role=role, tool_name=tool_name).first()
    if not decision:
        if grant is not None:
            grant_delete(grant=grant, actor=actor)
        return None
    if grant is None:
        return grant_create(
            role=role, tool_name=tool_name, decision=decision, limits=limits, actor=actor
        )
    return grant_update(grant=grant, decision=decision, limits=limits or [], actor=actor)


def role_create(*, name: str, actor: AbstractBaseUser | None) -> Group:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": ["Give the role a name."]})
    if len(name) > ROLE_NAME_MAX:
        raise ValidationError({"name": [f"At most {ROLE_NAME_MAX} characters."]})
    if Group.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A role named {name!r} already exists."]})
    with transaction.atomic():
        role = Group.objects.create(name=name)
        _audit_event(actor, {"action": "role_created", "role": name})
    return role


def _default_grants() -> list[tuple[str, str, str, str]]:
    """(role, scope kind, scope, decision) for every default."""
    defaults = []
    for role in DEFAULT_ROLES:
        defaults += [
            (role, "agent", slug, Grant.Decision.ALLOW)
            for slug in Agent.objects.values_list("slug", flat=True)
        ]
        for spec in registry.all():
            high = spec.risk == Risk.HIGH and role == "operator"
            defaults.append(
                (role, "tool", spec.name, Grant.Decision.APPROVE if high else Grant.Decision.ALLOW)
            )
    return defaults


@transaction.atomic
def rbac_sync_defaults(**_: Any) -> dict[str, int]:
    """Create the default grants not applied yet (idempotent; runs after migrate).

    Never touches an existing grant, and never brings back a default an admin
    deleted: each default is applied once (SeedRecord)."""
    if Grant._meta.db_table not in connection.introspection.table_names():
        return {"grants_created": 0}  # a partial migrate that has not reached rbac yet
    applied = set(SeedRecord.objects.values_list("key", flat=True))
    todo = [d for d in _default_grants() if ":".join(d[:3]) not in applied]
    if not todo:
        return {"grants_created": 0}
    roles = {name: Group.objects.get_or_create(name=name)[0] for name in DEFAULT_ROLES}
    agents = {a.slug: a for a in Agent.objects.filter(slug__in={d[2] for d in todo})}
    existing_tools = set(Grant.objects.exclude(tool_name="").values_list("role_id", "tool_name"))
    existing_agents = set(
        Grant.objects.filter(agent__isnull=False).values_list("role_id", "agent_id")
    )
    new = []
    for role_name, kind, scope, decision in todo:
        role = roles[role_name]
        if kind == "tool" and (role.pk, scope) not in existing_tools:
            new.append(Grant(role=role, tool_name=scope, decision=decision, seeded=True))
        elif kind == "agent" and (role.pk, agents[scope].pk) not in existing_agents:
            new.append(Grant(role=role, agent=agents[scope], decision=decision, seeded=True))
    Grant.objects.bulk_create(new)
    SeedRecord.objects.bulk_create(
        [SeedRecord(key=":".join(d[:3])) for d in todo], ignore_conflicts=True
    )
    return {"grants_created": len(new)}


def _user_or_none(actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return actor if actor is not None and actor.is_authenticated else None


def _snapshot(grant: Grant) -> dict[str, Any]:
    return {
        "id": grant.pk,
        "role": grant.role.name,
        "tool": grant.tool_name,
        "agent": grant.agent.slug if grant.agent else "",
        "decision": grant.decision,
        "limits": grant.limits,
    }


def _audit(
    actor: AbstractBaseUser | None,
    action: str,
    grant: Grant | None,
    *,
    before: dict[str, Any] | None,
) -> None:
    after = _snapshot(grant) if grant is not None else None
    _audit_event(actor, {"action": action, "before": before, "after": after})


def _audit_event(actor: AbstractBaseUser | None, detail: dict[str, Any]) -> None:
    """Record the change in the audit log when the audit app provides one."""
    try:
        from apps.audit.services import audit_record
    except ImportError:
        logger.info("rbac change (no audit log): %s", detail)
        return
    audit_record(event="rbac.grant_changed", actor=_user_or_none(actor), detail=detail)
