from __future__ import annotations

from django import forms

from apps.notifications.models import NotificationChannel


class ChannelForm(forms.ModelForm):
    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "target", "description"]
        help_texts = {
            "name": "What agents pass as a recipient, e.g. ops-slack.",
            "target": "The incoming-webhook or endpoint URL, or an email address.",
        }
