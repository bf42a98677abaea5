"""Study-002's motivation scale (1–10) asked inside each interview, recorded from the interview's session page."""

from __future__ import annotations

from django.urls import reverse

from cases.models import Questionnaire, QuestionnaireItem, QuestionnaireResponse
from cases.services.questionnaires import questionnaire_create, questionnaire_item_add, questionnaire_section_add
from tests.factories import AttendanceFactory, ConsentRecordFactory, InformantFactory, SessionFactory


def _motivation(study):
    questionnaire = questionnaire_create(
        study=study,
        actor=study.created_by,
        title="Skalaspørsmål om motivasjon",
        anonymous=False,
        mode=Questionnaire.Mode.IN_INTERVIEW,
    )
    version = questionnaire.versions.get()
    section = questionnaire_section_add(version=version, actor=study.created_by, title="Intervju")
    item = questionnaire_item_add(
        section=section,
        actor=study.created_by,
        text="Hvor motivert er du for KvalitetsLosen og forbedringsarbeid?",
        kind=QuestionnaireItem.Kind.SCALE,
        scale_max=10,
        scale_max_label="best",
    )
    return version, item


def test_the_interview_page_opens_the_entry_screen_for_its_informant(researcher_client, study):
    version, item = _motivation(study)
    informant = InformantFactory(study=study, code="EL1")
    ConsentRecordFactory(informant=informant, recorded_by=study.created_by)
    interview = SessionFactory(study=study, code="INT-EL1")
    AttendanceFactory(session=interview, informant=informant)
    page = researcher_client.get(reverse("session_detail", args=[study.pk, interview.pk])).content.decode()
    entry = reverse("questionnaire_entry", args=[study.pk, version.pk])
    link = f"{entry}?session={interview.pk}&amp;informant={informant.pk}"
    assert link in page
    form = researcher_client.get(link.replace("&amp;", "&")).content.decode()
    assert f'value="{informant.pk}" selected' in form and f'value="{interview.pk}" selected' in form
    response = researcher_client.post(
        entry, {"informant": informant.pk, "session": interview.pk, f"item-{item.pk}": "9"}
    )
    assert response["Location"] == f"{entry}?session={interview.pk}"
    answer = QuestionnaireResponse.objects.get()
    assert (answer.informant, answer.session) == (informant, interview)
    again = researcher_client.post(entry, {"informant": informant.pk, "session": interview.pk, f"item-{item.pk}": "6"})
    assert "already answered" in again.content.decode()
    assert QuestionnaireResponse.objects.count() == 1


def test_a_group_session_keeps_the_session_from_one_informant_to_the_next(researcher_client, study):
    version, item = _motivation(study)
    group = SessionFactory(study=study, code="FG1", kind="focus_group")
    informants = [InformantFactory(study=study, code=f"EL{n}") for n in range(1, 4)]
    page = researcher_client.get(reverse("session_detail", args=[study.pk, group.pk])).content.decode()
    entry = reverse("questionnaire_entry", args=[study.pk, version.pk])
    assert f'{entry}?session={group.pk}"' in page  # nobody came yet: no informant is preselected
    for informant, value in zip(informants, ["8", "9", "6"], strict=True):
        response = researcher_client.post(
            entry, {"informant": informant.pk, "session": group.pk, f"item-{item.pk}": value}
        )
        assert response["Location"] == f"{entry}?session={group.pk}"
    assert QuestionnaireResponse.objects.filter(session=group).count() == 3


def test_no_link_on_observation_pages_or_for_supervisors(researcher_client, supervisor_client, study):
    version, _item = _motivation(study)
    entry = reverse("questionnaire_entry", args=[study.pk, version.pk])
    observed = SessionFactory(study=study, kind="observation")
    assert entry not in researcher_client.get(reverse("session_detail", args=[study.pk, observed.pk])).content.decode()
    interview = SessionFactory(study=study)
    assert entry not in supervisor_client.get(reverse("session_detail", args=[study.pk, interview.pk])).content.decode()
