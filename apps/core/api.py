"""Small shared pieces for the DRF APIs."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


def paginated(serializer_class: type[serializers.Serializer], name: str) -> Any:
    """The OpenAPI shape of a PageNumberPagination page of `serializer_class`."""
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
