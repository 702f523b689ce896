"""The search form: the answers' names (contract section 5), plain words, "not sure"
everywhere. Validation is trials.screening.answers.answers_from_data, as for the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import Jinja2

from trials.screening.answers import (
    DEFAULT_PAGE_SIZE,
    MAX_AGE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_PRIOR_LINES,
    MAX_RADIUS_KM,
    NONE_OF_THESE,
    ORDERING_LABELS,
    Answers,
    AnswersInvalid,
    answers_from_data,
)
from trials.screening.vocabulary import (
    CYTOKINE_CLASS_LABELS,
    CYTOKINE_FAMILY_LABELS,
    PHASE_LABELS,
    STAGES,
    STATUS_LABELS,
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASSES,
)

NOT_SURE = "unknown"

STAGE_CHOICES = [(NOT_SURE, "Not sure"), *((s, f"Stage {s}") for s in STAGES)]
RESECTABLE_CHOICES = [
    (NOT_SURE, "Not sure"),
    ("true", "Yes: it can be, or has been, removed completely by surgery"),
    ("false", "No: it cannot be removed by surgery (unresectable)"),
]
SEX_CHOICES = [
    (NOT_SURE, "Not sure, or I'd rather not say"),
    ("female", "Female"),
    ("male", "Male"),
]
PRIOR_CHOICES = [
    *(
        (cls, f"{TREATMENT_CLASS_LABELS[cls][0]} (for example {TREATMENT_CLASS_LABELS[cls][1]})")
        for cls in TREATMENT_CLASSES
    ),
    (NONE_OF_THESE, "None: I have not had any treatment for this cancer"),
]
CYTOKINE_CHOICES = [*CYTOKINE_CLASS_LABELS.items(), *CYTOKINE_FAMILY_LABELS.items()]
DEFAULT_STATUS = ""
STATUS_CHOICES = [
    (DEFAULT_STATUS, "Recruiting or not yet recruiting"),
    ("any", "Any status"),
    *STATUS_LABELS.items(),
]

# Form fields that are not answers_from_data keys as they stand.
_NEAR_FIELDS = ("near_lat", "near_lon", "near_radius_km")


class SearchForm(forms.Form):
    default_renderer = Jinja2()
    condition = forms.CharField(
        label="Type of cancer",
        required=False,
        max_length=200,
        help_text="For example melanoma or kidney cancer. Leave empty to see every cancer type.",
        widget=forms.TextInput(attrs={"list": "disease-list", "autocomplete": "off"}),
    )
    stage = forms.ChoiceField(
        label="Stage",
        choices=STAGE_CHOICES,
        initial=NOT_SURE,
        required=False,
        widget=forms.RadioSelect,
        help_text=(
            "Stage is on your pathology or staging report; choose 'not sure' if you don't know."
        ),
    )
    resectable = forms.ChoiceField(
        label="Can the cancer be removed by surgery?",
        choices=RESECTABLE_CHOICES,
        initial=NOT_SURE,
        required=False,
        widget=forms.RadioSelect,
        help_text="Your cancer team can tell you. Choose 'not sure' if you don't know.",
    )
    prior_treatments = forms.MultipleChoiceField(
        label="Treatments you have ever had for this cancer",
        choices=PRIOR_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Tick each kind you have had. A drug treatment not named here (hormone therapy, "
            "for example) counts as 'any systemic anticancer therapy'. Leave every box empty "
            "if you are not sure; 'None' tells the screener you have had no treatment."
        ),
    )
    prior_lines = forms.IntegerField(
        label="Number of earlier drug treatments for advanced or metastatic cancer",
        required=False,
        min_value=0,
        max_value=MAX_PRIOR_LINES,
        help_text=(
            "Each different drug regimen counts once (a 'line' of treatment). "
            "Leave empty if you are not sure."
        ),
    )
    age = forms.IntegerField(
        label="Age in years",
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        help_text="Leave empty if you'd rather not say.",
    )
    sex = forms.ChoiceField(
        label="Sex",
        choices=SEX_CHOICES,
        initial=NOT_SURE,
        required=False,
        widget=forms.RadioSelect,
        help_text="Some listings are limited to one sex.",
    )
    cytokine = forms.MultipleChoiceField(
        label="Cytokine therapy",
        choices=CYTOKINE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for every interleukin and interferon trial.",
    )
    status = forms.ChoiceField(
        label="Recruiting status", choices=STATUS_CHOICES, required=False, initial=DEFAULT_STATUS
    )
    phase = forms.MultipleChoiceField(
        label="Phase",
        choices=list(PHASE_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for every phase.",
    )
    country = forms.CharField(
        label="Country of a trial site",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "country-list", "autocomplete": "off"}),
    )
    near_lat = forms.FloatField(label="Latitude", required=False, min_value=-90, max_value=90)
    near_lon = forms.FloatField(label="Longitude", required=False, min_value=-180, max_value=180)
    near_radius_km = forms.FloatField(
        label="Within (km)", required=False, min_value=1, max_value=MAX_RADIUS_KM, initial=100
    )
    include_conflicts = forms.BooleanField(
        label="Also show trials where a listed criterion conflicts with my answers",
        required=False,
    )
    ordering = forms.ChoiceField(
        label="Order results by",
        choices=list(ORDERING_LABELS.items()),
        initial="status",
        required=False,
    )
    page = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput
    )
    page_size = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, widget=forms.HiddenInput
    )

    answers: Answers | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.answers = answers_from_data(self._as_data(cleaned))
        except AnswersInvalid as exc:
            for name, messages in exc.errors.items():
                target = "near_lat" if name == "near" else name
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        return cleaned

    @staticmethod
    def _as_data(cleaned: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            key: cleaned.get(key)
            for key in ("condition", "stage", "resectable", "prior_lines", "age", "sex")
        }
        # No box ticked: not answered (None); "none" ticked: none at all.
        data["prior_treatments"] = cleaned.get("prior_treatments") or None
        data["cytokine"] = cleaned.get("cytokine") or []
        data["phase"] = cleaned.get("phase") or []
        data["status"] = cleaned.get("status") or None
        data["country"] = cleaned.get("country") or ""
        data["include_conflicts"] = bool(cleaned.get("include_conflicts"))
        data["ordering"] = cleaned.get("ordering") or "status"
        data["page"] = cleaned.get("page") or 1
        data["page_size"] = cleaned.get("page_size") or DEFAULT_PAGE_SIZE
        lat, lon, radius = (cleaned.get(name) for name in _NEAR_FIELDS)
        if lat is not None or lon is not None:
            data["near"] = {"lat": lat, "lon": lon, "radius_km": radius}
        return data

    def hidden_fields_data(self, *, page: int | None = None) -> list[tuple[str, str]]:
        """The submitted answers as (name, value) pairs, to re-post them (next page, CSV,
        a trial's page) without putting them in a URL."""
        pairs: list[tuple[str, str]] = []
        for name in self.fields:
            if name == "page":
                continue
            value = self.data.getlist(name) if hasattr(self.data, "getlist") else []
            pairs.extend((name, str(v)) for v in value if str(v) != "")
        if page is not None:
            pairs.append(("page", str(page)))
        return pairs
