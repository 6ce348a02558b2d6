from rest_framework import serializers


class ToolInvokeSerializer(serializers.Serializer):
    arguments = serializers.JSONField(default=dict, help_text="The tool's arguments (JSON object)")


class ToolInvokeResultSerializer(serializers.Serializer):
    call_id = serializers.IntegerField()
    tool = serializers.CharField()
    status = serializers.CharField()
    ok = serializers.BooleanField()
    result = serializers.JSONField()
    duration_ms = serializers.FloatField(allow_null=True)
