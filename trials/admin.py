"""Admin: look at what was loaded. Registry-sourced fields are read-only everywhere."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from trials.models import (
    Condition,
    Criterion,
    Facet,
    Intervention,
    Location,
    SyncRun,
    Trial,
    TrialVersion,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ConditionInline(ReadOnlyInline):
    model = Condition
    fields = ("name", "disease")


class InterventionInline(ReadOnlyInline):
    model = Intervention
    fields = ("type", "name", "other_names", "cytokine_family")


class LocationInline(ReadOnlyInline):
    model = Location
    fields = ("facility", "city", "state", "country", "status")


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ("section", "depth", "heading", "text")


class VersionInline(ReadOnlyInline):
    model = TrialVersion
    fields = ("fetched_at", "last_update_posted", "content_hash")


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = (
        "registry_id",
        "brief_title",
        "overall_status",
        "last_update_posted",
        "removed_at",
    )
    list_filter = ("overall_status", "registry", "study_type", "interventions__cytokine_family")
    search_fields = ("registry_id", "brief_title", "conditions__name")
    date_hierarchy = "last_update_posted"
    inlines = [ConditionInline, InterventionInline, LocationInline, CriterionInline, VersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Trial | None = None) -> list[str]:
        # Every Trial field comes from the registry; nobody edits them here.
        return [f.name for f in Trial._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Trial | None = None) -> bool:
        return request.user.is_superuser


@admin.register(Facet)
class FacetAdmin(SimpleHistoryAdmin):
    list_display = ("trial", "kind", "value", "provenance", "review", "rule")
    list_filter = ("kind", "provenance", "review")
    search_fields = ("trial__registry_id",)
    raw_id_fields = ("trial",)
    readonly_fields = ("trial", "kind", "evidence", "rule", "extracted_value", "criteria_hash")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "source",
        "outcome",
        "seen",
        "created",
        "updated",
        "unchanged",
        "removed",
        "failed",
    )
    list_filter = ("source", "outcome")

    def get_readonly_fields(self, request: HttpRequest, obj: SyncRun | None = None) -> list[str]:
        return [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SyncRun | None = None) -> bool:
        return False
