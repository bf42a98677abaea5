"""Approvals: Sikt, organisation and gatekeepers, with condition checklists and a PDF letter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Approval, ApprovalCondition, AuditEvent, StoredFile
from cases.services.approvals import approval_create
from tests.cases.uploads import (  # noqa: F401 (media_root_fixture is autouse)
    NOT_PDFS,
    fake_pdf_upload,
    files_under,
    media_root_fixture,
    pdf_bytes,
    pdf_upload,
)
from tests.factories import ApprovalFactory, SiteFactory, StudyFactory

pytestmark = pytest.mark.django_db


def sikt_post(**overrides) -> dict:
    data = {
        "kind": "sikt",
        "state": "approved",
        "authority": "Sikt",
        "site": "",
        "project_number": "50900",
        "reference": "50900/3/BGH",
        "submitted_on": "2016-11-01",
        "answered_on": "2016-12-05",
        "valid_until": "2017-06-30",
        "notes": "",
        "conditions_text": "Encrypt recordings on mobile devices\n\nDelete recordings by 30 June 2017\n",
    }
    data.update(overrides)
    return data


def test_empty_state_explains_sikt_and_offers_to_record_it(researcher_client, study):
    response = researcher_client.get(reverse("approval_list", args=[study.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-empty-state="approvals"' in content
    assert "Sikt (formerly NSD)" in content
    assert reverse("approval_create", args=[study.pk]) + "?kind=sikt" in content


def test_create_form_preselects_the_kind(researcher_client, study):
    response = researcher_client.get(reverse("approval_create", args=[study.pk]) + "?kind=sikt")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["kind"] == "sikt"
    assert '<option value="sikt" selected>' in response.content.decode()


def test_create_with_conditions_and_a_real_pdf_letter(researcher_client, study, researcher, media_root):
    data = sikt_post(letter_upload=pdf_upload("Sikt vurdering 50900.pdf"))
    response = researcher_client.post(reverse("approval_create", args=[study.pk]), data)

    assert response.status_code == 302
    approval = Approval.objects.get(study=study)
    assert (approval.kind, approval.state, approval.reference) == ("sikt", "approved", "50900/3/BGH")
    assert [c.text for c in approval.conditions.all()] == [
        "Encrypt recordings on mobile devices",
        "Delete recordings by 30 June 2017",
    ]
    letter = approval.letter
    assert letter.content_type == "application/pdf"
    assert letter.original_name == "Sikt vurdering 50900.pdf"
    assert letter.uploaded_by == researcher
    stored = files_under(media_root)
    assert len(stored) == 1 and stored[0].read_bytes() == pdf_bytes()
    # The stored name is random: the original name may identify someone.
    assert "vurdering" not in letter.file.name
    actions = set(AuditEvent.objects.filter(study=study).values_list("action", flat=True))
    assert {"approval.created", "approval.letter_attached", "approval.conditions_changed"} <= actions

    page = researcher_client.get(reverse("approval_list", args=[study.pk])).content.decode()
    assert "Encrypt recordings on mobile devices" in page
    assert reverse("file_download", args=[study.pk, letter.pk]) in page
    assert "Sikt vurdering 50900.pdf" in page


def test_co_researcher_has_equal_rights(co_researcher_client, study):
    response = co_researcher_client.post(reverse("approval_create", args=[study.pk]), sikt_post(conditions_text=""))
    assert response.status_code == 302
    assert Approval.objects.filter(study=study).count() == 1


def test_edit_keeps_ticks_of_kept_conditions_and_records_the_change(researcher_client, study, researcher):
    approval = approval_create(
        study=study,
        actor=researcher,
        kind="sikt",
        state="submitted",
        conditions=["Encrypt recordings", "Delete by June"],
    )
    kept = approval.conditions.get(text="Encrypt recordings")
    ApprovalCondition.objects.filter(pk=kept.pk).update(is_met=True)

    data = sikt_post(state="not_subject", conditions_text="New condition\nEncrypt recordings")
    response = researcher_client.post(reverse("approval_edit", args=[study.pk, approval.pk]), data)

    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.state == Approval.State.NOT_SUBJECT
    assert approval.is_cleared
    assert [(c.text, c.is_met) for c in approval.conditions.all()] == [
        ("New condition", False),
        ("Encrypt recordings", True),
    ]
    event = AuditEvent.objects.get(study=study, action="approval.updated")
    assert "state" in event.data["fields"] and "reference" in event.data["fields"]

    page = researcher_client.get(reverse("approval_list", args=[study.pk])).content.decode()
    assert "Not subject to notification" in page


def test_edit_form_shows_conditions_one_per_line(researcher_client, study, researcher):
    approval = approval_create(study=study, actor=researcher, kind="sikt", conditions=["One", "Two"])
    response = researcher_client.get(reverse("approval_edit", args=[study.pk, approval.pk]))
    assert response.context["form"].initial["conditions_text"] == "One\nTwo"


@pytest.mark.parametrize("kind", sorted(NOT_PDFS))
def test_upload_that_is_not_a_pdf_writes_nothing(researcher_client, study, media_root, kind):
    response = researcher_client.post(
        reverse("approval_create", args=[study.pk]), sikt_post(letter_upload=fake_pdf_upload(kind))
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["letter_upload"]
    assert "“letter.pdf” is not a PDF file (checked by its content, not its name)." in errors
    assert Approval.objects.count() == 0
    assert ApprovalCondition.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert files_under(media_root) == []
    assert not AuditEvent.objects.filter(action__startswith="approval.").exists()


def test_upload_that_is_not_a_pdf_leaves_an_edited_approval_unchanged(researcher_client, study, media_root):
    approval = ApprovalFactory(study=study, state="submitted", reference="old")
    response = researcher_client.post(
        reverse("approval_edit", args=[study.pk, approval.pk]),
        sikt_post(reference="new", letter_upload=fake_pdf_upload("png")),
    )
    assert response.status_code == 400
    approval.refresh_from_db()
    assert (approval.reference, approval.letter_id) == ("old", None)
    assert files_under(media_root) == []


def test_service_checks_the_letter_before_any_write(study, researcher, media_root):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="is not a PDF file"):
        approval_create(study=study, actor=researcher, kind="sikt", letter=fake_pdf_upload("text"), conditions=["A"])
    assert Approval.objects.count() == 0
    assert files_under(media_root) == []


def test_a_failed_transaction_leaves_no_orphan_file(study, researcher, media_root, monkeypatch):
    from cases.services import files as file_services

    real_audit = file_services.audit_record

    def failing_audit(**kwargs):
        if kwargs["action"] == "approval.letter_attached":
            raise RuntimeError("database went away")
        return real_audit(**kwargs)

    monkeypatch.setattr(file_services, "audit_record", failing_audit)
    with pytest.raises(RuntimeError):
        approval_create(study=study, actor=researcher, kind="sikt", letter=pdf_upload(), conditions=["A"])
    assert Approval.objects.count() == 0
    assert StoredFile.objects.count() == 0
    assert files_under(media_root) == []


def test_answer_before_submission_is_a_clear_error_and_writes_nothing(researcher_client, study, media_root):
    data = sikt_post(submitted_on="2016-12-05", answered_on="2016-11-01", letter_upload=pdf_upload())
    response = researcher_client.post(reverse("approval_create", args=[study.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["answered_on"] == ["The answer cannot come before the submission."]
    assert "The answer cannot come before the submission." in response.content.decode()
    assert Approval.objects.count() == 0
    assert files_under(media_root) == []


def test_end_before_answer_is_a_clear_error(researcher_client, study):
    data = sikt_post(valid_until="2016-12-01")
    response = researcher_client.post(reverse("approval_create", args=[study.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["valid_until"] == ["The end date cannot be before the answer."]
    assert Approval.objects.count() == 0


def test_site_of_another_study_is_refused(researcher_client, study):
    other_site = SiteFactory(study=StudyFactory())
    response = researcher_client.post(
        reverse("approval_create", args=[study.pk]), sikt_post(kind="gatekeeper", site=other_site.pk)
    )
    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert Approval.objects.count() == 0


def test_gatekeeper_for_a_site(researcher_client, study):
    site = SiteFactory(study=study, pseudonym="Kommune A")
    response = researcher_client.post(
        reverse("approval_create", args=[study.pk]),
        sikt_post(kind="gatekeeper", site=site.pk, authority="Rådmannen", conditions_text=""),
    )
    assert response.status_code == 302
    page = researcher_client.get(reverse("approval_list", args=[study.pk])).content.decode()
    assert "Site gatekeeper · Kommune A" in page


def test_condition_toggle_ticks_and_unticks(researcher_client, study, researcher):
    approval = approval_create(study=study, actor=researcher, kind="sikt", conditions=["Encrypt recordings"])
    condition = approval.conditions.get()
    url = reverse("approval_condition_toggle", args=[study.pk, condition.pk])

    assert researcher_client.post(url, {"is_met": "1"}).status_code == 302
    condition.refresh_from_db()
    assert condition.is_met
    # A repeated click with the same value changes nothing.
    researcher_client.post(url, {"is_met": "1"})
    condition.refresh_from_db()
    assert condition.is_met
    # Without a value the tick flips.
    researcher_client.post(url)
    condition.refresh_from_db()
    assert not condition.is_met
    actions = list(
        AuditEvent.objects.filter(study=study, action__startswith="approval.condition_").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == [
        "approval.condition_checked",
        "approval.condition_checked",
        "approval.condition_unchecked",
    ]
    assert researcher_client.get(url).status_code == 405


def test_condition_of_another_study_is_404(researcher_client, study, outsider):
    other = approval_create(study=outsider.memberships.get().study, actor=outsider, kind="sikt", conditions=["X"])
    condition = other.conditions.get()
    response = researcher_client.post(
        reverse("approval_condition_toggle", args=[study.pk, condition.pk]), {"is_met": "1"}
    )
    assert response.status_code == 404
    condition.refresh_from_db()
    assert not condition.is_met


def test_supervisor_reads_but_sees_no_edit_buttons(supervisor_client, study, researcher):
    approval = approval_create(study=study, actor=researcher, kind="sikt", conditions=["Encrypt recordings"])
    response = supervisor_client.get(reverse("approval_list", args=[study.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Encrypt recordings" in content
    assert reverse("approval_edit", args=[study.pk, approval.pk]) not in content
    assert reverse("approval_create", args=[study.pk]) not in content
    assert "approval_condition_toggle" not in content and "/toggle/" not in content


def test_supervisor_gets_403_on_every_write_and_nothing_changes(supervisor_client, study, researcher, media_root):
    approval = approval_create(study=study, actor=researcher, kind="sikt", state="submitted", conditions=["A"])
    condition = approval.conditions.get()
    urls = [
        reverse("approval_create", args=[study.pk]),
        reverse("approval_edit", args=[study.pk, approval.pk]),
        reverse("approval_condition_toggle", args=[study.pk, condition.pk]),
    ]
    events = AuditEvent.objects.count()
    for url in urls:
        assert supervisor_client.get(url).status_code in (403, 405), url
        response = supervisor_client.post(url, sikt_post(state="rejected", is_met="1", letter_upload=pdf_upload()))
        assert response.status_code == 403, url
    approval.refresh_from_db()
    condition.refresh_from_db()
    assert approval.state == "submitted" and not condition.is_met
    assert Approval.objects.count() == 1
    assert AuditEvent.objects.count() == events
    assert files_under(media_root) == []


def test_outsider_gets_404_on_every_url(outsider_client, study, researcher):
    approval = approval_create(study=study, actor=researcher, kind="sikt", conditions=["A"])
    condition = approval.conditions.get()
    urls = [
        reverse("approval_list", args=[study.pk]),
        reverse("approval_create", args=[study.pk]),
        reverse("approval_edit", args=[study.pk, approval.pk]),
        reverse("approval_condition_toggle", args=[study.pk, condition.pk]),
    ]
    for url in urls:
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, sikt_post(is_met="1")).status_code == 404, url
    approval.refresh_from_db()
    assert not approval.conditions.get().is_met


def test_an_approval_of_another_study_is_404_for_a_member(researcher_client, study, outsider):
    other = ApprovalFactory(study=outsider.memberships.get().study)
    assert researcher_client.get(reverse("approval_edit", args=[study.pk, other.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, study):
    response = client.get(reverse("approval_list", args=[study.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_approval_list_query_count_does_not_grow(researcher_client, study, researcher, django_assert_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            approval_create(
                study=study,
                actor=researcher,
                kind="gatekeeper",
                site=SiteFactory(study=study),
                conditions=[f"Condition {i}a", f"Condition {i}b"],
                submitted_on=dt.date(2016, 11, 1),
            )

    # Session, user with membership and study, approvals with site and letter, conditions.
    url = reverse("approval_list", args=[study.pk])
    add(2)
    with django_assert_num_queries(4):
        assert researcher_client.get(url).status_code == 200
    add(8)
    with django_assert_num_queries(4):
        assert len(researcher_client.get(url).context["approvals"]) == 10


def test_sikt_comes_first_on_the_list(researcher_client, study):
    ApprovalFactory(study=study, kind=Approval.Kind.ORGANISATION)
    ApprovalFactory(study=study, kind=Approval.Kind.OTHER)
    ApprovalFactory(study=study, kind=Approval.Kind.SIKT)
    response = researcher_client.get(reverse("approval_list", args=[study.pk]))
    assert [a.kind for a in response.context["approvals"]] == ["sikt", "organisation", "other"]
