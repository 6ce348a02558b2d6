from django.contrib import admin

from apps.customerservice.models import (
    Article,
    Customer,
    Inquiry,
    KnowledgeCategory,
    Ticket,
    TicketNote,
)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "email", "tier"]
    list_filter = ["tier"]
    search_fields = ["external_id", "name", "email"]


@admin.register(KnowledgeCategory)
class KnowledgeCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "published", "updated_at"]
    list_filter = ["category", "published"]
    list_select_related = ["category"]
    search_fields = ["title", "tags"]


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = ["code", "customer", "category", "priority", "confidence", "created_at"]
    list_filter = ["category", "priority", "channel"]
    list_select_related = ["customer"]
    search_fields = ["code", "text"]
    readonly_fields = ["reasons", "created_at"]


class TicketNoteInline(admin.TabularInline):
    model = TicketNote
    extra = 0


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["code", "subject", "priority", "status", "queue", "assignee", "sla_due_at"]
    list_filter = ["status", "priority", "queue"]
    list_select_related = ["assignee"]
    search_fields = ["code", "subject"]
    inlines = [TicketNoteInline]
