"""PATCH /api/v1/trials/{nct_id}/facets/: curators correct facets from tools and scripts.

Plain values in, the trial's facets out (contract section 5). Session auth enforces CSRF;
basic auth is there for tools. The writes are the curation service's, so a value set here
is curated, validated and recorded in the facet's history as one set in the admin is.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trials.api.authentication import HeaderBasicAuthentication
from trials.api.serializers import TrialFacetsSerializer
from trials.criteria import STAGES, TREATMENT_CLASSES
from trials.models import Trial
from trials.services.curation import RESECTABILITY_VALUES, trial_facets_patch

CURATE_PERMISSION = "trials.change_facet"


class CanCurateFacets(BasePermission):
    message = "Curating facets needs the curator permission (trials.change_facet)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.has_perm(CURATE_PERMISSION))


class StrictSerializer(serializers.Serializer):
    """Unknown keys are errors, not silently dropped: a typo must not look like success."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"Unknown field; use {', '.join(self.fields)}."] for key in unknown}
                )
        return super().to_internal_value(data)


# Both class lists use one named component, so the schema names the choice set once.
@extend_schema_field(
    {"type": "string", "enum": list(TREATMENT_CLASSES)}, component_name="TreatmentClass"
)
class TreatmentClassField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TREATMENT_CLASSES, **kwargs)


class PriorTreatmentPatchSerializer(StrictSerializer):
    required = serializers.ListField(child=TreatmentClassField(), required=False)
    excluded = serializers.ListField(child=TreatmentClassField(), required=False)
    min_prior_lines = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    max_prior_lines = serializers.IntegerField(min_value=0, allow_null=True, required=False)


class FacetsPatchSerializer(StrictSerializer):
    stages = serializers.ListField(
        child=serializers.ChoiceField(choices=STAGES),
        required=False,
        help_text="Stages the listing admits; an empty list means no limit on stage.",
    )
    resectability = serializers.ChoiceField(
        choices=RESECTABILITY_VALUES,
        allow_null=True,
        required=False,
        help_text="null means no resectability limit.",
    )
    prior_treatment = PriorTreatmentPatchSerializer(
        required=False, help_text="Keys left out keep their current value."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Why (kept in history)."
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TrialFacetsCurateApi(APIView):
    authentication_classes = [SessionAuthentication, HeaderBasicAuthentication]
    permission_classes = [IsAuthenticated, CanCurateFacets]

    @extend_schema(
        operation_id="trial_facets_curate",
        summary="Curate a trial's facets",
        description=(
            "Curators only. Each facet given becomes curated (by you, now, with the note) and "
            "confirmed; a partial prior_treatment is merged into the current value. All or "
            "nothing: a value outside the vocabulary answers 400 with a message per field."
        ),
        request=FacetsPatchSerializer,
        responses={
            200: TrialFacetsSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Per-field messages: {field: [message, ...]}.",
            ),
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "Correct stage and excluded treatment",
                value={
                    "stages": ["III"],
                    "prior_treatment": {"excluded": ["interleukin"]},
                    "note": "Cohort B admits stage III only",
                },
                request_only=True,
            )
        ],
        tags=["curation"],
    )
    def patch(self, request: Request, nct_id: str) -> Response:
        trial = get_object_or_404(Trial, registry_id=nct_id)
        serializer = FacetsPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        note = data.pop("note", "")
        try:
            trial_facets_patch(trial=trial, values=data, user=request.user, note=note)
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        # The same representation as the trial detail's `facets` (contract section 5).
        return Response(TrialFacetsSerializer({f.kind: f for f in trial.facets.all()}).data)
