import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """Indented JSON text (autoescaped by the template like any string)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
