"""The trial data model.

Registry-sourced rows (Trial, Intervention, Location, Condition, TrialVersion, Criterion)
are written only by the ingest service. Facets are written by extraction and by curators;
curated facets are never overwritten by extraction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords


class Registry(models.TextChoices):
    CTGOV = "ctgov", "ClinicalTrials.gov"


class Section(models.TextChoices):
    INCLUSION = "inclusion", "Inclusion"
    EXCLUSION = "exclusion", "Exclusion"
    OTHER = "other", "Outside any section"


class CytokineFamily(models.TextChoices):
    """Agent families of the screening contract, section 1."""

    NONE = "", "Not a cytokine therapy"
    IL2 = "IL2", "Interleukin-2"
    IL7 = "IL7", "Interleukin-7"
    IL10 = "IL10", "Interleukin-10"
    IL12 = "IL12", "Interleukin-12"
    IL15 = "IL15", "Interleukin-15"
    IL18 = "IL18", "Interleukin-18"
    IL21 = "IL21", "Interleukin-21"
    IL_OTHER = "IL_OTHER", "Other interleukin"
    IFN_ALPHA = "IFN_ALPHA", "Interferon alfa"
    IFN_BETA = "IFN_BETA", "Interferon beta"
    IFN_GAMMA = "IFN_GAMMA", "Interferon gamma"
    IFN_LAMBDA = "IFN_LAMBDA", "Interferon lambda"

    @classmethod
    def cytokine_class(cls, family: str) -> str:
        if not family:
            return ""
        return "interferon" if family.startswith("IFN") else "interleukin"


class Trial(models.Model):
    registry = models.CharField(max_length=16, choices=Registry.choices, default=Registry.CTGOV)
    registry_id = models.CharField("registry id", max_length=32)
    brief_title = models.TextField()
    official_title = models.TextField(blank=True)
    overall_status = models.CharField(max_length=40, blank=True)
    phases = models.JSONField(default=list, blank=True)
    study_type = models.CharField(max_length=40, blank=True)
    start_date = models.DateField(null=True, blank=True)
    completion_date = models.DateField(null=True, blank=True)
    last_update_posted = models.DateField(null=True, blank=True)
    enrollment = models.PositiveIntegerField(null=True, blank=True)
    lead_sponsor = models.CharField(max_length=500, blank=True)
    brief_summary = models.TextField(blank=True)
    keywords = models.JSONField(default=list, blank=True)
    eligibility_criteria = models.TextField(blank=True)
    # Ages normalised to days so they compare across "18 Years", "6 Months", "30 Days";
    # the registry's own words are kept for display.
    minimum_age_days = models.PositiveIntegerField(null=True, blank=True)
    maximum_age_days = models.PositiveIntegerField(null=True, blank=True)
    minimum_age_text = models.CharField(max_length=40, blank=True)
    maximum_age_text = models.CharField(max_length=40, blank=True)
    sex = models.CharField(max_length=10, blank=True)
    healthy_volunteers = models.BooleanField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["registry", "registry_id"]
        constraints = [
            # The ingest upsert looks a trial up by this pair.
            models.UniqueConstraint(
                fields=["registry", "registry_id"], name="trial_registry_id_unique"
            ),
        ]
        indexes = [
            # Default result filter: recruiting / not yet recruiting, newest update first.
            models.Index(
                fields=["overall_status", "-last_update_posted"], name="trial_status_updated"
            ),
            # Incremental sync and "registry data as of" read the latest posted update.
            models.Index(fields=["last_update_posted"], name="trial_last_update"),
            # The screen leaves out removed trials with NOT IN (removed ones): few rows.
            models.Index(
                fields=["id"], condition=models.Q(removed_at__isnull=False), name="trial_removed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id}: {self.brief_title[:80]}"

    @property
    def nct_id(self) -> str:
        return self.registry_id

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.registry_id}"


class Condition(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="conditions")
    name = models.CharField(max_length=500)  # the registry's own words
    # Normalised disease code (e.g. "mesothelioma_pleural"); empty when not recognised.
    disease = models.CharField(max_length=64, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]
        indexes = [
            # Condition filter by normalised disease code.
            models.Index(fields=["disease"], name="condition_disease"),
        ]

    def __str__(self) -> str:
        return self.name


class Intervention(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="interventions")
    type = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=500)
    other_names = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    cytokine_family = models.CharField(
        max_length=16, choices=CytokineFamily.choices, blank=True, default=""
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]
        indexes = [
            # Cytokine filter: trials with an intervention of a family (EXISTS subquery).
            models.Index(fields=["cytokine_family", "trial"], name="intervention_family"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def cytokine_class(self) -> str:
        return CytokineFamily.cytokine_class(self.cytokine_family)


class Location(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="locations")
    facility = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=200, blank=True)
    zip = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=40, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    contacts = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["trial", "order"]
        indexes = [
            # Country filter (EXISTS subquery by country name).
            models.Index(fields=["country", "trial"], name="location_country"),
            # Country filter as written (trials_filter_country, country__iexact compares
            # UPPER(country) on PostgreSQL): lets the planner use and estimate it.
            models.Index(Upper("country"), "trial", name="location_country_upper"),
        ]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.facility, self.city, self.country) if part)


class TrialVersion(models.Model):
    """The registry record each time its content changed; never overwritten."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="versions")
    content_hash = models.CharField(max_length=64)
    last_update_posted = models.DateField(null=True, blank=True)
    fetched_at = models.DateTimeField()
    raw = models.JSONField()

    class Meta:
        ordering = ["trial", "-fetched_at", "-id"]
        indexes = [
            # Version history of one trial, newest first.
            models.Index(fields=["trial", "-fetched_at"], name="version_trial_fetched"),
        ]

    def __str__(self) -> str:
        return f"{self.trial.registry_id} @ {self.fetched_at:%Y-%m-%d %H:%M}"


class Criterion(models.Model):
    """One criterion of the eligibility text, in order, with its section and nesting."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="criteria")
    section = models.CharField(max_length=16, choices=Section.choices)
    order = models.PositiveIntegerField()
    depth = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=500, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["trial", "order"]

    def __str__(self) -> str:
        return f"{self.section}: {self.text[:80]}"


class FacetKind(models.TextChoices):
    STAGES = "stages", "Stage"
    RESECTABILITY = "resectability", "Resectability"
    PRIOR_TREATMENT = "prior_treatment", "Prior treatment"
    WASHOUT = "washout", "Washout notes"
    DISEASE = "disease", "Disease"


class Provenance(models.TextChoices):
    EXTRACTED = "extracted", "Extracted by rule"
    CURATED = "curated", "Curated by a person"


class ReviewStatus(models.TextChoices):
    NONE = "", "Not reviewed"
    NEEDS_REVIEW = "needs_review", "Needs review"
    CONFIRMED = "confirmed", "Confirmed"
    WRONG = "wrong", "Marked wrong"


class Facet(models.Model):
    """A fact read out of a listing's criteria, with the evidence it rests on."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="facets")
    kind = models.CharField(max_length=32, choices=FacetKind.choices)
    value = models.JSONField(null=True, blank=True)
    # [{"criterion": "...", "section": "inclusion"}, ...]
    evidence = models.JSONField(default=list, blank=True)
    provenance = models.CharField(
        max_length=16, choices=Provenance.choices, default=Provenance.EXTRACTED
    )
    rule = models.CharField(max_length=200, blank=True)
    review = models.CharField(
        max_length=16, choices=ReviewStatus.choices, blank=True, default=ReviewStatus.NONE
    )
    # What extraction last said, kept beside a curated value so a curator can compare.
    extracted_value = models.JSONField(null=True, blank=True)
    # Hash of the criteria text the facet was read from or confirmed against, so ingest
    # can tell when the text under a curated facet changed.
    criteria_hash = models.CharField(max_length=64, blank=True)
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    curated_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["trial", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "kind"], name="facet_trial_kind_unique"),
        ]
        indexes = [
            # Curation review queue: facets by review state.
            models.Index(fields=["review", "trial"], name="facet_review"),
        ]

    def __str__(self) -> str:
        return f"{self.trial.registry_id} {self.kind}"


class SyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (registry unchanged)"


class SyncSource(models.TextChoices):
    REGISTRY = "registry", "Registry API"
    SNAPSHOT = "snapshot", "Snapshot import"


class SyncRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=SyncSource.choices)
    parameters = models.JSONField(default=dict, blank=True)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    outcome = models.CharField(
        max_length=16, choices=SyncOutcome.choices, default=SyncOutcome.RUNNING
    )
    error = models.TextField(blank=True)
    # [{"id": "NCT...", "reason": "..."}] for records that were skipped.
    failures = models.JSONField(default=list, blank=True)
    # Where a resumed run picks up: {"page_token": ..., "pages_done": n, ...}.
    checkpoint = models.JSONField(default=dict, blank=True)
    # The registry's dataTimestamp when the run started (GET /version).
    data_timestamp = models.CharField(max_length=64, blank=True)
    # Which process runs it ("host:pid") and when it last committed a page: a run whose
    # owner is gone, or that has been silent too long, is taken over and resumed.
    owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # The sync lock: at most one running registry sync, enforced by the database
            # (a partial unique index, on PostgreSQL and SQLite alike).
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(outcome="running", source="registry"),
                name="syncrun_one_running_registry_sync",
            ),
        ]
        indexes = [
            # "Last successful run" for incremental windows and the footer date.
            models.Index(fields=["source", "outcome", "-started_at"], name="syncrun_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in ("seen", "created", "updated", "unchanged", "removed", "failed")
        }


# The profile's numeric columns that screening filters on (trials.selectors
# profiles_search and profile_conflict_q), covered by the profile_status_order index.
PROFILE_FILTER_COLUMNS = (
    "trial_id",
    "cytokine_mask",
    "phase_mask",
    "stage_mask",
    "stage_review",
    "resectability",
    "resectability_review",
    "prior_required_mask",
    "prior_excluded_mask",
    "min_prior_lines",
    "max_prior_lines",
    "prior_review",
    "minimum_age_days",
    "maximum_age_days",
    "minimum_age_in_years",
    "maximum_age_in_years",
    "sex",
)


class ScreeningProfile(models.Model):
    """The trial's facets folded into plain columns, so screening filters in SQL.

    Rebuilt from the Facet rows by `trial_screening_profile_refresh` whenever they change
    (extraction or curation); the Facet rows stay the record of value and evidence. Masks
    are bit sets over the contract's vocabularies (trials.screening.vocabulary); 0 means
    "no limit". A `*_review` flag means the facet is unknown: it never yields a conflict.
    """

    trial = models.OneToOneField(
        Trial, on_delete=models.CASCADE, primary_key=True, related_name="screening"
    )
    stage_mask = models.PositiveSmallIntegerField(default=0)
    stage_review = models.BooleanField(default=False)
    resectability = models.CharField(max_length=16, blank=True)
    resectability_review = models.BooleanField(default=False)
    prior_required_mask = models.PositiveIntegerField(default=0)
    prior_excluded_mask = models.PositiveIntegerField(default=0)
    min_prior_lines = models.PositiveSmallIntegerField(null=True, blank=True)
    max_prior_lines = models.PositiveSmallIntegerField(null=True, blank=True)
    prior_review = models.BooleanField(default=False)
    cytokine_mask = models.PositiveIntegerField(default=0)

    # The trial's own columns the search filters and orders by, copied here so a screen
    # reads one narrow table (a Trial row carries its summary and criteria text). Written
    # only with the rest of the profile, after ingest has written the trial and its
    # children; `removed_at` stays on Trial alone (sync marks removals without a rebuild).
    registry_id = models.CharField(max_length=32, blank=True)
    overall_status = models.CharField(max_length=40, blank=True)
    # Position of the status in trials.screening.vocabulary.STATUSES ("status" ordering).
    status_rank = models.PositiveSmallIntegerField(default=0)
    # The trial's last update posted as a day number (date.toordinal), 0 when unknown: a
    # plain descending order then puts unknown dates last on every database (SQLite
    # indexes take no NULLS LAST).
    last_update_day = models.PositiveIntegerField(default=0)
    phase_mask = models.PositiveSmallIntegerField(default=0)
    minimum_age_days = models.PositiveIntegerField(null=True, blank=True)
    maximum_age_days = models.PositiveIntegerField(null=True, blank=True)
    # The age limit was written in years ("18 Years"), which fixes how days compare.
    minimum_age_in_years = models.BooleanField(default=False)
    maximum_age_in_years = models.BooleanField(default=False)
    sex = models.CharField(max_length=10, blank=True)  # upper case: ALL, FEMALE, MALE
    # Lower-cased condition names, one per line, with a line break at each end.
    condition_names = models.TextField(blank=True)
    # Normalised disease codes of the conditions, "|code|" each.
    diseases = models.TextField(blank=True)
    # Lower-cased site countries, "|country|" each.
    countries = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The screen's default order (status, newest update, NCT id): a page walks
            # this index and stops after page_size matches instead of sorting them all.
            # On PostgreSQL it also carries every numeric column the screen filters on, so
            # the page and the count of a search without text filters read the index alone
            # (index-only scans; SQLite ignores INCLUDE).
            models.Index(
                fields=["status_rank", "-last_update_day", "registry_id"],
                name="profile_status_order",
                include=PROFILE_FILTER_COLUMNS,
            ),
            # "last_update" ordering of the screen.
            models.Index(fields=["-last_update_day", "registry_id"], name="profile_update_order"),
        ]

    def __str__(self) -> str:
        return f"screening profile of {self.trial_id}"
