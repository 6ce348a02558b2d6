"""The executor's authorize step. Deny by default.

This is the hook the RBAC work replaces (settings.OWM_TOOL_POLICY names the
callable); the default lets active superusers and holders of the
`tools.use_tools` permission run tools, and nobody else."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.tools.registry import ToolSpec


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    # Allowed, but only once a human approves this call (the run pauses).
    requires_approval: bool = False


class Policy(Protocol):
    def __call__(
        self, *, actor: AbstractBaseUser | None, spec: ToolSpec, arguments: dict[str, Any]
    ) -> Decision: ...


def default_policy(
    *, actor: AbstractBaseUser | None, spec: ToolSpec, arguments: dict[str, Any]
) -> Decision:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Decision(False, f"denied: {spec.name} needs an authenticated, active user")
    if actor.has_perm("tools.use_tools"):
        return Decision(True)
    return Decision(False, f"denied: you may not use the tool {spec.name}")


@cache
def _load(path: str) -> Policy:
    return import_string(path)


def _policy() -> Policy:
    path = getattr(settings, "OWM_TOOL_POLICY", None)
    return _load(path) if path else default_policy


def authorize(
    *, actor: AbstractBaseUser | None, spec: ToolSpec, arguments: dict[str, Any]
) -> Decision:
    return _policy()(actor=actor, spec=spec, arguments=arguments)


def visible_tools(*, actor: AbstractBaseUser | None, specs: list[ToolSpec]) -> list[ToolSpec]:
    """The tools to offer a model on behalf of `actor` (checked again at call time).

    A policy may answer for many tools at once through a `visible_tools`
    attribute (the RBAC policy does, in one query); else each tool is asked."""
    policy = _policy()
    batch = getattr(policy, "visible_tools", None)
    if batch is not None:
        return batch(actor=actor, specs=specs)
    return [spec for spec in specs if authorize(actor=actor, spec=spec, arguments={}).allowed]
