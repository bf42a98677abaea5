"""The data-lifecycle page, the end-action setting, the re-identification page and its term list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEvent, SensitiveTerm, Site, Study
from cases.services.lifecycle import study_end_action_perform
from interviews.models import Recording
from tests.cases.lifecycle_world import build
from tests.cases.uploads import media_root_fixture  # noqa: F401 (autouse)
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def world(study):
    Study.objects.filter(pk=study.pk).update(end_date=TODAY + dt.timedelta(days=100))
    study.refresh_from_db()
    return build(study)


def lifecycle_url(study):
    return reverse("data_lifecycle", args=[study.pk])


def reid_url(study):
    return reverse("reidentification_check", args=[study.pk])


# The lifecycle page -----------------------------------------------------------------------------------------------


def test_lifecycle_page_shows_the_plan_and_the_preview(researcher_client, study, world):
    page = researcher_client.get(lifecycle_url(study)).content.decode()
    reminder = (study.end_date - dt.timedelta(days=30)).isoformat()
    assert reminder in page and study.end_date.isoformat() in page
    assert "Reminder to the project owner" in page and "Recording of S01 deleted" in page
    assert "key-list entries deleted" in page  # the dry-run preview
    assert "Deletion promised by the information letter" not in page  # the factory letter promises no date
    assert "Kari" not in page and "Bodø" not in page and "Fyrlykt" not in page
    assert reverse("lifecycle_settings", args=[study.pk]) in page


def test_lifecycle_page_lists_what_has_happened(supervisor_client, study, world):
    study_end_action_perform(study=study, today=TODAY)
    page = supervisor_client.get(lifecycle_url(study)).content.decode()
    assert "Study anonymised" in page and "key-list entries deleted: 2" in page
    assert "The end action was performed on" in page
    assert reverse("lifecycle_settings", args=[study.pk]) not in page, "supervisors see no edit buttons"


def test_lifecycle_page_empty_state_says_what_to_do(researcher_client, study):
    Study.objects.filter(pk=study.pk).update(end_date=None, start_date=None)
    page = researcher_client.get(lifecycle_url(study)).content.decode()
    assert "Set the end date on the study plan" in page
    assert "Nothing has happened yet" in page


def test_lifecycle_page_query_count_does_not_grow_with_recordings(
    researcher_client, study, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        researcher_client.get(lifecycle_url(study))
    session = SessionFactory(study=study, code="S02")
    for day in range(15):
        Recording.objects.create(session=session, deletion_due=TODAY + dt.timedelta(days=day), storage_location="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert researcher_client.get(lifecycle_url(study)).status_code == 200


def test_owner_changes_the_end_action(researcher_client, study):
    url = reverse("lifecycle_settings", args=[study.pk])
    assert researcher_client.get(url).status_code == 200
    response = researcher_client.post(url, {"end_action": "delete"})
    assert response.status_code == 302
    study.refresh_from_db()
    assert study.end_action == "delete"
    assert "end_action" in AuditEvent.objects.get(study=study, action="lifecycle.end_action_changed").data["fields"]
    assert researcher_client.post(url, {"end_action": "shred"}).status_code == 400


def test_the_end_action_cannot_change_once_done(researcher_client, study):
    study_end_action_perform(study=study, today=TODAY)
    response = researcher_client.post(reverse("lifecycle_settings", args=[study.pk]), {"end_action": "delete"})
    assert response.status_code == 400
    assert "already performed" in response.content.decode()
    study.refresh_from_db()
    assert study.end_action == "anonymise"


def test_only_the_owner_changes_the_end_action(co_researcher_client, supervisor_client, study):
    url = reverse("lifecycle_settings", args=[study.pk])
    for client in (co_researcher_client, supervisor_client):
        assert client.post(url, {"end_action": "delete"}).status_code == 403
    study.refresh_from_db()
    assert study.end_action == "anonymise"


# Re-identification ------------------------------------------------------------------------------------------------


def test_reidentification_page_lists_warnings_with_excerpt_links(researcher_client, study, world):
    response = researcher_client.get(reid_url(study))
    assert response.status_code == 200
    page = response.content.decode()
    link = f"/studies/{study.pk}/sources/{world.source.pk}/code/#excerpt-{world.excerpt.pk}"
    assert link in page
    for term in ("Kari Nordmann", "Bodø kommune", "Prosjekt Fyrlykt"):
        assert term in page
    assert "Group of fewer than three" in page  # "Arbeidsgiver" has two informants
    events = AuditEvent.objects.filter(study=study, action="sensitive_terms.viewed")
    assert events.count() == 2
    assert "Fyrlykt" not in str(list(events.values_list("data", flat=True)))
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_reidentification_query_count_does_not_grow_with_excerpts(
    researcher_client, study, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from interviews.services.excerpts import excerpt_create

    with CaptureQueriesContext(connection) as few:
        researcher_client.get(reid_url(study))
    text = world.source.text
    for start in range(0, 10):
        excerpt_create(
            source=world.source,
            actor=study.created_by,
            start=start,
            end=start + 30,
            text=text[start : start + 30],
            code_ids=[world.code.pk],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert researcher_client.get(reid_url(study)).status_code == 200


def test_supervisor_with_key_list_access_reads_but_does_not_edit(supervisor_client, study, world):
    assert supervisor_client.get(reid_url(study)).status_code == 403  # the default: researchers only
    Study.objects.filter(pk=study.pk).update(key_list_access=Study.KeyListAccess.RESEARCHERS_AND_SUPERVISOR)
    page = supervisor_client.get(reid_url(study)).content.decode()
    assert "Prosjekt Fyrlykt" in page
    assert reverse("sensitive_term_create", args=[study.pk]) not in page
    assert reverse("site_real_name_edit", args=[study.pk, world.site.pk]) not in page
    term = SensitiveTerm.objects.get(study=study)
    posts = [
        (reverse("sensitive_term_create", args=[study.pk]), {"term": "Nytt sted", "kind": "place"}),
        (reverse("sensitive_term_delete", args=[study.pk, term.pk]), {}),
        (reverse("site_real_name_edit", args=[study.pk, world.site.pk]), {"real_name": "Annet"}),
    ]
    for url, data in posts:
        assert supervisor_client.post(url, data).status_code == 403, url
    assert SensitiveTerm.objects.filter(study=study).count() == 1
    assert Site.objects.get(pk=world.site.pk).real_name == "Bodø kommune"


def test_sensitive_terms_are_added_and_removed_with_audit_rows(co_researcher_client, study):
    create = reverse("sensitive_term_create", args=[study.pk])
    assert co_researcher_client.post(create, {"term": "  Fyrlykt-prosjektet ", "kind": "project"}).status_code == 302
    term = SensitiveTerm.objects.get(study=study)
    assert term.term == "Fyrlykt-prosjektet"
    duplicate = co_researcher_client.post(create, {"term": "FYRLYKT-PROSJEKTET", "kind": "place"})
    assert duplicate.status_code == 400 and "already on the list" in duplicate.content.decode()
    assert co_researcher_client.post(create, {"term": "", "kind": "place"}).status_code == 400
    assert SensitiveTerm.objects.filter(study=study).count() == 1

    delete = reverse("sensitive_term_delete", args=[study.pk, term.pk])
    assert co_researcher_client.get(delete).status_code == 405
    assert co_researcher_client.post(delete).status_code == 302
    assert not SensitiveTerm.objects.filter(study=study).exists()
    actions = list(
        AuditEvent.objects.filter(study=study, action__startswith="sensitive_term.").values_list(
            "action", "target_label", "data"
        )
    )
    assert [a[0] for a in actions] == ["sensitive_term.deleted", "sensitive_term.created"]
    assert "Fyrlykt" not in str(actions)


def test_site_real_name_is_read_with_a_log_and_saved(researcher_client, study, world):
    url = reverse("site_real_name_edit", args=[study.pk, world.site.pk])
    page = researcher_client.get(url).content.decode()
    assert 'value="Bodø kommune"' in page
    assert AuditEvent.objects.filter(study=study, action="site.real_name_viewed").count() == 1
    assert researcher_client.post(url, {"real_name": "Ørland  kommune"}).status_code == 302
    assert Site.objects.get(pk=world.site.pk).real_name == "Ørland kommune"
    event = AuditEvent.objects.get(study=study, action="site.real_name_updated")
    assert event.data == {"is_set": True} and "Ørland" not in event.target_label


def test_outsider_gets_404_on_every_url(outsider_client, study, world):
    term = SensitiveTerm.objects.get(study=study)
    urls = [
        lifecycle_url(study),
        reverse("lifecycle_settings", args=[study.pk]),
        reid_url(study),
        reverse("sensitive_term_create", args=[study.pk]),
        reverse("sensitive_term_delete", args=[study.pk, term.pk]),
        reverse("site_real_name_edit", args=[study.pk, world.site.pk]),
    ]
    for url in urls:
        for method in ("get", "post"):
            assert getattr(outsider_client, method)(url).status_code == 404, (url, method)
    assert SensitiveTerm.objects.filter(pk=term.pk).exists()


def test_objects_of_another_study_are_404(outsider, study, world):
    from tests.conftest import client_for

    own = Study.objects.get(created_by=outsider)
    client = client_for(outsider)
    term = SensitiveTerm.objects.get(study=study)
    assert client.post(reverse("sensitive_term_delete", args=[own.pk, term.pk])).status_code == 404
    assert client.get(reverse("site_real_name_edit", args=[own.pk, world.site.pk])).status_code == 404
    assert SensitiveTerm.objects.filter(pk=term.pk).exists()
