"""Policies used by tests through settings.OWM_TOOL_POLICY."""

from apps.tools.policy import Decision, default_policy
from apps.tools.registry import Risk


def approve_high_risk(*, actor, spec, arguments):  # type: ignore[no-untyped-def]
    base = default_policy(actor=actor, spec=spec, arguments=arguments)
    if base.allowed and spec.risk == Risk.HIGH:
        reason = f"{spec.name} is high risk: a manager must approve it"
        return Decision(True, reason, requires_approval=True)
    return base
