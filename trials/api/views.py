"""API views: thin; they validate, call a selector, and serialize."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from trials import selectors
from trials.api.filters import TrialFilter
from trials.api.serializers import (
    ScreenRequestSerializer,
    ScreenResponseSerializer,
    TrialDetailSerializer,
    TrialListSerializer,
    VocabularySerializer,
)
from trials.api.throttling import api_throttles
from trials.models import CytokineFamily, Trial
from trials.screening.answers import MAX_PAGE_SIZE, ORDERING_LABELS, Answers
from trials.screening.verdicts import DISCLAIMER
from trials.screening.vocabulary import (
    CYTOKINE_CLASS_LABELS,
    CYTOKINE_FAMILY_LABELS,
    DISEASE_LABELS,
    PHASE_LABELS,
    STAGES,
    STATUS_LABELS,
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASS_PARENTS,
)

BAD_REQUEST = OpenApiResponse(description="A message per field that could not be read.")


class PublicAPIMixin:
    """Public, anonymous endpoints: no authentication (so no CSRF check for a signed-in
    curator either), anonymous throttling as configured."""

    authentication_classes: list[Any] = []

    def get_throttles(self) -> list[BaseThrottle]:
        return api_throttles()


class TrialPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


@extend_schema(summary="In-scope trials, narrowed by the plain filters", tags=["trials"])
class TrialListAPIView(PublicAPIMixin, generics.ListAPIView[Trial]):
    serializer_class = TrialListSerializer
    filterset_class = TrialFilter
    pagination_class = TrialPagination

    def get_queryset(self) -> QuerySet[Trial]:
        return selectors.trials_api_list()


@extend_schema(
    summary="One trial with its agents, conditions, facets and versions", tags=["trials"]
)
class TrialDetailAPIView(PublicAPIMixin, generics.RetrieveAPIView[Trial]):
    serializer_class = TrialDetailSerializer
    filter_backends: list[Any] = []

    def get_object(self) -> Trial:
        trial = selectors.trial_detail_get(nct_id=self.kwargs["nct_id"])
        if trial is None:
            raise Http404("No such trial.")
        return trial


class ScreenAPIView(PublicAPIMixin, APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Hold answers against each trial's listed criteria",
        description=(
            "Answers are never stored or logged; the response is sent with "
            "Cache-Control: no-store. " + DISCLAIMER
        ),
        request=ScreenRequestSerializer,
        responses={200: ScreenResponseSerializer, 400: BAD_REQUEST},
        tags=["screening"],
    )
    def post(self, request: Request) -> Response:
        serializer = ScreenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answers: Answers = serializer.validated_data
        # The API shows no sites, conditions or agents: only the verdicts are loaded.
        result = selectors.trials_screen(answers=answers, listing=False)
        payload = {
            "results": [
                {
                    "nct_id": s.trial.registry_id,
                    "title": s.trial.brief_title,
                    "status": s.trial.overall_status,
                    "verdict": s.verdict.verdict,
                    "reasons": [r.as_dict() for r in s.verdict.reasons],
                }
                for s in result.results
            ],
            "count": result.count,
            "page": result.page,
            "pages": result.pages,
            "disclaimer": DISCLAIMER,
        }
        # Already plain data in the documented shape (ScreenResponseSerializer, for the
        # schema); running it through the serializer again cost more than the screen.
        return Response(payload)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        # Errors too: a 400 may echo what was sent.
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class VocabularyAPIView(PublicAPIMixin, APIView):
    @extend_schema(
        summary="Stages, treatment classes, cytokine families and other codes",
        responses=VocabularySerializer,
        tags=["vocabulary"],
    )
    def get(self, request: Request) -> Response:
        def pairs(labels: dict[str, str]) -> list[dict[str, str]]:
            return [{"code": code, "label": label} for code, label in labels.items()]

        data = {
            "stages": [{"code": s, "label": f"Stage {s}"} for s in STAGES],
            "treatment_classes": [
                {
                    "code": code,
                    "label": label,
                    "examples": examples,
                    "parent": TREATMENT_CLASS_PARENTS.get(code),
                }
                for code, (label, examples) in TREATMENT_CLASS_LABELS.items()
            ],
            "cytokine_classes": pairs(CYTOKINE_CLASS_LABELS),
            "cytokine_families": [
                {
                    "code": code,
                    "label": label,
                    "cytokine_class": CytokineFamily.cytokine_class(code),
                }
                for code, label in CYTOKINE_FAMILY_LABELS.items()
            ],
            "diseases": pairs(DISEASE_LABELS),
            "statuses": pairs(STATUS_LABELS),
            "phases": pairs(PHASE_LABELS),
            "orderings": pairs(ORDERING_LABELS),
        }
        return Response(VocabularySerializer(data).data)
