"""python manage.py extract_criteria: re-reads stored text, keeps curated facets."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import StudyFactory
from trials.models import Facet, FacetKind, Provenance
from trials.services.ingest import trial_ingest

pytestmark = pytest.mark.django_db


def test_re_extraction_rewrites_extracted_facets_from_the_stored_text(
    make_study: StudyFactory,
) -> None:
    trial_ingest(raw=make_study("NCT90000001"))
    stages = Facet.objects.get(kind=FacetKind.STAGES)
    stages.value = ["I"]  # as if an older rule had read it wrong
    stages.save()
    out = StringIO()
    call_command("extract_criteria", "NCT90000001", stdout=out)
    stages.refresh_from_db()
    assert stages.value == ["III", "IV"]
    assert "1 trials" in out.getvalue()


def test_re_extraction_keeps_curated_values(make_study: StudyFactory) -> None:
    trial_ingest(raw=make_study("NCT90000001"))
    Facet.objects.filter(kind=FacetKind.STAGES).update(value=["III"], provenance=Provenance.CURATED)
    call_command("extract_criteria", "--all", stdout=StringIO())
    stages = Facet.objects.get(kind=FacetKind.STAGES)
    assert stages.value == ["III"]
    assert stages.extracted_value == ["III", "IV"]


@pytest.mark.parametrize("args", [[], ["--all", "NCT90000001"], ["NCT00000000"]])
def test_bad_arguments_are_clear_errors(args: list[str], make_study: StudyFactory) -> None:
    trial_ingest(raw=make_study("NCT90000001"))
    with pytest.raises(CommandError):
        call_command("extract_criteria", *args, stdout=StringIO())
