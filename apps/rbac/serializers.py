from __future__ import annotations

from rest_framework import serializers

from apps.rbac.models import Grant


class GrantSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.name")
    agent = serializers.CharField(source="agent.slug", default="")
    updated_by = serializers.CharField(source="updated_by.username", default="")

    class Meta:
        model = Grant
        fields = [
            "id",
            "role",
            "tool_name",
            "agent",
            "decision",
            "limits",
            "seeded",
            "updated_by",
            "updated_at",
        ]


class GrantCreateSerializer(serializers.Serializer):
    role = serializers.CharField()
    tool_name = serializers.CharField(required=False, allow_blank=True, default="")
    agent = serializers.CharField(required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=Grant.Decision.choices)
    limits = serializers.JSONField(required=False, default=list)


class GrantUpdateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Grant.Decision.choices, required=False)
    limits = serializers.JSONField(required=False)


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=150)
    members = serializers.IntegerField(read_only=True)
    grants = serializers.IntegerField(read_only=True)


class EffectiveSerializer(serializers.Serializer):
    tool = serializers.CharField()
    category = serializers.CharField()
    risk = serializers.CharField()
    decision = serializers.ChoiceField(choices=Grant.Decision.choices)
    requires_approval = serializers.BooleanField()
    limits = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
