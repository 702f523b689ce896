"""Serializers: output shapes of contract section 5, and the screen request's schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trials.models import Condition, Facet, Intervention, Location, Trial, TrialVersion
from trials.screening.answers import (
    MAX_AGE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_PRIOR_LINES,
    MAX_RADIUS_KM,
    NONE_OF_THESE,
    ORDERINGS,
    SEXES,
    AnswersInvalid,
    answers_from_data,
)
from trials.screening.vocabulary import (
    CYTOKINE_CLASSES,
    CYTOKINE_FAMILIES,
    PHASES,
    STAGES,
    STATUSES,
    TREATMENT_CLASSES,
)

# --- Trials -------------------------------------------------------------------------


class AgentSerializer(serializers.Serializer[Intervention]):
    """{"name", "family", "class"}: family and class are empty when not a cytokine."""

    name = serializers.CharField()
    family = serializers.CharField(source="cytokine_family")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # "class" is a Python keyword, so it cannot be declared as an attribute.
        fields["class"] = serializers.CharField(
            source="cytokine_class", help_text="interleukin, interferon, or empty."
        )
        return fields


class ConditionSerializer(serializers.ModelSerializer[Condition]):
    class Meta:
        model = Condition
        fields = ("name", "disease")


class CriterionQuoteSerializer(serializers.Serializer[dict[str, str]]):
    criterion = serializers.CharField(default="")
    section = serializers.CharField(
        default="", help_text="inclusion, exclusion, other or condition."
    )


class TrialFacetSerializer(serializers.ModelSerializer[Facet]):
    value = serializers.JSONField(allow_null=True)
    evidence = CriterionQuoteSerializer(many=True)

    class Meta:
        model = Facet
        fields = ("value", "evidence", "provenance", "rule", "review")


class StagesFacetSerializer(TrialFacetSerializer):
    value = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(),
        help_text="Stages the listing admits (I, II, III, IV); empty: no limit.",
    )


class ResectabilityFacetSerializer(TrialFacetSerializer):
    value = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="resectable, unresectable, or null: no limit."
    )


class PriorTreatmentValueSerializer(serializers.Serializer[dict[str, Any]]):
    required = serializers.ListField(
        child=serializers.CharField(), help_text="Treatment classes the listing asks for."
    )
    excluded = serializers.ListField(
        child=serializers.CharField(), help_text="Treatment classes the listing rules out."
    )
    min_prior_lines = serializers.IntegerField(allow_null=True)
    max_prior_lines = serializers.IntegerField(allow_null=True)


class PriorTreatmentFacetSerializer(TrialFacetSerializer):
    value = PriorTreatmentValueSerializer()  # type: ignore[assignment]


class WashoutNoteSerializer(serializers.Serializer[dict[str, str]]):
    text = serializers.CharField()
    section = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["class"] = serializers.CharField(help_text="The treatment class it limits.")
        return fields


class WashoutFacetSerializer(TrialFacetSerializer):
    value = WashoutNoteSerializer(  # type: ignore[assignment]
        many=True, help_text="Time limits on recent treatment: notes, never used to exclude."
    )


class DiseaseFacetSerializer(TrialFacetSerializer):
    value = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="Disease codes read from the conditions."
    )


class TrialFacetsSerializer(serializers.Serializer[dict[str, Facet]]):
    """The trial's facets by kind; a kind with no row is left out."""

    stages = StagesFacetSerializer(required=False)
    resectability = ResectabilityFacetSerializer(required=False)
    prior_treatment = PriorTreatmentFacetSerializer(required=False)
    washout = WashoutFacetSerializer(required=False)
    disease = DiseaseFacetSerializer(required=False)

    def to_representation(self, instance: dict[str, Facet]) -> dict[str, Any]:
        # The stored value passes through as is; the typed fields above document it.
        return {
            name: TrialFacetSerializer(instance[name]).data
            for name in self.fields
            if name in instance
        }


class VersionSerializer(serializers.ModelSerializer[TrialVersion]):
    class Meta:
        model = TrialVersion
        fields = ("last_update_posted", "fetched_at", "content_hash")


class ContactSerializer(serializers.Serializer[dict[str, str]]):
    name = serializers.CharField(required=False)
    role = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    email = serializers.CharField(required=False)


class LocationSerializer(serializers.ModelSerializer[Location]):
    contacts = ContactSerializer(many=True)

    class Meta:
        model = Location
        fields = (
            "facility",
            "city",
            "state",
            "zip",
            "country",
            "status",
            "latitude",
            "longitude",
            "contacts",
        )


class TrialListSerializer(serializers.ModelSerializer[Trial]):
    nct_id = serializers.CharField(source="registry_id")
    title = serializers.CharField(source="brief_title")
    status = serializers.CharField(source="overall_status")
    phases = serializers.ListField(child=serializers.CharField())
    agents = serializers.SerializerMethodField()
    conditions = ConditionSerializer(many=True)
    url = serializers.URLField(source="registry_url", help_text="The listing on the registry.")

    class Meta:
        model = Trial
        fields = (
            "nct_id",
            "title",
            "status",
            "phases",
            "last_update_posted",
            "agents",
            "conditions",
            "url",
        )

    @extend_schema_field(AgentSerializer(many=True))
    def get_agents(self, trial: Trial) -> list[dict[str, Any]]:
        """Every intervention; family and class are empty for non-cytokine ones."""
        return AgentSerializer(trial.interventions.all(), many=True).data


class TrialDetailSerializer(TrialListSerializer):
    facets = serializers.SerializerMethodField()
    versions = VersionSerializer(many=True)
    locations = LocationSerializer(many=True)
    minimum_age = serializers.CharField(source="minimum_age_text")
    maximum_age = serializers.CharField(source="maximum_age_text")

    class Meta(TrialListSerializer.Meta):
        fields = (
            *TrialListSerializer.Meta.fields,
            "official_title",
            "study_type",
            "lead_sponsor",
            "brief_summary",
            "start_date",
            "completion_date",
            "enrollment",
            "minimum_age",
            "maximum_age",
            "sex",
            "healthy_volunteers",
            "eligibility_criteria",
            "removed_at",
            "locations",
            "facets",
            "versions",
        )

    @extend_schema_field(TrialFacetsSerializer)
    def get_facets(self, trial: Trial) -> dict[str, Any]:
        return TrialFacetsSerializer({f.kind: f for f in trial.facets.all()}).data


# --- Screening ----------------------------------------------------------------------


class NearSerializer(serializers.Serializer[dict[str, float]]):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    radius_km = serializers.FloatField(min_value=1, max_value=MAX_RADIUS_KM, default=100)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "enum": ["any"]},
            {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}},
        ],
        "description": 'Registry statuses, or "any". Default: RECRUITING, NOT_YET_RECRUITING.',
    }
)
class StatusField(serializers.JSONField):
    pass


class ScreenRequestSerializer(serializers.Serializer[Any]):
    """The answers of contract section 3 and the plain filters. Validation is
    trials.screening.answers.answers_from_data (the same as the web form's); the fields
    below document it. `validated_data` is an Answers."""

    condition = serializers.CharField(required=False, help_text="Free text or a disease code.")
    stage = serializers.ChoiceField(choices=(*STAGES, "unknown"), required=False, allow_null=True)
    resectable = serializers.BooleanField(
        required=False, allow_null=True, help_text="null or left out: unknown."
    )
    prior_treatments = serializers.ListField(
        child=serializers.ChoiceField(choices=(*TREATMENT_CLASSES, NONE_OF_THESE)),
        required=False,
        allow_null=True,
        help_text='Classes ever had. Left out or null: not answered; [] or ["none"]: none.',
    )
    prior_lines = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_PRIOR_LINES
    )
    age = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_AGE, help_text="Whole years."
    )
    sex = serializers.ChoiceField(choices=(*SEXES, "unknown"), required=False, allow_null=True)
    cytokine = serializers.ListField(
        child=serializers.ChoiceField(choices=(*CYTOKINE_CLASSES, *CYTOKINE_FAMILIES)),
        required=False,
        help_text="Families or classes (interleukin, interferon); any of them.",
    )
    status = StatusField(required=False)
    phase = serializers.ListField(child=serializers.ChoiceField(choices=PHASES), required=False)
    country = serializers.CharField(required=False)
    near = NearSerializer(required=False, allow_null=True)
    include_conflicts = serializers.BooleanField(
        required=False, default=False, help_text="Default false: trials in conflict are left out."
    )
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="status")
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=20
    )

    def to_internal_value(self, data: Any) -> Any:
        try:
            return answers_from_data(data)
        except AnswersInvalid as exc:
            raise serializers.ValidationError(exc.errors) from None


class ReasonSerializer(serializers.Serializer[dict[str, str]]):
    facet = serializers.CharField()
    outcome = serializers.ChoiceField(choices=("meets", "fails", "unknown"))
    criterion = serializers.CharField()
    section = serializers.CharField()


class ScreenedTrialSerializer(serializers.Serializer[dict[str, Any]]):
    nct_id = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    verdict = serializers.ChoiceField(choices=("compatible", "unclear", "conflict"))
    reasons = ReasonSerializer(many=True)


class ScreenResponseSerializer(serializers.Serializer[dict[str, Any]]):
    results = ScreenedTrialSerializer(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    disclaimer = serializers.CharField()


# --- Vocabulary ---------------------------------------------------------------------


class CodeLabelSerializer(serializers.Serializer[dict[str, str]]):
    code = serializers.CharField()
    label = serializers.CharField()


class TreatmentClassInfoSerializer(CodeLabelSerializer):
    examples = serializers.CharField()
    parent = serializers.CharField(allow_null=True)


class CytokineFamilyInfoSerializer(CodeLabelSerializer):
    cytokine_class = serializers.CharField()


class VocabularySerializer(serializers.Serializer[dict[str, Any]]):
    stages = CodeLabelSerializer(many=True)
    treatment_classes = TreatmentClassInfoSerializer(many=True)
    cytokine_classes = CodeLabelSerializer(many=True)
    cytokine_families = CytokineFamilyInfoSerializer(many=True)
    diseases = CodeLabelSerializer(many=True)
    statuses = CodeLabelSerializer(many=True)
    phases = CodeLabelSerializer(many=True)
    orderings = CodeLabelSerializer(many=True)
