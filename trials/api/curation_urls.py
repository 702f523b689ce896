"""Curation API routes, included under api/v1/ ahead of the other API routes."""

from django.urls import path

from trials.api.curation import TrialFacetsCurateApi

urlpatterns = [
    path(
        "trials/<str:nct_id>/facets/",
        TrialFacetsCurateApi.as_view(),
        name="trial-facets-curate",
    ),
]
