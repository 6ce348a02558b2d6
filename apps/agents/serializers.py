from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.agents.models import Agent, Message, Run
from apps.tools.models import ToolCall


class AgentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agent
        fields = ["slug", "name", "description", "tool_names", "max_iterations", "example_prompts"]


class RunCreateSerializer(serializers.Serializer):
    agent = serializers.SlugField(help_text="The agent's slug, e.g. inventory")
    input = serializers.CharField(max_length=8000, trim_whitespace=True)


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["index", "role", "content", "tool_calls", "tool_call_id", "name", "created_at"]


class StepSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="tool_name")

    class Meta:
        model = ToolCall
        fields = [
            "id",
            "tool_call_id",
            "name",
            "arguments",
            "status",
            "result",
            "error_kind",
            "error",
            "duration_ms",
            "started_at",
            "finished_at",
        ]


class UsageSerializer(serializers.Serializer):
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class RunSerializer(serializers.ModelSerializer):
    agent = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.CharField(source="user.get_username", read_only=True)
    offline_planner = serializers.SerializerMethodField()
    usage = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "agent",
            "user",
            "status",
            "input",
            "final_answer",
            "error",
            "provider",
            "model",
            "offline_planner",
            "iterations",
            "usage",
            "created_at",
            "started_at",
            "finished_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_offline_planner(self, run: Run) -> bool:
        return run.provider == "offline"

    @extend_schema_field(UsageSerializer())
    def get_usage(self, run: Run) -> dict[str, Any]:
        return {
            "prompt_tokens": run.prompt_tokens,
            "completion_tokens": run.completion_tokens,
            "total_tokens": run.total_tokens,
        }


class RunDetailSerializer(RunSerializer):
    messages = MessageSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True, source="tool_calls")

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "messages", "steps"]
