"""GET /api/v1/trials/ filters: the plain filters of contract section 5 (no answers)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from trials import selectors
from trials.models import Trial
from trials.screening.answers import ORDERING_LABELS
from trials.screening.vocabulary import (
    CYTOKINE_CLASS_LABELS,
    CYTOKINE_FAMILY_LABELS,
    DEFAULT_STATUSES,
    PHASE_LABELS,
    STATUS_LABELS,
)

CYTOKINE_CHOICES = [*CYTOKINE_CLASS_LABELS.items(), *CYTOKINE_FAMILY_LABELS.items()]
STATUS_CHOICES = [("any", "Any status"), *STATUS_LABELS.items()]
ORDERING_CHOICES = [(k, v) for k, v in ORDERING_LABELS.items() if k != "distance"]


class TrialFilter(filters.FilterSet):
    """Each filter calls the selector helper `trials_screen` uses, so the list and the
    screen agree on what a filter means. Default status: recruiting, not yet recruiting."""

    cytokine = filters.MultipleChoiceFilter(
        choices=CYTOKINE_CHOICES,
        method="filter_cytokine",
        help_text="Family codes or classes (interleukin, interferon); repeat for several.",
    )
    condition = filters.CharFilter(
        method="filter_condition", help_text="Free text over condition names, or a disease code."
    )
    status = filters.MultipleChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
        help_text='Registry statuses, or "any". Default: RECRUITING and NOT_YET_RECRUITING.',
    )
    phase = filters.MultipleChoiceFilter(choices=list(PHASE_LABELS.items()), method="filter_phase")
    country = filters.CharFilter(method="filter_country", help_text="Country of a site.")
    ordering = filters.ChoiceFilter(
        choices=ORDERING_CHOICES, method="filter_ordering", help_text="Default: status."
    )

    class Meta:
        model = Trial
        fields: list[str] = []

    def filter_cytokine(
        self, queryset: QuerySet[Trial], name: str, value: list[str]
    ) -> QuerySet[Trial]:
        return selectors.trials_filter_cytokine(queryset, cytokine=value)

    def filter_condition(self, queryset: QuerySet[Trial], name: str, value: str) -> QuerySet[Trial]:
        return selectors.trials_filter_condition(queryset, condition=value)

    def filter_status(
        self, queryset: QuerySet[Trial], name: str, value: list[str]
    ) -> QuerySet[Trial]:
        if "any" in value:
            return queryset
        return selectors.trials_filter_status(queryset, status=value)

    def filter_phase(
        self, queryset: QuerySet[Trial], name: str, value: list[str]
    ) -> QuerySet[Trial]:
        return selectors.trials_filter_phase(queryset, phase=value)

    def filter_country(self, queryset: QuerySet[Trial], name: str, value: str) -> QuerySet[Trial]:
        return selectors.trials_filter_country(queryset, country=value)

    def filter_ordering(self, queryset: QuerySet[Trial], name: str, value: str) -> QuerySet[Trial]:
        return selectors.trials_order(queryset, ordering=value)

    def filter_queryset(self, queryset: QuerySet[Trial]) -> QuerySet[Trial]:
        data = self.form.cleaned_data
        if not data.get("status"):
            queryset = selectors.trials_filter_status(queryset, status=DEFAULT_STATUSES)
        if not data.get("ordering"):
            queryset = selectors.trials_order(queryset, ordering="status")
        return super().filter_queryset(queryset)
