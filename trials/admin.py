"""Admin: curation of facets, and read-only views of what the registry gave us.

Registry-sourced fields are read-only for everyone, superusers included. Curators (the
"Curator" group, migration 0003) work from the review queue and the trial change page,
whose forms and actions only call trials.services.curation; the Facet admin shows facets
and their history but never saves one directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import URLPattern, path, reverse
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from trials.criteria import DISEASE_LABELS, STAGES, TREATMENT_CLASS_LABELS, TREATMENT_CLASSES
from trials.curation_selectors import (
    CriteriaDiff,
    review_queue_counts,
    trial_criteria_diffs,
    trials_with_facet_count,
)
from trials.models import (
    Condition,
    Criterion,
    CytokineFamily,
    Facet,
    FacetKind,
    Intervention,
    Location,
    Provenance,
    ReviewStatus,
    Section,
    SyncRun,
    Trial,
    TrialVersion,
)
from trials.services.curation import (
    CORRECTABLE_KINDS,
    facet_confirm,
    facet_curate,
    facet_mark_wrong,
    trial_facets_reextract,
    trials_mark_reviewed,
)
from trials.services.sync_enqueue import sync_enqueue

CURATE_PERMISSION = "trials.change_facet"
RUN_SYNC_PERMISSION = "trials.run_sync"


def _can_curate(request: HttpRequest) -> bool:
    return request.user.has_perm(CURATE_PERMISSION)


# --- Read-only registry data --------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
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


class VersionInline(ReadOnlyInline):
    model = TrialVersion
    fields = ("fetched_at", "last_update_posted", "content_hash")


# --- List filters -------------------------------------------------------------------------


class CytokineFamilyFilter(admin.SimpleListFilter):
    title = "cytokine family"
    parameter_name = "family"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        present = set(
            Intervention.objects.exclude(cytokine_family="")
            .values_list("cytokine_family", flat=True)
            .distinct()
        )
        return [(value, label) for value, label in CytokineFamily.choices if value in present]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Trial]) -> QuerySet[Trial]:
        if not self.value():
            return queryset
        agents = Intervention.objects.filter(trial=OuterRef("pk"), cytokine_family=self.value())
        return queryset.filter(Exists(agents))


class DiseaseFilter(admin.SimpleListFilter):
    title = "disease"
    parameter_name = "disease"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        present = Condition.objects.exclude(disease="").values_list("disease", flat=True)
        return sorted(
            ((code, DISEASE_LABELS.get(code, code)) for code in set(present.distinct())),
            key=lambda item: item[1],
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet[Trial]) -> QuerySet[Trial]:
        if not self.value():
            return queryset
        conditions = Condition.objects.filter(trial=OuterRef("pk"), disease=self.value())
        return queryset.filter(Exists(conditions))


# Review states a trial can be filtered by: a facet of the trial is in that state.
REVIEW_STATES: dict[str, tuple[str, dict[str, str]]] = {
    "needs_review": ("Needs review (any reason)", {"review": ReviewStatus.NEEDS_REVIEW}),
    "low_confidence": (
        "Needs review: low-confidence extraction",
        {"review": ReviewStatus.NEEDS_REVIEW, "provenance": Provenance.EXTRACTED},
    ),
    "text_changed": (
        "Needs review: registry text changed after curation",
        {"review": ReviewStatus.NEEDS_REVIEW, "provenance": Provenance.CURATED},
    ),
    "wrong": ("Marked wrong", {"review": ReviewStatus.WRONG}),
    "confirmed": ("Confirmed", {"review": ReviewStatus.CONFIRMED}),
}


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review state"
    parameter_name = "review"
    default: str | None = None  # the review queue opens on "needs_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in REVIEW_STATES.items()]

    def value(self) -> str | None:
        value = super().value()
        if value is None:
            return self.default
        return None if value == "all" else value

    def choices(self, changelist: Any) -> Iterator[dict[str, Any]]:
        for index, choice in enumerate(super().choices(changelist)):
            if index == 0 and self.default is not None:
                # "All" must say so in the URL: no parameter means the default state.
                choice["query_string"] = changelist.get_query_string({self.parameter_name: "all"})
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet[Trial]) -> QuerySet[Trial]:
        state = REVIEW_STATES.get(self.value() or "")
        if state is None:
            return queryset
        facets = Facet.objects.filter(trial=OuterRef("pk"), **state[1])
        return queryset.filter(Exists(facets))


class QueueReviewStateFilter(ReviewStateFilter):
    default = "needs_review"


# --- Curation forms -----------------------------------------------------------------------


class FacetNoteForm(forms.Form):
    """What every curation step takes: an optional note saying why."""

    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text="Optional: why (kept in the facet's history).",
    )


class FacetValueForm(FacetNoteForm):
    """A corrected value for one facet kind, with the criteria it rests on."""

    value_fields: tuple[str, ...] = ()
    evidence = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The criteria (or condition names) this value rests on.",
    )

    def __init__(self, *args: Any, trial: Trial, facet: Facet | None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).update(
            self.initial_value(facet.value if facet is not None else None)
        )
        super().__init__(*args, **kwargs)
        self._sources: dict[str, Criterion | Condition] = {
            **{f"criterion-{c.pk}": c for c in trial.criteria.all()},
            **{f"condition-{c.pk}": c for c in trial.conditions.all()},
        }
        quoted = {
            (e.get("criterion"), e.get("section"))
            for e in (facet.evidence if facet is not None else [])
            if isinstance(e, dict)
        }
        choices = []
        initial = []
        for key, source in self._sources.items():
            if isinstance(source, Criterion):
                label = f"{source.get_section_display()}: {source.text}"
                quote = (source.text, source.section)
            else:
                label, quote = f"Condition: {source.name}", (source.name, "condition")
            choices.append((key, label))
            if quote in quoted:
                initial.append(key)
        field = self.fields["evidence"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
        self.initial["evidence"] = initial

    def evidence_sources(self) -> list[Criterion | Condition]:
        selected = set(self.cleaned_data["evidence"])
        return [source for key, source in self._sources.items() if key in selected]

    def initial_value(self, value: Any) -> dict[str, Any]:
        return {}

    def value(self) -> Any:
        raise NotImplementedError

    def value_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.value_fields]

    def evidence_changed(self) -> bool:
        return set(self.cleaned_data["evidence"]) != set(self.initial.get("evidence", []))


class StagesForm(FacetValueForm):
    value_fields = ("stages",)
    stages = forms.MultipleChoiceField(
        choices=[(s, f"Stage {s}") for s in STAGES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The stages the listing admits; none ticked means no limit on stage.",
    )

    def initial_value(self, value: Any) -> dict[str, Any]:
        return {"stages": value if isinstance(value, list) else []}

    def value(self) -> Any:
        return list(self.cleaned_data["stages"])


class ResectabilityForm(FacetValueForm):
    value_fields = ("resectability",)
    resectability = forms.ChoiceField(
        choices=[("", "No limit"), ("resectable", "Resectable"), ("unresectable", "Unresectable")],
        required=False,
        widget=forms.RadioSelect,
    )

    def initial_value(self, value: Any) -> dict[str, Any]:
        return {"resectability": value or ""}

    def value(self) -> Any:
        return self.cleaned_data["resectability"] or None


_CLASS_CHOICES = [(c, TREATMENT_CLASS_LABELS[c][0]) for c in TREATMENT_CLASSES]


class PriorTreatmentForm(FacetValueForm):
    value_fields = ("required", "excluded", "min_prior_lines", "max_prior_lines")
    required = forms.MultipleChoiceField(
        label="Required prior treatment",
        choices=_CLASS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    excluded = forms.MultipleChoiceField(
        label="Excluded prior treatment",
        choices=_CLASS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_prior_lines = forms.IntegerField(label="At least this many prior lines", required=False)
    max_prior_lines = forms.IntegerField(label="At most this many prior lines", required=False)

    def initial_value(self, value: Any) -> dict[str, Any]:
        value = value if isinstance(value, dict) else {}
        return {
            "required": value.get("required") or [],
            "excluded": value.get("excluded") or [],
            "min_prior_lines": value.get("min_prior_lines"),
            "max_prior_lines": value.get("max_prior_lines"),
        }

    def value(self) -> Any:
        # Line limits are checked (>= 0, min <= max) by the curation service.
        return {
            "required": list(self.cleaned_data["required"]),
            "excluded": list(self.cleaned_data["excluded"]),
            "min_prior_lines": self.cleaned_data["min_prior_lines"],
            "max_prior_lines": self.cleaned_data["max_prior_lines"],
        }


VALUE_FORMS: dict[str, type[FacetValueForm]] = {
    FacetKind.STAGES: StagesForm,
    FacetKind.RESECTABILITY: ResectabilityForm,
    FacetKind.PRIOR_TREATMENT: PriorTreatmentForm,
}


def facet_value_display(kind: str, value: Any) -> str:
    """A facet value in words, for people."""
    if kind == FacetKind.STAGES:
        return ", ".join(value) if value else "no limit on stage"
    if kind == FacetKind.RESECTABILITY:
        return str(value) if value else "no limit"
    if kind == FacetKind.PRIOR_TREATMENT:
        if not isinstance(value, dict):
            return "no limit"
        parts = []
        if value.get("required"):
            parts.append("required: " + ", ".join(value["required"]))
        if value.get("excluded"):
            parts.append("excluded: " + ", ".join(value["excluded"]))
        if value.get("min_prior_lines") is not None:
            parts.append(f"at least {value['min_prior_lines']} prior line(s)")
        if value.get("max_prior_lines") is not None:
            parts.append(f"at most {value['max_prior_lines']} prior line(s)")
        return "; ".join(parts) or "no limit"
    if kind == FacetKind.WASHOUT:
        if not value:
            return "none"
        return "; ".join(str(item.get("text", item)) for item in value if item)
    if kind == FacetKind.DISEASE:
        return ", ".join(DISEASE_LABELS.get(code, code) for code in value) if value else "none"
    return str(value)


# A criterion's heading that only names its section ("Inclusion Criteria:") says nothing
# the section title does not.
_SECTION_HEADING = re.compile(r"\s*(key\s+)?(inclusion|exclusion)(\s+criteria)?\s*:?\s*", re.I)


def _criteria_sections(
    criteria: list[Criterion],
) -> list[tuple[str, list[tuple[str, Criterion]]]]:
    """Criteria by section, each with the sub-heading to show above it (when it changes)."""
    sections = []
    for value, label in Section.choices:
        rows: list[tuple[str, Criterion]] = []
        previous = ""
        for criterion in (c for c in criteria if c.section == value):
            heading = criterion.heading.strip()
            if _SECTION_HEADING.fullmatch(heading):
                heading = ""
            rows.append((heading if heading != previous else "", criterion))
            previous = heading
        if rows:
            sections.append((label, rows))
    return sections


@dataclass(slots=True)
class FacetPanel:
    """One facet on the trial change page, with the form to curate it."""

    kind: str
    label: str
    facet: Facet | None
    display: str
    extracted_display: str | None  # what extraction reads now, when it differs
    value_form: FacetValueForm | None
    note_form: FacetNoteForm
    history_url: str | None


# --- Trials -------------------------------------------------------------------------------


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = (
        "registry_id",
        "brief_title",
        "overall_status",
        "last_update_posted",
        "facets_to_review",
        "removed_at",
    )
    list_filter = (
        ReviewStateFilter,
        CytokineFamilyFilter,
        DiseaseFilter,
        "overall_status",
        "registry",
        "study_type",
    )
    search_fields = ("registry_id", "brief_title", "conditions__name")
    date_hierarchy = "last_update_posted"
    inlines = [ConditionInline, InterventionInline, LocationInline, VersionInline]
    actions = ["reextract_facets", "mark_reviewed"]
    show_facets = admin.ShowFacets.ALLOW

    # Everything on a trial comes from the registry: nobody edits it here.
    def get_readonly_fields(self, request: HttpRequest, obj: Trial | None = None) -> list[str]:
        return [f.name for f in Trial._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Trial | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Trial | None = None) -> bool:
        return request.user.is_superuser

    def has_curate_permission(self, request: HttpRequest) -> bool:
        return _can_curate(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trial]:
        return trials_with_facet_count(super().get_queryset(request))

    @admin.display(description="to review", ordering="facets_to_review")
    def facets_to_review(self, trial: Trial) -> int:
        return getattr(trial, "facets_to_review", 0)

    # Actions: each calls a curation service.

    @admin.action(description="Re-extract facets of the selected trials", permissions=["curate"])
    def reextract_facets(self, request: HttpRequest, queryset: QuerySet[Trial]) -> None:
        count = trial_facets_reextract(trial_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            f"Re-extracted the facets of {count} trial(s); curated facets kept their values.",
            messages.SUCCESS,
        )

    @admin.action(
        description="Mark the selected trials reviewed (confirm facets needing review)",
        permissions=["curate"],
    )
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Trial]) -> None:
        count = trials_mark_reviewed(trials=list(queryset), user=request.user)
        self.message_user(request, f"Confirmed {count} facet(s).", messages.SUCCESS)

    # URLs: the review queue sits before the object URLs, which would swallow its path.

    def get_urls(self) -> list[URLPattern]:
        queue = path(
            "review-queue/",
            self.admin_site.admin_view(self.review_queue_view),
            name="trials_trial_review_queue",
        )
        return [queue, *super().get_urls()]

    def review_queue_view(self, request: HttpRequest) -> HttpResponse:
        queue = ReviewQueueAdmin(self.model, self.admin_site)
        return queue.changelist_view(
            request,
            extra_context={
                "title": "Review queue",
                "subtitle": "Trials whose facets need a curator",
                "queue_counts": review_queue_counts(),
                # A work list: give the table the width the app sidebar would take.
                "is_nav_sidebar_enabled": False,
            },
        )

    # The change page: criteria beside facets, with the curation forms.

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        trial = self.get_object(request, unquote(object_id))
        if trial is None or not self.has_view_permission(request, trial):
            return super().change_view(request, object_id, form_url, extra_context)
        bound: tuple[str, FacetNoteForm] | None = None
        if request.method == "POST" and "_curate" in request.POST:
            if not self.has_curate_permission(request):
                raise PermissionDenied
            response, bound = self._curate(request, trial)
            if response is not None:
                return response
            # Show the page again with the form's errors. The trial itself is read-only,
            # so the admin's own view must not take this POST for an edit of it.
            request.method = "GET"
        context = {**(extra_context or {}), **self._curation_context(request, trial, bound)}
        return super().change_view(request, object_id, form_url, context)

    def _curate(
        self, request: HttpRequest, trial: Trial
    ) -> tuple[HttpResponse | None, tuple[str, FacetNoteForm] | None]:
        kind = request.POST.get("_curate", "")
        action = request.POST.get("_action", "")
        if kind not in FacetKind.values or action not in {"curate", "confirm", "wrong"}:
            return HttpResponseBadRequest("Unknown facet or curation step."), None
        facet = trial.facets.filter(kind=kind).first()
        label = FacetKind(kind).label
        if action == "curate":
            if kind not in VALUE_FORMS:
                return HttpResponseBadRequest(f"{label} cannot be set by hand."), None
            form: FacetNoteForm = VALUE_FORMS[kind](
                request.POST, prefix=kind, trial=trial, facet=facet
            )
        else:
            if facet is None:
                return HttpResponseBadRequest(f"{label} has no value to judge yet."), None
            form = FacetNoteForm(request.POST, prefix=kind)
        if not form.is_valid():
            return None, (kind, form)
        note = form.cleaned_data["note"]
        try:
            if isinstance(form, FacetValueForm):
                evidence = form.evidence_sources() if form.evidence_changed() else None
                facet_curate(
                    trial=trial,
                    kind=kind,
                    value=form.value(),
                    user=request.user,
                    note=note,
                    evidence=evidence,
                )
                done = "saved"
            elif action == "confirm":
                assert facet is not None
                facet_confirm(facet=facet, user=request.user, note=note)
                done = "confirmed"
            else:
                assert facet is not None
                facet_mark_wrong(facet=facet, user=request.user, note=note)
                done = "marked wrong"
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return None, (kind, form)
        self.message_user(request, f"{label} {done}.", messages.SUCCESS)
        url = reverse("admin:trials_trial_change", args=[trial.pk])
        return HttpResponseRedirect(f"{url}#facet-{kind}"), None

    def _curation_context(
        self,
        request: HttpRequest,
        trial: Trial,
        bound: tuple[str, FacetNoteForm] | None,
    ) -> dict[str, Any]:
        can_curate = self.has_curate_permission(request)
        facets = {facet.kind: facet for facet in trial.facets.select_related("curator")}
        panels = []
        for kind, label in FacetKind.choices:
            facet = facets.get(kind)
            value_form = note_form = None
            if bound is not None and bound[0] == kind:
                if isinstance(bound[1], FacetValueForm):
                    value_form = bound[1]
                else:
                    note_form = bound[1]
            if can_curate and value_form is None and kind in VALUE_FORMS:
                value_form = VALUE_FORMS[kind](prefix=kind, trial=trial, facet=facet)
            extracted = None
            if facet is not None and facet.extracted_value != facet.value:
                extracted = facet_value_display(kind, facet.extracted_value)
            panels.append(
                FacetPanel(
                    kind=kind,
                    label=label,
                    facet=facet,
                    display=facet_value_display(kind, facet.value) if facet else "not extracted",
                    extracted_display=extracted,
                    value_form=value_form,
                    note_form=note_form or FacetNoteForm(prefix=kind),
                    history_url=(
                        reverse("admin:trials_facet_history", args=[facet.pk]) if facet else None
                    ),
                )
            )
        diffs: list[CriteriaDiff] = trial_criteria_diffs(trial=trial)
        return {
            "can_curate": can_curate,
            "facet_panels": panels,
            "criteria_sections": _criteria_sections(list(trial.criteria.all())),
            "criteria_diffs": [
                (diff, ", ".join(FacetKind(k).label for k in diff.kinds)) for diff in diffs
            ],
            "facets_to_review": sum(
                1 for f in facets.values() if f.review == ReviewStatus.NEEDS_REVIEW
            ),
            "correctable_kinds": CORRECTABLE_KINDS,
            "review_queue_url": reverse("admin:trials_trial_review_queue"),
        }


class ReviewQueueAdmin(TrialAdmin):
    """The review queue: the Trial changelist narrowed to trials waiting for a curator.

    Not registered on its own: TrialAdmin serves it at trials/trial/review-queue/, and its
    rows open the ordinary trial change page.
    """

    # Few, narrow columns: the queue must fit beside the admin's sidebars at 1280 pixels.
    list_display = ("registry_id", "title", "registry_update", "waiting")
    list_filter = (QueueReviewStateFilter, CytokineFamilyFilter, DiseaseFilter, "overall_status")
    ordering = (F("last_update_posted").desc(nulls_last=True), "registry_id")
    date_hierarchy = None
    show_facets = admin.ShowFacets.ALWAYS
    change_list_template = "admin/trials/trial/review_queue.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Trial]:
        return (
            super().get_queryset(request).prefetch_related("interventions").order_by(*self.ordering)
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="title", ordering="brief_title")
    def title(self, trial: Trial) -> str:
        families = sorted(
            {i.cytokine_family for i in trial.interventions.all() if i.cytokine_family}
        )
        title = Truncator(trial.brief_title).chars(70)
        return f"{title} · {', '.join(families)}" if families else title

    @admin.display(description="registry update", ordering="last_update_posted")
    def registry_update(self, trial: Trial) -> Any:
        return trial.last_update_posted

    @admin.display(description="waiting for review", ordering="-facets_to_review")
    def waiting(self, trial: Trial) -> str:
        total = getattr(trial, "facets_to_review", 0)
        parts = []
        if low := getattr(trial, "low_confidence", 0):
            parts.append(f"{low} low-confidence")
        if changed := getattr(trial, "text_changed", 0):
            parts.append(f"{changed} text changed")
        facets = "facet" if total == 1 else "facets"
        return f"{total} {facets}: {', '.join(parts)}" if parts else f"{total} {facets}"


# --- Facets -------------------------------------------------------------------------------


@admin.register(Facet)
class FacetAdmin(SimpleHistoryAdmin):
    """Facets and their history, read-only: curators change them on the trial page."""

    list_display = ("trial", "kind", "value", "provenance", "review", "rule", "curator")
    list_filter = ("kind", "provenance", "review")
    search_fields = ("trial__registry_id",)
    list_select_related = ("trial", "curator")
    history_list_display = ("value", "provenance", "review", "note")

    def get_readonly_fields(self, request: HttpRequest, obj: Facet | None = None) -> list[str]:
        return [f.name for f in Facet._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Facet | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Facet | None = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Facet | None = None) -> bool:
        return True

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # A revert would save the facet without the curation service: look, never post.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Sync runs ----------------------------------------------------------------------------


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

    def get_urls(self) -> list[URLPattern]:
        run_now = path(
            "run-now/",
            self.admin_site.admin_view(self.run_now_view),
            name="trials_syncrun_run_now",
        )
        return [run_now, *super().get_urls()]

    def run_now_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(RUN_SYNC_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            task_id = sync_enqueue()
        except Exception as exc:  # the broker is down: say so instead of a 500
            self.message_user(request, f"The sync could not be queued: {exc}", messages.ERROR)
        else:
            self.message_user(
                request,
                f"A registry sync was queued (task {task_id}); its run appears here once a "
                "worker starts it.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:trials_syncrun_changelist"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        can_run_sync = request.user.has_perm(RUN_SYNC_PERMISSION)
        context = {**(extra_context or {}), "can_run_sync": can_run_sync}
        return super().changelist_view(request, context)
