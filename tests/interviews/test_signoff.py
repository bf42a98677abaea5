"""Codebook sign-off: numbered frozen versions, the diff of later edits, reviewers only."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cases.models import AuditEvent
from interviews.models import Code, CodebookSnapshot
from interviews.services.signoff import codebook_diff, codebook_signoff
from tests.conftest import client_for
from tests.factories import InformantFactory
from tests.interviews.coding_helpers import make_code, make_excerpt, make_source

pytestmark = pytest.mark.django_db

TEXT = "I1: Vi fant på noe nytt.\nI2: Det gjorde vi.\n"


@pytest.fixture(autouse=True)
def _signoff_urls(settings):
    settings.ROOT_URLCONF = "tests.interviews.urls_signoff_test"


@pytest.fixture
def codebook(study):
    i1 = InformantFactory(study=study, code="K1")
    i2 = InformantFactory(study=study, code="K2")
    source = make_source(study, TEXT, informants={"I1": i1, "I2": i2})
    innovation = make_code(study, "Innovasjon", description="Nye måter å jobbe på.")
    idea = make_code(study, "Ide", parent=innovation)
    culture = make_code(study, "Kultur")
    doomed = make_code(study, "Tilfeldig")
    first = make_excerpt(source, 4, 24, innovation, idea)
    first.speakers.set([i1])
    second = make_excerpt(source, 29, 45, innovation)
    second.speakers.set([i2])
    return {"innovation": innovation, "idea": idea, "culture": culture, "doomed": doomed}


def test_signoff_freezes_numbered_versions_with_counts(study, supervisor, codebook):
    first = codebook_signoff(study=study, reviewer=supervisor)
    assert first.version == 1
    rows = {row["name"]: row for row in first.codes}
    assert rows["Innovasjon"]["excerpts"] == 2
    assert rows["Innovasjon"]["informants"] == 2
    assert rows["Ide"] == rows["Ide"] | {
        "parent_id": codebook["innovation"].pk,
        "path": "Innovasjon > Ide",
        "excerpts": 1,
        "informants": 1,
        "status": "active",
    }
    assert rows["Innovasjon"]["definition"] == "Nye måter å jobbe på."
    second = codebook_signoff(study=study, reviewer=supervisor)
    assert second.version == 2
    assert AuditEvent.objects.filter(study=study, action="codebook.signed_off", actor=supervisor).count() == 2
    # the snapshot is frozen: a later edit leaves it as it was
    Code.objects.filter(pk=codebook["idea"].pk).update(name="Idé")
    first.refresh_from_db()
    assert {row["name"] for row in first.codes} == {"Innovasjon", "Ide", "Kultur", "Tilfeldig"}


def test_diff_shows_rename_move_added_dropped_and_deleted(study, supervisor, codebook):
    snapshot = codebook_signoff(study=study, reviewer=supervisor)
    Code.objects.filter(pk=codebook["idea"].pk).update(name="Idé")
    Code.objects.filter(pk=codebook["culture"].pk).update(parent=codebook["innovation"])
    Code.objects.filter(pk=codebook["innovation"].pk).update(description="Ny definisjon.")
    Code.objects.filter(pk=codebook["doomed"].pk).update(status=Code.Status.DROPPED)
    added = make_code(study, "Ledelse")
    diff = codebook_diff(study, snapshot)
    assert [(c.before, c.after) for c in diff.renamed] == [("Ide", "Idé")]
    assert [(c.path, c.before, c.after) for c in diff.moved] == [("Innovasjon > Kultur", "", "Innovasjon")]
    assert [c.id for c in diff.added] == [added.pk]
    assert [(c.path, str(c.after)) for c in diff.status_changed] == [("Tilfeldig", "Dropped")]
    assert [c.after for c in diff.definition_changed] == ["Ny definisjon."]
    assert diff.removed == []

    added.delete()
    Code.objects.filter(pk=codebook["doomed"].pk).delete()
    diff = codebook_diff(study, snapshot)
    assert [c.before for c in diff.removed] == ["Tilfeldig"]
    assert diff.added == []


def test_no_changes_means_an_empty_diff(study, supervisor, codebook):
    snapshot = codebook_signoff(study=study, reviewer=supervisor)
    assert not codebook_diff(study, snapshot).has_changes


def test_only_the_reviewer_signs_off(study, researcher, supervisor, codebook):
    with pytest.raises(PermissionDenied):
        codebook_signoff(study=study, reviewer=researcher)
    response = client_for(researcher).post(reverse("codebook_signoff", args=[study.pk]))
    assert response.status_code == 403
    assert not CodebookSnapshot.objects.exists()


def test_co_researchers_sign_off_when_there_is_no_supervisor(study, co_researcher, codebook):
    assert codebook_signoff(study=study, reviewer=co_researcher).version == 1


def test_supervisor_signs_off_and_sees_versions_and_diff(study, supervisor, codebook):
    client = client_for(supervisor)
    response = client.get(reverse("codebook_versions", args=[study.pk]))
    assert "No codebook version is approved yet." in response.content.decode()
    response = client.post(reverse("codebook_signoff", args=[study.pk]))
    snapshot = CodebookSnapshot.objects.get(study=study)
    assert response.status_code == 302
    assert response["Location"] == reverse("codebook_version", args=[study.pk, snapshot.pk])
    Code.objects.filter(pk=codebook["idea"].pk).update(name="Idé")
    page = client.get(reverse("codebook_versions", args=[study.pk])).content.decode()
    assert "v1" in page and "Ide → Idé" in page
    page = client.get(reverse("codebook_version", args=[study.pk, snapshot.pk])).content.decode()
    assert "Nye måter å jobbe på." in page and "Idé" not in page
    assert client.get(reverse("codebook_signoff", args=[study.pk])).status_code == 405


def test_researcher_sees_versions_without_the_approve_button(study, researcher, supervisor, codebook):
    codebook_signoff(study=study, reviewer=supervisor)
    page = client_for(researcher).get(reverse("codebook_versions", args=[study.pk])).content.decode()
    assert "v1" in page
    assert reverse("codebook_signoff", args=[study.pk]) not in page


def test_another_studys_version_is_404(study, supervisor, outsider, codebook):
    snapshot = codebook_signoff(study=study, reviewer=supervisor)
    other = outsider.memberships.get().study
    response = client_for(outsider).get(reverse("codebook_version", args=[other.pk, snapshot.pk]))
    assert response.status_code == 404


def test_versions_page_query_count_does_not_grow(
    study, supervisor, codebook, django_assert_num_queries, django_assert_max_num_queries
):
    client = client_for(supervisor)
    codebook_signoff(study=study, reviewer=supervisor)
    client.get(reverse("codebook_versions", args=[study.pk]))
    with django_assert_max_num_queries(50) as first:
        client.get(reverse("codebook_versions", args=[study.pk]))
    for n in range(4):
        make_code(study, f"Ny {n}")
        codebook_signoff(study=study, reviewer=supervisor)
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("codebook_versions", args=[study.pk]))
