from django.contrib import admin

from tasks.concretizer.models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "status", "provider", "fallback_reason", "created_at")
    list_filter = ("status", "provider", "fallback_reason")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "task", "parent", "accepted_task")
    readonly_fields = ("fingerprint", "llm_calls", "latency_ms", "created_at", "finished_at")
