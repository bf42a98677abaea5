"""The study's audit page: our audit events and django-simple-history rows on one timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cases.models import Approval, AuditEvent, ConsentRecord, IdentityRecord
from cases.selectors_audit import ACTION_LABELS, AREAS, action_label, timeline_keys
from cases.services.approvals import approval_update
from cases.services.consent import consent_record
from cases.services.people import identity_read, identity_save
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create, excerpt_update_details
from tests.factories import ApprovalFactory, InformantFactory, InformationLetterFactory, StudyFactory
from tests.interviews.coding_helpers import make_source

pytestmark = pytest.mark.django_db

SECRET_NAME = "Gunnhild Tveitevold-Kleppe"
SECRET_PHONE = "+47 912 34 567"
EXCERPT_TEXT = "vi fikk aldri svar fra kommunedirektøren"


def audit_page(client, study, **params):
    return client.get(reverse("audit_log", args=[study.pk]), params)


def make_events(study, actor, informants: int) -> None:
    """For each informant: an identity created and changed, consent, a key-list read; plus one approval change."""
    letter = InformationLetterFactory(study=study)
    for number in range(informants):
        informant = InformantFactory(study=study)
        identity_save(informant=informant, actor=actor, full_name=f"{SECRET_NAME} {number}")
        identity_save(informant=informant, actor=actor, full_name=f"{SECRET_NAME} {number}", phone=SECRET_PHONE)
        consent_record(informant=informant, actor=actor, letter=letter, given_on=dt.date(2017, 1, 10))
        identity_read(informant=informant, actor=actor)
    approval = ApprovalFactory(study=study)
    approval_update(approval=approval, actor=actor, data={"state": Approval.State.APPROVED, "reference": "123"})


@pytest.fixture
def timeline(study, researcher):
    make_events(study, researcher, informants=2)
    text = f"Moderator: Hva skjedde?\nI1: {EXCERPT_TEXT}.\n"
    source = make_source(study, text)
    code = code_create(study=study, actor=researcher, name="Ledelse")
    start = text.index(EXCERPT_TEXT)
    excerpt = excerpt_create(
        source=source,
        actor=researcher,
        start=start,
        end=start + len(EXCERPT_TEXT),
        text=EXCERPT_TEXT,
        code_ids=[code.pk],
    )
    excerpt_update_details(
        excerpt=excerpt,
        actor=researcher,
        memo="Viktig for RQ2",
        condensed_meaning="",
        is_deviant=True,
        is_counter_finding=False,
        has_identifying_details=False,
    )
    return excerpt


def test_the_timeline_merges_audit_events_and_field_history(researcher_client, study, timeline):
    response = audit_page(researcher_client, study)
    assert response.status_code == 200
    entries = list(response.context["page"])
    history = [entry for entry in entries if entry.is_history]
    audit = [entry for entry in entries if not entry.is_history]
    assert {str(entry.label) for entry in history} == {
        str(model._meta.verbose_name) for model in (ConsentRecord, IdentityRecord, Approval, timeline.__class__)
    }
    assert audit and all(entry.code for entry in audit)
    assert [entry.when for entry in entries] == sorted((entry.when for entry in entries), reverse=True)


def test_a_change_made_through_a_page_names_its_author(researcher_client, study, researcher):
    informant = InformantFactory(study=study)
    url = reverse("identity_edit", args=[study.pk, informant.pk])
    assert researcher_client.post(url, {"full_name": SECRET_NAME}).status_code == 302
    entries = [e for e in audit_page(researcher_client, study, area="identity").context["page"] if e.is_history]
    # identity_save creates, then saves again after full_clean: two history rows, both by the researcher.
    assert {(entry.actor, entry.record) for entry in entries} == {(researcher, informant.code)}
    assert entries[-1].code == "created"


def test_identity_history_names_changed_fields_but_never_values(researcher_client, study, timeline):
    response = audit_page(researcher_client, study, area="identity")
    page = response.content.decode()
    changed = [entry for entry in response.context["page"] if entry.is_history and entry.fields]
    assert changed, "the second identity_save changed the phone field"
    assert all(entry.fields == [str(IdentityRecord._meta.get_field("phone").verbose_name)] for entry in changed)
    assert SECRET_NAME not in page and SECRET_PHONE not in page
    assert "912" not in page


def test_excerpt_history_shows_no_text(researcher_client, study, timeline):
    response = audit_page(researcher_client, study, area="excerpts")
    page = response.content.decode()
    assert EXCERPT_TEXT not in page
    changed = [entry for entry in response.context["page"] if entry.is_history and entry.fields]
    assert changed and str(timeline._meta.get_field("is_deviant").verbose_name) in changed[0].fields


@pytest.mark.parametrize("area", sorted(AREAS))
def test_each_area_shows_only_its_own_entries(researcher_client, study, timeline, area):
    entries = list(audit_page(researcher_client, study, area=area).context["page"])
    spec = AREAS[area]
    for entry in entries:
        if entry.is_history:
            assert spec.history_kinds
        else:
            assert entry.code.startswith(spec.action_prefixes), (area, entry.code)
    if area in ("consent", "identity", "approvals", "excerpts"):
        assert any(entry.is_history for entry in entries) and any(not entry.is_history for entry in entries)


def test_an_unknown_area_shows_everything(researcher_client, study, timeline):
    everything = audit_page(researcher_client, study).context["page"].paginator.count
    assert audit_page(researcher_client, study, area="bogus").context["page"].paginator.count == everything


def test_other_studies_do_not_leak_into_the_timeline(researcher_client, study, timeline, outsider):
    other = StudyFactory(created_by=outsider)
    make_events(other, outsider, informants=1)
    own = timeline_keys(study).count()
    assert audit_page(researcher_client, study).context["page"].paginator.count == own
    ids = {row for kind, row, _ in timeline_keys(study) if kind == "audit"}
    assert not AuditEvent.objects.filter(pk__in=ids, study=other).exists()


def test_action_codes_have_translated_labels():
    assert str(action_label("consent.recorded")) == "Consent recorded"
    assert action_label("something.new") == "something.new"
    with translation.override("nb"):
        # Lazy: the label follows the active language (a Norwegian .po comes later).
        assert action_label("consent.recorded") is ACTION_LABELS["consent.recorded"]


def test_labels_and_raw_codes_are_both_on_the_page(researcher_client, study, timeline):
    page = audit_page(researcher_client, study).content.decode()
    assert "Consent recorded" in page and "consent.recorded" in page


def test_pages_of_fifty(researcher_client, study, researcher):
    make_events(study, researcher, informants=15)
    first = audit_page(researcher_client, study)
    total = first.context["page"].paginator.count
    assert total > 50 and len(first.context["page"]) == 50
    second = audit_page(researcher_client, study, page=2)
    assert len(second.context["page"]) == min(50, total - 50)
    assert 'href="?page=2"' in first.content.decode()
    filtered = audit_page(researcher_client, study, area="identity")
    assert filtered.context["page"].has_next()
    assert 'href="?page=2&amp;area=identity"' in filtered.content.decode()


def test_query_count_is_the_same_for_5_and_50_events(researcher_client, study, researcher, django_assert_num_queries):
    make_events(study, researcher, informants=1)
    audit_page(researcher_client, study)
    with CaptureQueriesContext(connection) as small:
        few = audit_page(researcher_client, study)
    make_events(study, researcher, informants=12)
    with django_assert_num_queries(len(small.captured_queries)):
        many = audit_page(researcher_client, study)
    assert len(few.context["page"]) < 15 and len(many.context["page"]) == 50


def test_supervisor_reads_the_audit_page(supervisor_client, study, timeline):
    assert audit_page(supervisor_client, study).status_code == 200


def test_empty_state_says_what_comes(researcher_client, study):
    page = audit_page(researcher_client, study, area="reports").content.decode()
    assert "Nothing recorded in this area yet" in page
