"""The key list: who may read it, that every read is logged, that it is encrypted at rest; and 404 for outsiders."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from cases.models import AttributeDefinition, AuditEvent, IdentityRecord, Informant, Study
from tests.factories import IdentityRecordFactory, InformantFactory, InformantGroupFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def informant(study):
    return InformantFactory(study=study, code="AG1")


def test_key_list_shows_identities_and_logs_the_read(researcher_client, study, informant):
    IdentityRecordFactory(informant=informant, full_name="Kari Nordmann", email="kari@example.org", phone="99887766")
    InformantFactory(study=study, code="AG2")
    response = researcher_client.get(reverse("key_list", args=[study.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kari Nordmann" in page and "kari@example.org" in page and "99887766" in page
    assert "stored apart from the research data, encrypted" in page
    assert reverse("identity_edit", args=[study.pk, InformantFactory._meta.model.objects.get(code="AG2").pk]) in page
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(study=study, action="identity.list_viewed")
    assert event.data["informants"] == ["AG1"]
    assert "Kari" not in str(event.data) and "Kari" not in event.target_label


def test_identity_edit_reads_with_a_log_and_saves_encrypted(researcher_client, study, informant):
    url = reverse("identity_edit", args=[study.pk, informant.pk])
    assert researcher_client.get(url).status_code == 200
    assert AuditEvent.objects.filter(study=study, action="identity.viewed", target_id=informant.pk).count() == 1

    response = researcher_client.post(
        url, {"full_name": "Ola Bodøgaard", "email": "ola@example.org", "phone": "", "organisation": "Ørland kommune"}
    )
    assert response.status_code == 302
    record = IdentityRecord.objects.get(informant=informant)
    assert (record.full_name, record.organisation) == ("Ola Bodøgaard", "Ørland kommune")
    event = AuditEvent.objects.get(study=study, action="identity.created")
    assert event.data["fields"] == ["email", "full_name", "organisation"]
    assert "Ola" not in str(event.data)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT full_name, email, organisation FROM {IdentityRecord._meta.db_table} WHERE informant_id = %s",
            [informant.pk],
        )
        raw = cursor.fetchone()
    assert all(value and value.startswith("gAAAA") for value in raw)
    assert not any(plain in " ".join(raw) for plain in ("Ola", "Bodøgaard", "ola@example.org", "Ørland"))

    page = researcher_client.get(url).content.decode()
    assert 'value="Ola Bodøgaard"' in page
    assert AuditEvent.objects.filter(study=study, action="identity.viewed", target_id=informant.pk).count() == 2


def test_identity_form_requires_a_name_and_a_valid_email(researcher_client, study, informant):
    response = researcher_client.post(
        reverse("identity_edit", args=[study.pk, informant.pk]), {"full_name": "", "email": "not-an-address"}
    )
    assert response.status_code == 400
    assert not IdentityRecord.objects.exists()


def test_informant_detail_links_to_identity_only_for_allowed_roles_and_never_shows_the_name(
    researcher_client, supervisor_client, study, informant
):
    IdentityRecordFactory(informant=informant, full_name="Kari Nordmann")
    url = reverse("informant_detail", args=[study.pk, informant.pk])
    page = researcher_client.get(url).content.decode()
    assert reverse("identity_edit", args=[study.pk, informant.pk]) in page
    assert "Kari" not in page
    page = supervisor_client.get(url).content.decode()  # default access: researchers only
    assert reverse("identity_edit", args=[study.pk, informant.pk]) not in page
    assert reverse("key_list", args=[study.pk]) not in page
    assert "Kari" not in page
    assert not AuditEvent.objects.filter(action__startswith="identity.").exists()


def test_supervisor_key_list_access_follows_the_study_setting(supervisor_client, study, informant):
    IdentityRecordFactory(informant=informant, full_name="Kari Nordmann")
    url = reverse("key_list", args=[study.pk])
    study.key_list_access = Study.KeyListAccess.RESEARCHERS
    study.save()
    assert supervisor_client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="identity.list_viewed").exists()

    study.key_list_access = Study.KeyListAccess.RESEARCHERS_AND_SUPERVISOR
    study.save()
    response = supervisor_client.get(url)
    assert response.status_code == 200
    assert "Kari Nordmann" in response.content.decode()
    assert AuditEvent.objects.filter(action="identity.list_viewed", actor__email="supervisor@example.org").count() == 1
    # Reading is not editing: the supervisor never changes the key list.
    assert reverse("identity_edit", args=[study.pk, informant.pk]) not in response.content.decode()
    edit = reverse("identity_edit", args=[study.pk, informant.pk])
    assert supervisor_client.get(edit).status_code == 403
    assert supervisor_client.post(edit, {"full_name": "X"}).status_code == 403


def test_owner_only_key_list_shuts_out_the_co_researcher(co_researcher_client, researcher_client, study, informant):
    study.key_list_access = Study.KeyListAccess.OWNER
    study.save()
    assert co_researcher_client.get(reverse("key_list", args=[study.pk])).status_code == 403
    assert co_researcher_client.get(reverse("identity_edit", args=[study.pk, informant.pk])).status_code == 403
    assert researcher_client.get(reverse("key_list", args=[study.pk])).status_code == 200


# Outsiders -----------------------------------------------------------------------------------------------------------


def _people_urls(study, informant, site, group, definition):
    pk = study.pk
    return [
        reverse("site_list", args=[pk]),
        reverse("site_create", args=[pk]),
        reverse("site_edit", args=[pk, site.pk]),
        reverse("site_delete", args=[pk, site.pk]),
        reverse("group_create", args=[pk]),
        reverse("group_edit", args=[pk, group.pk]),
        reverse("group_delete", args=[pk, group.pk]),
        reverse("attribute_create", args=[pk]),
        reverse("attribute_edit", args=[pk, definition.pk]),
        reverse("attribute_delete", args=[pk, definition.pk]),
        reverse("informant_list", args=[pk]),
        reverse("informant_create", args=[pk]),
        reverse("informant_import", args=[pk]),
        reverse("informant_detail", args=[pk, informant.pk]),
        reverse("informant_edit", args=[pk, informant.pk]),
        reverse("identity_edit", args=[pk, informant.pk]),
        reverse("key_list", args=[pk]),
    ]


def test_every_people_url_is_covered():
    from cases.urls_people import urlpatterns

    assert len(urlpatterns) == 17


def test_outsider_gets_404_on_every_people_url(outsider_client, study, informant):
    IdentityRecordFactory(informant=informant, full_name="Kari Nordmann")
    site = SiteFactory(study=study)
    group = InformantGroupFactory(study=study)
    definition = AttributeDefinition.objects.create(study=study, name="Kjønn")
    for url in _people_urls(study, informant, site, group, definition):
        for method in ("get", "post"):
            response = getattr(outsider_client, method)(url, {"code": "X", "pseudonym": "X", "full_name": "X"})
            assert response.status_code == 404, (method, url, response.status_code)
    assert Informant.objects.filter(study=study).count() == 1
    assert not AuditEvent.objects.filter(study=study).exists()


def test_objects_of_another_study_are_404_inside_ones_own_study(outsider, outsider_client, study, informant):
    """The outsider's own study id with our objects' ids: still nothing to see."""
    own = outsider.memberships.get().study
    site = SiteFactory(study=study)
    group = InformantGroupFactory(study=study)
    definition = AttributeDefinition.objects.create(study=study, name="Kjønn")
    urls = [
        reverse("site_edit", args=[own.pk, site.pk]),
        reverse("site_delete", args=[own.pk, site.pk]),
        reverse("group_edit", args=[own.pk, group.pk]),
        reverse("group_delete", args=[own.pk, group.pk]),
        reverse("attribute_edit", args=[own.pk, definition.pk]),
        reverse("attribute_delete", args=[own.pk, definition.pk]),
        reverse("informant_detail", args=[own.pk, informant.pk]),
        reverse("informant_edit", args=[own.pk, informant.pk]),
        reverse("identity_edit", args=[own.pk, informant.pk]),
    ]
    for url in urls:
        for method in ("get", "post"):
            assert getattr(outsider_client, method)(url, {"code": "X"}).status_code == 404, (method, url)
    assert not AuditEvent.objects.filter(action__startswith="identity.").exists()


def test_anonymous_is_sent_to_login(client, study):
    response = client.get(reverse("key_list", args=[study.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]
