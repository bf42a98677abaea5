"""Every URL pattern, every method, every persona, checked against the declared role policy.

The study URLs are discovered from the URL resolver; each must have an entry in
``OBJECT_FOR`` saying which object its ``pk`` names, so a new URL cannot escape
this test. For each URL:

* anonymous → redirect to the login page (GET and POST);
* outsider (a member of another study only) → 404 for every method;
* a member of another study asking for *this* study's object under *their own*
  study id → 404 (objects are always loaded through their study);
* each role → 403 exactly where ``cases.permissions.POLICY`` says no, and never
  403/404 where it says yes;
* a POST without a CSRF token → 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import (
    ApprovalCondition,
    AttributeDefinition,
    GuidePrompt,
    GuideQuestion,
    GuideTheme,
    Instrument,
    InstrumentVersion,
    Invitation,
    Membership,
    QuestionnaireItem,
    ReportJob,
    SensitiveTerm,
    StoredFile,
    Study,
)
from cases.permissions import Action, role_allows
from cases.services import chapters as chapter_services
from cases.services.datasets import dataset_create
from cases.services.questionnaires import (
    AnswerInput,
    questionnaire_create,
    questionnaire_item_add,
    questionnaire_response_create,
    questionnaire_section_add,
)
from interviews.models import (
    CodebookSnapshot,
    FieldNoteDisagreement,
    Memo,
    ObservationNote,
    OtherAttendee,
    Recording,
    ReviewBatch,
    ReviewComment,
    ReviewItem,
    Source,
    SpeakerLabel,
    SpeakerTurn,
    SupervisionDecision,
    SupervisionMeeting,
)
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from tests.conftest import client_for
from tests.factories import (
    ApprovalFactory,
    AttendanceFactory,
    ConsentRecordFactory,
    IdentityRecordFactory,
    InformantFactory,
    InformantGroupFactory,
    InformationLetterFactory,
    ResearchQuestionFactory,
    SessionFactory,
    SiteFactory,
    StudyFactory,
    UserFactory,
)
from tests.security.figures import collect_figure, count_figure, record_figure

pytestmark = pytest.mark.django_db

# Which object each study URL's ``pk`` names (None: the URL has no pk).
OBJECT_FOR: dict[str, str | None] = {
    "study_overview": None,
    "study_detail": None,
    "study_edit": None,
    "study_settings": None,
    "rq_create": None,
    "rq_edit": "research_question",
    "rq_move": "research_question",
    "rq_delete": "research_question",
    "member_list": None,
    "invitation_create": None,
    "invitation_revoke": "invitation",
    "member_remove": "membership",
    "audit_log": None,
    "site_list": None,
    "site_create": None,
    "site_edit": "site",
    "site_delete": "site",
    "group_create": None,
    "group_edit": "group",
    "group_delete": "group",
    "attribute_create": None,
    "attribute_edit": "attribute",
    "attribute_delete": "attribute",
    "informant_list": None,
    "informant_create": None,
    "informant_import": None,
    "informant_detail": "informant",
    "informant_edit": "informant",
    "identity_edit": "informant",
    "key_list": None,
    "approval_list": None,
    "approval_create": None,
    "approval_edit": "approval",
    "approval_condition_toggle": "condition",
    "file_download": "file",
    "consent_list": None,
    "letter_create": None,
    "letter_edit": "letter",
    "consent_history": "informant",
    "consent_record": "informant",
    "consent_withdraw": "informant",
    "instrument_list": None,
    "instrument_create": None,
    "instrument_edit": "instrument",
    "instrument_version": "version",
    "instrument_version_copy": "version",
    "guide_theme_add": "version",
    "guide_theme_edit": "theme",
    "guide_theme_delete": "theme",
    "guide_theme_move": "theme",
    "guide_question_add": "theme",
    "guide_question_edit": "question",
    "guide_question_delete": "question",
    "guide_question_move": "question",
    "guide_prompt_add": "question",
    "guide_prompt_edit": "prompt",
    "guide_prompt_delete": "prompt",
    "guide_prompt_move": "prompt",
    "session_list": None,
    "session_create": None,
    "session_detail": "session",
    "session_edit": "session",
    "attendance_edit": "session",
    "recording_create": "session",
    "recording_edit": "recording",
    "other_attendee_add": "session",
    "other_attendee_remove": "other_attendee",
    "session_agenda": "session",
    "observation_checklist": "session",
    "observation_checklist_save": "session",
    "observation_notes": "session",
    "observation_note_add": "session",
    "observation_notes_to_source": "session",
    "observation_note_delete": "observation_note",
    "field_notes_compare": "session",
    "disagreement_record": "session",
    "reconciled_notes_create": "session",
    "disagreement_resolve": "disagreement",
    "observation_counts": None,
    "report_list": None,
    "report_request": None,
    "report_status": "report",
    "report_download": "report",
    "chapter_list": None,
    "chapter_create": None,
    "chapter_edit": "chapter",
    "chapter_settings": "chapter",
    "chapter_delete": "chapter",
    "chapter_preview": "chapter",
    "chapter_export_gate": "chapter",
    "chapter_section_create": "chapter",
    "chapter_section_action": "chapter_section",
    "chapter_block_action": "chapter_block",
    "codebook": None,
    "code_create": None,
    "code_edit": "code",
    "code_move": "code",
    "code_reorder": "code",
    "code_merge": "code",
    "code_drop": "code",
    "code_delete": "code",
    "codebook_seed": None,
    "codebook_export": None,
    "codebook_import": None,
    "memo_list": None,
    "memo_create": None,
    "memo_edit": "memo",
    "memo_delete": "memo",
    "source_list": None,
    "source_create": None,
    "source_edit": "source",
    "source_normalise": "source",
    "source_new_version": "source",
    "speaker_mapping": "source",
    "source_delete": "source",
    "retrieval": None,
    "retrieval_export": None,
    "code_matrix": None,
    "code_matrix_export": None,
    "code_cooccurrence": None,
    "code_cooccurrence_export": None,
    "coding_view": "source",
    "coding_undo": "source",
    "coding_code_children": "code",
    "coding_code_search": None,
    "excerpt_create": None,
    "excerpt_adjust": "excerpt",
    "excerpt_code_add": "excerpt",
    "excerpt_code_remove": "excerpt",
    "excerpt_delete": "excerpt",
    "excerpt_detail": "excerpt",
    "excerpt_corroboration_search": "excerpt",
    "data_lifecycle": None,
    "lifecycle_settings": None,
    "reidentification_check": None,
    "sensitive_term_create": None,
    "sensitive_term_delete": "sensitive_term",
    "site_real_name_edit": "site",
    "informant_withdraw": "informant",
    "supervision_list": None,
    "supervision_meeting_create": None,
    "supervision_meeting_edit": "supervision_meeting",
    "supervision_meeting_delete": "supervision_meeting",
    "supervision_decision_add": "supervision_meeting",
    "supervision_decision_edit": "supervision_decision",
    "supervision_decision_toggle": "supervision_decision",
    "supervision_decision_delete": "supervision_decision",
    "review_list": None,
    "review_batch_create": None,
    "codebook_review_submit": None,
    "review_comment_add": None,
    "review_batch": "review_batch",
    "review_batch_submit": "review_batch",
    "review_batch_decide": "review_batch",
    "review_item_decide": "review_item",
    "review_comment_resolve": "review_comment",
    "codebook_versions": None,
    "codebook_signoff": None,
    "codebook_version": "codebook_snapshot",
    "exchange": None,
    "exchange_export_qdpx": None,
    "exchange_export_qdc": None,
    "exchange_excerpts_csv": None,
    "exchange_excerpts_xlsx": None,
    "exchange_codebook_xlsx": None,
    "exchange_matrix_xlsx": None,
    "exchange_import": None,
    "questionnaire_list": None,
    "questionnaire_create": None,
    "questionnaire_edit": "questionnaire",
    "questionnaire_delete": "questionnaire",
    "questionnaire_version": "questionnaire_version",
    "questionnaire_version_copy": "questionnaire_version",
    "questionnaire_section_add": "questionnaire_version",
    "questionnaire_entry": "questionnaire_version",
    "questionnaire_results": "questionnaire_version",
    "questionnaire_responses": "questionnaire_version",
    "questionnaire_export": "questionnaire_version",
    "questionnaire_free_text_source": "questionnaire_version",
    "questionnaire_section_edit": "questionnaire_section",
    "questionnaire_section_delete": "questionnaire_section",
    "questionnaire_section_move": "questionnaire_section",
    "questionnaire_item_add": "questionnaire_section",
    "questionnaire_item_edit": "questionnaire_item",
    "questionnaire_item_delete": "questionnaire_item",
    "questionnaire_item_move": "questionnaire_item",
    "questionnaire_response_delete": "questionnaire_response",
    "questionnaire_response_note": "questionnaire_response",
    "dataset_create": None,
    "dataset_detail": "dataset",
    "dataset_edit": "dataset",
    "dataset_delete": "dataset",
}

# URLs whose view lets every member in (Action.VIEW) but whose service decides who may act:
# reviewing is for the supervisor (or, without one, a co-researcher who did not make the batch).
SERVICE_CHECKED = {"review_batch_decide", "review_item_decide", "codebook_signoff"}

# URLs outside any study: what anonymous users get.
# Public on purpose. The health checks (ops/views.py) are not study URLs: load balancers and monitoring call
# them without a session, and they show no study data — only "ok"/"unavailable" per dependency.
PUBLIC_OK = {"login", "logout", "invitation_accept", "set_language", "health_live", "health_ready", "health_worker"}


@dataclass
class StudyUrl:
    name: str
    view: Callable
    needs_pk: bool


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def study_urls() -> list[StudyUrl]:
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if "<int:study_id>" in route and pattern.name:
            found.append(StudyUrl(pattern.name, pattern.callback, "<int:pk>" in route or "<uuid:pk>" in route))
    return found


def other_urls() -> list[tuple[str, str]]:
    return [
        (route, pattern.name)
        for route, pattern in _walk(get_resolver().url_patterns)
        if "<int:study_id>" not in route and pattern.name and not route.startswith("admin/")
    ]


def build_world(study: Study) -> SimpleNamespace:
    """One object of every kind in ``study``."""
    owner = study.created_by
    rq = ResearchQuestionFactory(study=study)
    site = SiteFactory(study=study)
    group = InformantGroupFactory(study=study)
    informant = InformantFactory(study=study, group=group, site=site)
    IdentityRecordFactory(informant=informant)
    letter = InformationLetterFactory(study=study)
    ConsentRecordFactory(informant=informant, letter=letter, recorded_by=owner)
    approval = ApprovalFactory(study=study)
    condition = ApprovalCondition.objects.create(approval=approval, text="Krypter opptak")
    stored = StoredFile(
        study=study,
        original_name="brev.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        uploaded_by=owner,
    )
    stored.file.save("brev.pdf", ContentFile(b"%PDF-1.4"), save=True)
    attribute = AttributeDefinition.objects.create(study=study, name="Kjønn", kind="choice", choices=["K", "M"])
    instrument = Instrument.objects.create(study=study, title="Intervjuguide")
    version = InstrumentVersion.objects.create(instrument=instrument, label="v1")
    theme = GuideTheme.objects.create(version=version, title="Innovasjon")
    question = GuideQuestion.objects.create(theme=theme, label="Q1", text="Hva er innovasjon?", research_question=rq)
    prompt = GuidePrompt.objects.create(question=question, text="Eksempler?")
    session = SessionFactory(study=study)
    attendance = AttendanceFactory(session=session, informant=informant)
    recording = Recording.objects.create(session=session, device="iPhone", deletion_due=dt.date(2017, 5, 1))
    other_attendee = OtherAttendee.objects.create(session=session, role="Prosessveileder")
    observation_note = ObservationNote.objects.create(session=session, observer=owner, note_type="said", text="Hei")
    report = ReportJob.objects.create(
        study=study, kind=ReportJob.Kind.METHOD_OVERVIEW, requested_by=owner, language="nb", state="done"
    )
    report.file.save("r.pdf", ContentFile(b"%PDF-1.4"), save=True)
    invitation = Invitation.objects.create(
        study=study,
        email="invited@example.org",
        role="supervisor",
        token=f"tok-{study.pk}",
        invited_by=owner,
        expires_at=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
    )
    text = "Moderator: Hva er innovasjon?\nI1: Å fornye organisasjonen.\n"
    source = Source.objects.create(
        study=study, session=session, title="S01", text=text, length=len(text), created_by=owner
    )
    speaker = SpeakerLabel.objects.create(
        source=source, label="I1", role=SpeakerLabel.Role.INFORMANT, informant=informant
    )
    SpeakerTurn.objects.create(source=source, speaker=speaker, start=30, end=len(text), label_end=34)
    code = code_create(study=study, actor=owner, name="Fornyelse")
    child_code = code_create(study=study, actor=owner, name="Organisasjon", parent=code)
    excerpt = excerpt_create(
        source=source, actor=owner, start=34, end=58, text=text[34:58], code_ids=[code.pk, child_code.pk]
    )
    supervision_meeting = SupervisionMeeting.objects.create(study=study, held_on=dt.date(2017, 1, 5), created_by=owner)
    supervision_decision = SupervisionDecision.objects.create(meeting=supervision_meeting, text="Beslutning")
    review_batch = ReviewBatch.objects.create(study=study, title="Runde 1", code=code, created_by=owner)
    review_item = ReviewItem.objects.create(batch=review_batch, excerpt=excerpt)
    review_comment = ReviewComment.objects.create(
        study=study, excerpt=excerpt, batch=review_batch, author=owner, text="Se på avgrensningen"
    )
    codebook_snapshot = CodebookSnapshot.objects.create(study=study, version=1, codes=[], approved_by=owner)
    sensitive_term = SensitiveTerm.objects.create(study=study, term="Fyrlykt", kind="project")
    memo = Memo.objects.create(study=study, code=code, title="Om fornyelse", text="Notat", created_by=owner)
    notes = Source.objects.create(
        study=study, session=session, kind="field_notes", title="Notater", text="Notat", length=5, created_by=owner
    )
    disagreement = FieldNoteDisagreement.objects.create(
        session=session,
        topic="Stemning",
        first_source=source,
        first_view="a",
        second_source=notes,
        second_view="b",
        created_by=owner,
    )
    extra = UserFactory()
    membership = Membership.objects.create(study=study, user=extra, role=Membership.Role.CO_RESEARCHER)
    questionnaire = questionnaire_create(study=study, actor=owner, title="Evaluering")
    questionnaire_version = questionnaire.versions.get()
    questionnaire_section = questionnaire_section_add(version=questionnaire_version, actor=owner, title="Nytte")
    questionnaire_item = questionnaire_item_add(
        section=questionnaire_section, actor=owner, text="Kommentar", kind=QuestionnaireItem.Kind.FREE_TEXT
    )
    questionnaire_response = questionnaire_response_create(
        version=questionnaire_version, actor=owner, answers={questionnaire_item.pk: AnswerInput(text="Nyttig")}
    )
    dataset = dataset_create(study=study, actor=owner, title="KS 10-faktor", columns=["A", "Norge"], rows=[])
    chapter = chapter_services.chapter_create(study=study, actor=owner, title="Funn")
    chapter_section = chapter_services.section_create(
        chapter=chapter, actor=owner, title="Fornyelse", feed="code", code=code
    )
    chapter_block = chapter_section.blocks.get()
    return SimpleNamespace(
        chapter=chapter,
        chapter_section=chapter_section,
        chapter_block=chapter_block,
        questionnaire=questionnaire,
        questionnaire_version=questionnaire_version,
        questionnaire_section=questionnaire_section,
        questionnaire_item=questionnaire_item,
        questionnaire_response=questionnaire_response,
        dataset=dataset,
        research_question=rq,
        site=site,
        group=group,
        informant=informant,
        letter=letter,
        approval=approval,
        condition=condition,
        file=stored,
        attribute=attribute,
        instrument=instrument,
        version=version,
        theme=theme,
        question=question,
        prompt=prompt,
        session=session,
        attendance=attendance,
        recording=recording,
        report=report,
        invitation=invitation,
        membership=membership,
        source=source,
        speaker=speaker,
        code=code,
        child_code=child_code,
        excerpt=excerpt,
        memo=memo,
        sensitive_term=sensitive_term,
        supervision_meeting=supervision_meeting,
        supervision_decision=supervision_decision,
        review_batch=review_batch,
        review_item=review_item,
        review_comment=review_comment,
        codebook_snapshot=codebook_snapshot,
        other_attendee=other_attendee,
        observation_note=observation_note,
        disagreement=disagreement,
    )


def url_for(entry: StudyUrl, study: Study, world: SimpleNamespace) -> str:
    kwargs = {"study_id": study.pk}
    if entry.needs_pk:
        kwargs["pk"] = getattr(world, OBJECT_FOR[entry.name]).pk
    return reverse(entry.name, kwargs=kwargs)


@pytest.fixture
def world(study, co_researcher, supervisor):
    return build_world(study)


def _request(client: Client, method: str, url: str):
    """Make a request and roll back whatever it changed, so every cell starts from the same data."""
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    count_figure("url_requests")
    collect_figure("url_methods", method)
    return response


def test_every_study_url_is_registered():
    names = {entry.name for entry in study_urls()}
    record_figure("url_patterns", len(names))
    missing = names - OBJECT_FOR.keys()
    assert not missing, f"add these URLs to OBJECT_FOR: {sorted(missing)}"
    assert not OBJECT_FOR.keys() - names, "OBJECT_FOR names URLs that no longer exist"


def test_every_study_view_declares_its_action():
    for entry in study_urls():
        assert isinstance(getattr(entry.view, "study_action", None), Action), entry.name


def test_anonymous_is_sent_to_login_everywhere(client, world, study):
    collect_figure("url_personas", "anonymous")
    checked = 0
    for entry in study_urls():
        url = url_for(entry, study, world)
        for method in ("get", "post"):
            response = _request(client, method, url)
            assert response.status_code == 302, (entry.name, method, response.status_code)
            assert response["Location"].startswith(reverse("login")), (entry.name, method)
            checked += 1
    for route, name in other_urls():
        if name in PUBLIC_OK or "<" in route:
            continue
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    assert checked > 20


def test_outsider_gets_404_for_every_url_and_method(outsider_client, world, study):
    collect_figure("url_personas", "outsider")
    for entry in study_urls():
        url = url_for(entry, study, world)
        for method in ("get", "post", "put", "patch", "delete"):
            response = _request(outsider_client, method, url)
            assert response.status_code == 404, (entry.name, method, response.status_code)


def test_objects_of_another_study_are_404_under_ones_own_study(outsider, world, study):
    """A member of study B, asking for study A's objects with study B's id, gets 404."""
    collect_figure("url_personas", "member of another study")
    own_study = Study.objects.get(created_by=outsider)
    client = client_for(outsider)
    for entry in study_urls():
        if not entry.needs_pk:
            continue
        url = reverse(entry.name, kwargs={"study_id": own_study.pk, "pk": getattr(world, OBJECT_FOR[entry.name]).pk})
        # The method the view accepts must not find the object; the other may be refused (405) before any lookup.
        statuses = {method: _request(client, method, url).status_code for method in ("get", "post")}
        assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (entry.name, statuses)


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.CO_RESEARCHER, Membership.Role.SUPERVISOR])
def test_each_role_gets_exactly_what_the_policy_says(role, world, study, researcher, co_researcher, supervisor):
    user = {
        Membership.Role.OWNER: researcher,
        Membership.Role.CO_RESEARCHER: co_researcher,
        Membership.Role.SUPERVISOR: supervisor,
    }[role]
    client = client_for(user)
    collect_figure("url_personas", role)
    for key_list_access in Study.KeyListAccess.values:
        Study.objects.filter(pk=study.pk).update(key_list_access=key_list_access)
        study.refresh_from_db()
        for entry in study_urls():
            allowed = role_allows(study, role, entry.view.study_action)
            url = url_for(entry, study, world)
            for method in ("get", "post"):
                response = _request(client, method, url)
                if allowed and entry.name in SERVICE_CHECKED:
                    assert response.status_code not in (404, 500), (
                        role,
                        key_list_access,
                        entry.name,
                        method,
                        response.status_code,
                    )
                elif allowed:
                    assert response.status_code not in (403, 404, 500), (
                        role,
                        key_list_access,
                        entry.name,
                        method,
                        response.status_code,
                    )
                else:
                    assert response.status_code == 403, (
                        role,
                        key_list_access,
                        entry.name,
                        method,
                        response.status_code,
                    )


def test_every_post_without_csrf_token_is_refused(world, study, researcher):
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher, backend="config.auth.ModelBackend")
    for entry in study_urls():
        response = _request(client, "post", url_for(entry, study, world))
        assert response.status_code == 403, (entry.name, response.status_code)


def test_study_urls_cover_the_product():
    # Guard against the resolver walk silently finding nothing.
    assert len(study_urls()) >= 13
    assert StudyFactory._meta.model is Study
