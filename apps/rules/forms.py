from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from apps.rules.models import Rule

ACTIONS_HELP = 'A JSON list, e.g. [{"action": "send_alert", "parameters": {}}].'


class RuleForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="lowercase, digits, _ and -")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    condition = forms.CharField(
        max_length=500,
        help_text="e.g. error_count > 10 and not (response_time < 200)",
        widget=forms.TextInput(attrs={"class": "mono", "autocomplete": "off"}),
    )
    actions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}), help_text=ACTIONS_HELP
    )
    severity = forms.ChoiceField(choices=Rule.Severity.choices)
    scope = forms.ChoiceField(
        choices=Rule.Scope.choices,
        help_text="product: evaluated per product and location over its stock levels",
    )
    cooldown_seconds = forms.IntegerField(min_value=0, initial=3600)
    enabled = forms.BooleanField(required=False, initial=True)

    def clean_actions(self) -> Any:
        try:
            return json.loads(self.cleaned_data["actions"])
        except ValueError as exc:
            raise ValidationError(f"not valid JSON: {exc}") from exc

    @classmethod
    def for_rule(cls, rule: Rule, data: Any = None) -> RuleForm:
        initial = {
            "name": rule.name,
            "description": rule.description,
            "condition": rule.condition,
            "actions": json.dumps(rule.actions, indent=2),
            "severity": rule.severity,
            "scope": rule.scope,
            "cooldown_seconds": rule.cooldown_seconds,
            "enabled": rule.enabled,
        }
        form = cls(data, initial=initial)
        form.fields["name"].disabled = True
        return form


class RuleTestForm(forms.Form):
    metrics = forms.CharField(
        label="Metric values",
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}),
        help_text="one per line or comma-separated: error_count=14, response_time=900",
    )

    def clean_metrics(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for part in self.cleaned_data["metrics"].replace("\n", ",").split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            try:
                if not sep or not name.strip().isidentifier():
                    raise ValueError
                values[name.strip()] = float(value)
            except ValueError:
                raise ValidationError(f"{part.strip()!r} is not name=number") from None
        if not values:
            raise ValidationError("give at least one name=number")
        return values
