"""Curation: people confirm, correct, add or reject the facets extraction read.

Every curator write goes through here (admin forms and actions, the PATCH API). A curated
facet records who, when, why, and the hash of the criteria text it was judged against;
`trial_facets_refresh` never overwrites it and sends it back for review when that text
changes. Each change is a django-simple-history record naming the curator and the note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from trials.criteria import STAGES, TREATMENT_CLASSES
from trials.models import Condition, Criterion, Facet, FacetKind, Provenance, ReviewStatus, Trial
from trials.services.facets import criteria_text_hash, trial_facets_refresh
from trials.services.profiles import trial_screening_profile_refresh

# Facet kinds a curator can set a value for (the contract's screening facets). The other
# kinds (washout notes, disease codes) can be confirmed or marked wrong, not rewritten.
CORRECTABLE_KINDS: tuple[str, ...] = (
    FacetKind.STAGES,
    FacetKind.RESECTABILITY,
    FacetKind.PRIOR_TREATMENT,
)
RESECTABILITY_VALUES: tuple[str, ...] = ("resectable", "unresectable")
PRIOR_TREATMENT_KEYS: tuple[str, ...] = (
    "required",
    "excluded",
    "min_prior_lines",
    "max_prior_lines",
)
EMPTY_PRIOR_TREATMENT: dict[str, Any] = {
    "required": [],
    "excluded": [],
    "min_prior_lines": None,
    "max_prior_lines": None,
}


# --- Vocabulary -------------------------------------------------------------------------


def _class_list(value: Any, *, key: str, errors: list[str]) -> list[str]:
    if not isinstance(value, list):
        errors.append(f"{key}: expected a list of treatment classes.")
        return []
    unknown = [item for item in value if item not in TREATMENT_CLASSES]
    if unknown:
        errors.append(
            f"{key}: {', '.join(map(repr, unknown))} not in the treatment classes "
            f"({', '.join(TREATMENT_CLASSES)})."
        )
    return [c for c in TREATMENT_CLASSES if c in value]


def _line_limit(value: Any, *, key: str, errors: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(f"{key}: expected a whole number of 0 or more, or null.")
        return None
    return value


def facet_value_clean(*, kind: str, value: Any) -> Any:
    """The value in its stored form, or ValidationError({kind: [messages]}).

    stages: a subset of I-IV (empty: no limit), in stage order. resectability:
    "resectable", "unresectable" or None (no limit; "" and "none" are read as None).
    prior_treatment: {"required", "excluded": class lists; "min_prior_lines",
    "max_prior_lines": whole numbers >= 0 or None}, every key present.
    """
    errors: list[str] = []
    cleaned: Any = None
    if kind == FacetKind.STAGES:
        if not isinstance(value, list):
            errors.append(f"Expected a list of stages from {', '.join(STAGES)}.")
        else:
            unknown = [item for item in value if item not in STAGES]
            if unknown:
                errors.append(
                    f"{', '.join(map(repr, unknown))} not a stage; use {', '.join(STAGES)}."
                )
            cleaned = [stage for stage in STAGES if stage in value]
    elif kind == FacetKind.RESECTABILITY:
        if value in (None, "", "none"):
            cleaned = None
        elif value in RESECTABILITY_VALUES:
            cleaned = value
        else:
            errors.append(
                f"{value!r} is not a resectability; use resectable, unresectable or null."
            )
    elif kind == FacetKind.PRIOR_TREATMENT:
        if not isinstance(value, Mapping):
            errors.append(f"Expected an object with {', '.join(PRIOR_TREATMENT_KEYS)}.")
        else:
            unknown_keys = sorted(set(value) - set(PRIOR_TREATMENT_KEYS))
            if unknown_keys:
                errors.append(
                    f"unknown key(s) {', '.join(map(repr, unknown_keys))}; "
                    f"use {', '.join(PRIOR_TREATMENT_KEYS)}."
                )
            required = _class_list(value.get("required", []), key="required", errors=errors)
            excluded = _class_list(value.get("excluded", []), key="excluded", errors=errors)
            both = [c for c in required if c in excluded]
            if both:
                errors.append(f"{', '.join(both)} cannot be both required and excluded.")
            low = _line_limit(value.get("min_prior_lines"), key="min_prior_lines", errors=errors)
            high = _line_limit(value.get("max_prior_lines"), key="max_prior_lines", errors=errors)
            if low is not None and high is not None and low > high:
                errors.append("min_prior_lines cannot be greater than max_prior_lines.")
            cleaned = {
                "required": required,
                "excluded": excluded,
                "min_prior_lines": low,
                "max_prior_lines": high,
            }
    else:
        allowed = ", ".join(CORRECTABLE_KINDS)
        raise ValidationError({kind: [f"{kind!r} cannot be set by hand; curate {allowed}."]})
    if errors:
        raise ValidationError({kind: errors})
    return cleaned


def prior_treatment_merge(*, current: Any, patch: Mapping[str, Any]) -> dict[str, Any]:
    """A partial prior-treatment value laid over the current one (PATCH semantics)."""
    base = dict(EMPTY_PRIOR_TREATMENT)
    if isinstance(current, Mapping):
        base.update({k: v for k, v in current.items() if k in PRIOR_TREATMENT_KEYS})
    base.update(patch)
    return base


# --- Writes -----------------------------------------------------------------------------


def _profile_refresh(trial: Trial) -> None:
    """Fold the facets into the trial's screening profile, so search sees the change."""
    trial_screening_profile_refresh(trial=trial)


def _locked_facet(*, trial: Trial, kind: str) -> Facet:
    facet = Facet.objects.select_for_update().filter(trial=trial, kind=kind).first()
    return facet if facet is not None else Facet(trial=trial, kind=kind)


def _record(facet: Facet, *, user: AbstractBaseUser, note: str, action: str) -> Facet:
    """Stamp the curator's judgement on the facet and save it with a history record."""
    facet.provenance = Provenance.CURATED
    facet.curator = user  # type: ignore[assignment]
    facet.curated_at = timezone.now()
    facet.note = note.strip()
    facet.criteria_hash = criteria_text_hash(facet.trial.eligibility_criteria)
    # simple-history takes the user from the instance first: right for the API's basic
    # auth and for calls outside a request, where its middleware has no user to give.
    facet._history_user = user  # type: ignore[attr-defined]
    facet._change_reason = f"{action}: {facet.note}" if facet.note else action  # type: ignore[attr-defined]
    facet.save()
    return facet


def _evidence_from(sources: Iterable[Criterion | Condition]) -> list[dict[str, str]]:
    """Criteria quote their text and section; condition names, as extraction quotes them."""
    return [
        {"criterion": s.text, "section": s.section}
        if isinstance(s, Criterion)
        else {"criterion": s.name, "section": "condition"}
        for s in sources
    ]


@transaction.atomic
def facet_curate(
    *,
    trial: Trial,
    kind: str,
    value: Any,
    user: AbstractBaseUser,
    note: str = "",
    evidence: Sequence[Criterion | Condition] | None = None,
    refresh_profile: bool = True,
) -> Facet:
    """Set a facet's value by hand (a correction, or a facet extraction missed).

    Raises ValidationError({kind: [...]}) for a value outside the contract's vocabulary.
    `evidence`: the trial's criteria (and condition names) the value rests on, replacing
    what was quoted so far; None keeps the current evidence.
    """
    cleaned = facet_value_clean(kind=kind, value=value)
    if evidence is not None:
        foreign = [c for c in evidence if c.trial_id != trial.pk]
        if foreign:
            raise ValidationError(
                {"evidence": ["Evidence must be criteria or conditions of this trial."]}
            )
    facet = _locked_facet(trial=trial, kind=kind)
    facet.trial = trial
    changed = facet._state.adding or facet.value != cleaned
    facet.value = cleaned
    if evidence is not None:
        facet.evidence = _evidence_from(evidence)
    if changed and cleaned != facet.extracted_value:
        facet.rule = ""  # no rule produced this value
    facet.review = ReviewStatus.CONFIRMED
    action = "added" if facet._state.adding else ("corrected" if changed else "confirmed")
    _record(facet, user=user, note=note, action=action)
    if refresh_profile:
        _profile_refresh(trial)
    return facet


@transaction.atomic
def trial_facets_patch(
    *, trial: Trial, values: Mapping[str, Any], user: AbstractBaseUser, note: str = ""
) -> list[Facet]:
    """Curate several facets at once, all or nothing (the PATCH API).

    A partial `prior_treatment` is merged into the current value. Raises ValidationError
    with one entry per facet whose value is outside the vocabulary.
    """
    if not values:
        raise ValidationError({"non_field_errors": ["Give at least one facet to change."]})
    unknown = sorted(set(values) - set(CORRECTABLE_KINDS))
    errors: dict[str, list[str]] = {
        kind: [f"Not a facet that can be set; use {', '.join(CORRECTABLE_KINDS)}."]
        for kind in unknown
    }
    cleaned: dict[str, Any] = {}
    for kind in CORRECTABLE_KINDS:
        if kind not in values:
            continue
        value = values[kind]
        if kind == FacetKind.PRIOR_TREATMENT and isinstance(value, Mapping):
            current = trial.facets.filter(kind=kind).values_list("value", flat=True).first()
            value = prior_treatment_merge(current=current, patch=value)
        try:
            cleaned[kind] = facet_value_clean(kind=kind, value=value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    facets = [
        facet_curate(
            trial=trial, kind=kind, value=value, user=user, note=note, refresh_profile=False
        )
        for kind, value in cleaned.items()
    ]
    _profile_refresh(trial)
    return facets


@transaction.atomic
def facet_confirm(*, facet: Facet, user: AbstractBaseUser, note: str = "") -> Facet:
    """The facet is right as it stands, for the criteria text as it is now."""
    facet = Facet.objects.select_for_update().select_related("trial").get(pk=facet.pk)
    facet.review = ReviewStatus.CONFIRMED
    _record(facet, user=user, note=note, action="confirmed")
    _profile_refresh(facet.trial)
    return facet


@transaction.atomic
def facet_mark_wrong(*, facet: Facet, user: AbstractBaseUser, note: str = "") -> Facet:
    """The facet is wrong and the curator has no better value: screening must not rely on
    it. It stays curated, so a sync does not put the wrong value back unnoticed."""
    facet = Facet.objects.select_for_update().select_related("trial").get(pk=facet.pk)
    facet.review = ReviewStatus.WRONG
    _record(facet, user=user, note=note, action="marked wrong")
    _profile_refresh(facet.trial)
    return facet


@transaction.atomic
def trials_mark_reviewed(*, trials: Iterable[Trial], user: AbstractBaseUser) -> int:
    """Confirm every facet of these trials that waits for review; returns how many."""
    count = 0
    for trial in trials:
        waiting = Facet.objects.select_for_update().filter(
            trial=trial, review=ReviewStatus.NEEDS_REVIEW
        )
        for facet in waiting.select_related("trial"):
            facet.review = ReviewStatus.CONFIRMED
            _record(facet, user=user, note="", action="marked reviewed")
            count += 1
        _profile_refresh(trial)
    return count


def trial_facets_reextract(*, trial_ids: Iterable[int]) -> int:
    """Run extraction again over the stored criteria text (after a rule change).

    Curated facets keep their value; each trial is re-read in its own transaction.
    Returns the number of trials re-read.
    """
    count = 0
    for trial in Trial.objects.filter(pk__in=list(trial_ids)).order_by("pk"):
        trial_facets_refresh(trial=trial)  # atomic; refreshes the screening profile too
        count += 1
    return count
