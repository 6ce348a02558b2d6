"""Writes of the rules engine: rules, pushed metrics, evaluations and firings.

A rule that holds fires once per (rule, subject) per cooldown; each of its
actions runs through the tool executor (`execute_business_action`) as the
rules service account, so every action is authorised, recorded and audited."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.rules import metrics as metric_sources
from apps.rules.actions import ACTION_NAMES
from apps.rules.conditions import ExpressionError, condition_check, condition_validate
from apps.rules.models import MetricSample, Rule, RuleConstant, RuleFiring

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from apps.inventory.models import Product

logger = logging.getLogger(__name__)

SERVICE_ACCOUNT = "svc-rules"
CONTEXT_KEYS = ("subject", "product_id", "location", "supplier_id")
RESERVED_NAMES = {"new", "firings", "metrics", "evaluate"}
RULE_FIELDS = ("description", "condition", "actions", "severity", "scope", "cooldown_seconds")


def service_account_get() -> AbstractBaseUser:
    """The user rules act as: "svc-rules", role operator, no usable password."""
    user, created = get_user_model().objects.get_or_create(
        username=SERVICE_ACCOUNT, defaults={"first_name": "Rules engine"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        group = Group.objects.filter(name="operator").first()
        if group is not None:
            user.groups.add(group)
    return user


# --- validation and rule writes -------------------------------------------------


def actions_validate(actions: Any) -> list[dict[str, Any]]:
    """The actions list in canonical form; ValidationError naming each problem."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError(
            'actions must be a non-empty list of {"action": ..., "parameters": {}}'
        )
    problems, clean = [], []
    for i, item in enumerate(actions):
        name = item.get("action") if isinstance(item, dict) else None
        parameters = item.get("parameters", {}) if isinstance(item, dict) else None
        if name not in ACTION_NAMES:
            problems.append(f"action {i + 1}: {name!r} is not one of {', '.join(ACTION_NAMES)}")
        elif not isinstance(parameters, dict):
            problems.append(f"action {i + 1}: parameters must be an object")
        else:
            clean.append({"action": name, "parameters": parameters})
    if problems:
        raise ValidationError(problems)
    return clean


def rule_validate(*, condition: str, actions: Any) -> list[dict[str, Any]]:
    """Raise ValidationError keyed by field; return the clean actions."""
    errors: dict[str, list[str]] = {}
    try:
        condition_validate(condition, known=metric_sources.known_metric_names())
    except ExpressionError as exc:
        errors["condition"] = [str(exc)]
    try:
        clean = actions_validate(actions)
    except ValidationError as exc:
        errors["actions"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def rule_create(
    *,
    name: str,
    condition: str,
    actions: list[dict[str, Any]],
    description: str = "",
    severity: str = Rule.Severity.WARNING,
    scope: str = Rule.Scope.GLOBAL,
    cooldown_seconds: int = 3600,
    enabled: bool = True,
) -> Rule:
    if name in RESERVED_NAMES:
        raise ValidationError({"name": [f"{name!r} is reserved; choose another name"]})
    clean = rule_validate(condition=condition, actions=actions)
    rule = Rule(
        name=name,
        description=description,
        condition=condition.strip(),
        actions=clean,
        severity=severity,
        scope=scope,
        cooldown_seconds=cooldown_seconds,
        enabled=enabled,
    )
    rule.full_clean()
    rule.save()
    return rule


def rule_update(*, rule: Rule, **fields: Any) -> Rule:
    """Change any of description, condition, actions, severity, scope,
    cooldown_seconds, enabled; the condition and actions are validated again."""
    unknown = set(fields) - {*RULE_FIELDS, "enabled"}
    if unknown:
        raise ValidationError(f"unknown rule fields: {', '.join(sorted(unknown))}")
    condition = fields.get("condition", rule.condition)
    fields["actions"] = rule_validate(
        condition=condition, actions=fields.get("actions", rule.actions)
    )
    for key, value in fields.items():
        setattr(rule, key, value.strip() if key == "condition" else value)
    rule.full_clean()
    rule.save()
    return rule


def rule_enabled_set(*, rule: Rule, enabled: bool) -> Rule:
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    return rule


def constant_set(*, name: str, value: float, description: str = "") -> RuleConstant:
    constant, _ = RuleConstant.objects.update_or_create(
        name=name, defaults={"value": float(value), "description": description}
    )
    return constant


METRIC_NAME_MAX = 100


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def metrics_clean(metrics: Any) -> dict[str, float]:
    """{name: number}; ValidationError listing bad names or values."""
    if not isinstance(metrics, dict):
        raise ValidationError("metrics must be an object of name: number")
    clean, problems = {}, []
    for name, value in metrics.items():
        number = _finite(value)
        if not isinstance(name, str) or not name.isidentifier() or len(name) > METRIC_NAME_MAX:
            problems.append(f"{str(name)[:120]!r} is not a valid metric name")
        elif number is None:
            problems.append(f"{name}: {str(value)[:50]!r} is not a finite number")
        else:
            clean[name] = number
    if problems:
        raise ValidationError(problems)
    return clean


def metrics_push(
    *, metrics: dict[str, Any], labels: dict[str, Any] | None = None
) -> list[MetricSample]:
    """Store pushed values; subject/product_id/location/supplier_id become labels."""
    if not isinstance(metrics, dict):
        raise ValidationError("metrics must be an object of name: number")
    about = {k: str(metrics[k])[:100] for k in CONTEXT_KEYS if metrics.get(k)}
    clean = metrics_clean({k: v for k, v in metrics.items() if k not in CONTEXT_KEYS})
    now = timezone.now()
    return MetricSample.objects.bulk_create(
        MetricSample(name=name, value=value, labels={**(labels or {}), **about}, at=now)
        for name, value in clean.items()
    )


# --- checking and firing ------------------------------------------------------


def rules_check(
    *, metrics: dict[str, Any], rules: Iterable[Rule] | None = None
) -> list[dict[str, Any]]:
    """Which rules hold for these metrics, with the values that decided and the
    metrics each is missing. Runs nothing."""
    rules = Rule.objects.filter(enabled=True) if rules is None else rules
    report = []
    for rule in rules:
        check = condition_check(rule.condition, metrics)
        report.append(
            {
                "rule": rule.name,
                "condition": rule.condition,
                "severity": rule.severity,
                "holds": check.holds,
                "decided_by": check.values,
                "missing_metrics": check.missing,
                "error": check.error,
                "actions": [a["action"] for a in rule.actions],
            }
        )
    return report


def _in_cooldown(rule: Rule, subject: str, now: Any) -> bool:
    since = now - timezone.timedelta(seconds=rule.cooldown_seconds)
    return RuleFiring.objects.filter(rule=rule, subject=subject, fired_at__gt=since).exists()


def _action_context(
    rule: Rule,
    subject: str,
    metrics: dict[str, Any],
    decided: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    return {
        **metrics,
        "rule": rule.name,
        "severity": rule.severity,
        "subject": subject,
        "decided_by": decided,
        "metrics": metrics,
        **extra,
    }


def _firing_status(results: list[dict[str, Any]]) -> str:
    states = [r["outcome"] for r in results]
    if "waiting_approval" in states:
        return RuleFiring.Status.WAITING
    if all(s == "succeeded" for s in states):
        return RuleFiring.Status.SUCCEEDED
    if any(s == "succeeded" for s in states):
        return RuleFiring.Status.PARTIAL
    return RuleFiring.Status.FAILED


def _run_actions(
    rule: Rule, subject: str, context: dict[str, Any], actor: AbstractBaseUser, window: int
) -> list[dict[str, Any]]:
    from apps.tools.services import tool_run

    results = []
    for item in rule.actions:
        key = f"rule:{rule.pk}:{subject}:{window}:{item['action']}"
        outcome = tool_run(
            actor=actor,
            name="execute_business_action",
            arguments={
                "action_name": item["action"],
                "context": {**context, **item.get("parameters", {}), "idempotency_key": key},
            },
            source="rule",
            idempotency_key=key,
        )
        error = (outcome.result.get("error") or {}) if isinstance(outcome.result, dict) else {}
        results.append(
            {
                "action": item["action"],
                "outcome": outcome.call.status,
                "tool_call_id": outcome.call.pk,
                "summary": outcome.result.get("summary") or error.get("message", ""),
                "status": outcome.result.get("status", ""),
            }
        )
    return results


def rule_fire(
    *,
    rule: Rule,
    subject: str,
    metrics: dict[str, Any],
    decided: dict[str, Any],
    actor: AbstractBaseUser | None = None,
    extra: dict[str, Any] | None = None,
    trigger: str = "schedule",
) -> RuleFiring | None:
    """Run the rule's actions and record the firing; None while in cooldown."""
    actor = actor or service_account_get()
    now = timezone.now()
    with transaction.atomic():
        Rule.objects.select_for_update().filter(pk=rule.pk).first()  # one firer at a time
        if _in_cooldown(rule, subject, now):
            return None
        firing = RuleFiring.objects.create(
            rule=rule,
            subject=subject,
            fired_at=now,
            metrics=metrics,
            decided_by=decided,
            status=RuleFiring.Status.FAILED,
            trigger=trigger,
        )
        Rule.objects.filter(pk=rule.pk).update(last_fired_at=now)
    window = int(now.timestamp()) // max(rule.cooldown_seconds, 60)
    context = _action_context(rule, subject, metrics, decided, extra or {})
    results = _run_actions(rule, subject, context, actor, window)
    firing.action_results = results
    firing.status = _firing_status(results)
    firing.save(update_fields=["action_results", "status"])
    logger.info("rule %s fired for %s: %s", rule.name, subject, firing.status)
    return firing


def _evaluate(
    rules: Iterable[Rule],
    *,
    subject: str,
    metrics: dict[str, Any],
    actor: AbstractBaseUser | None,
    extra: dict[str, Any] | None = None,
    trigger: str,
) -> list[RuleFiring]:
    fired = []
    for rule in rules:
        check = condition_check(rule.condition, metrics)
        if not check.holds:
            continue
        firing = rule_fire(
            rule=rule,
            subject=subject,
            metrics=metrics,
            decided=check.values,
            actor=actor,
            extra=extra,
            trigger=trigger,
        )
        if firing is not None:
            fired.append(firing)
    return fired


def rules_evaluate(*, metrics: dict, actor: AbstractBaseUser | None) -> list[RuleFiring]:  # type: ignore[type-arg]
    """Evaluate every enabled rule over the given metrics (on top of constants,
    recent tool metrics and pushed samples) and fire those that hold. Used by
    metric pushes, the evaluate API and the workflows app's rule automations.

    Besides numbers, `metrics` may name what they are about: subject,
    product_id, location, supplier_id (strings passed on to the actions)."""
    if not isinstance(metrics, dict):
        raise ValidationError("metrics must be an object of name: number")
    extra = {k: str(metrics[k])[:100] for k in CONTEXT_KEYS if metrics.get(k)}
    given = metrics_clean({k: v for k, v in metrics.items() if k not in CONTEXT_KEYS})
    subject = extra.pop("subject", "") or extra.get("product_id") or "global"
    merged = {**metric_sources.global_metrics(), **given}
    rules = Rule.objects.filter(enabled=True)
    return _evaluate(
        rules, subject=subject, metrics=merged, actor=actor, extra=extra, trigger="push"
    )


def rules_evaluate_stock(
    *, product: Product | None = None, actor: AbstractBaseUser | None = None, trigger: str = "event"
) -> list[RuleFiring]:
    """Evaluate the per-product rules for each stock level (of one product)."""
    rules = list(Rule.objects.filter(enabled=True, scope=Rule.Scope.PRODUCT))
    if not rules:
        return []
    base = {**metric_sources.constant_metrics(), **metric_sources.pushed_metrics()}
    fired = []
    for item in metric_sources.stock_subjects(product=product):
        fired += _evaluate(
            rules,
            subject=item.subject,
            metrics={**base, **item.metrics},
            actor=actor,
            extra=item.context(),
            trigger=trigger,
        )
    return fired


def rules_evaluate_all(*, actor: AbstractBaseUser | None = None) -> list[RuleFiring]:
    """The scheduled pass: global rules over the global metrics, then stock rules."""
    rules = Rule.objects.filter(enabled=True, scope=Rule.Scope.GLOBAL)
    fired = _evaluate(
        rules,
        subject="global",
        metrics=metric_sources.global_metrics(),
        actor=actor,
        trigger="schedule",
    )
    return fired + rules_evaluate_stock(actor=actor, trigger="schedule")
