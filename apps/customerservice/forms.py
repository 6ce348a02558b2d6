from __future__ import annotations

from typing import Any

from django import forms

from apps.customerservice.models import Article, KnowledgeCategory, Ticket


class ArticleForm(forms.Form):
    category = forms.ModelChoiceField(queryset=KnowledgeCategory.objects.all())
    title = forms.CharField(max_length=200, min_length=5, strip=True)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), min_length=20, strip=True)
    tags = forms.CharField(
        max_length=300, required=False, help_text="Comma-separated, e.g. refund, policy"
    )
    published = forms.BooleanField(required=False, initial=True)

    @classmethod
    def for_article(cls, article: Article) -> ArticleForm:
        return cls(
            initial={
                "category": article.category_id,
                "title": article.title,
                "body": article.body,
                "tags": article.tags,
                "published": article.published,
            }
        )


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), strip=True)
    is_reply = forms.BooleanField(required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Ticket.Status.choices)


class AssignForm(forms.Form):
    assignee = forms.CharField(required=False)  # "me", a user id, or "" for nobody

    def __init__(self, *args: Any, users: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(u.pk): u for u in users}

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        if value not in ("", "me") and value not in self.users:
            raise forms.ValidationError("Choose a support member.")
        return value
