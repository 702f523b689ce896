"""Criteria extraction: registry text in, dataclasses out. Pure functions, no Django ORM."""

from .conditions import DISEASE_LABELS, DISEASE_PARENTS, normalise_condition, related_diseases
from .cytokines import CytokineMatch, classify_intervention
from .facets import extract_facets
from .model import (
    RULES_VERSION,
    STAGES,
    TREATMENT_CLASS_LABELS,
    TREATMENT_CLASS_PARENTS,
    TREATMENT_CLASSES,
    Evidence,
    ExtractedFacets,
    FacetValue,
)
from .split import CriterionItem, Section, split_criteria

__all__ = [
    "DISEASE_LABELS",
    "DISEASE_PARENTS",
    "RULES_VERSION",
    "STAGES",
    "TREATMENT_CLASSES",
    "TREATMENT_CLASS_LABELS",
    "TREATMENT_CLASS_PARENTS",
    "CriterionItem",
    "CytokineMatch",
    "Evidence",
    "ExtractedFacets",
    "FacetValue",
    "Section",
    "classify_intervention",
    "extract_facets",
    "normalise_condition",
    "related_diseases",
    "split_criteria",
]
