"""A study in which informant TV5 has left traces everywhere, for the withdrawal tests.

TV5 speaks alone in an individual interview (S01) and with AG2 in a focus group
(FG1); both transcripts are coded, a memo and AG2's excerpt memo quote TV5, TV5
signed a consent form (a stored PDF), has attendance, attribute values, a
key-list entry edited twice, audit rows naming the code, and a done report
contains both informants.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import AttributeDefinition, AttributeValue, ReportJob, Study
from cases.services.consent import consent_record
from cases.services.people import identity_list, identity_read, identity_save, informant_create
from interviews.importers import read_pasted
from interviews.models import Recording, Session
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create, excerpt_update_details
from interviews.services.fieldwork import attendance_set
from interviews.services.memos import memo_create
from interviews.services.sources import source_create
from tests.cases.uploads import pdf_bytes
from tests.factories import InformantGroupFactory, SessionFactory, SiteFactory

INTERVIEW = (
    "Intervjuer: Hva tenker du om medvirkning?\n"
    "TV5: Jeg mener at ledelsen må lytte mer til de ansatte i hverdagen.\n"
    "Intervjuer: Takk for det.\n"
)
FOCUS_GROUP = (
    "Moderator: Velkommen til fokusgruppen.\n"
    "TV5: Turnusen ble bestemt over hodet på oss i fjor høst.\n"
    "AG2: Vi prøvde å involvere alle tillitsvalgte tidlig i prosessen.\n"
    "TV5: Det var ikke slik vi opplevde det på gulvet.\n"
    "Moderator: Takk begge to.\n"
)
TV5_WORDS = [
    "Jeg mener at ledelsen må lytte mer til de ansatte i hverdagen.",
    "Turnusen ble bestemt over hodet på oss i fjor høst.",
    "Det var ikke slik vi opplevde det på gulvet.",
]
AG2_WORDS = "Vi prøvde å involvere alle tillitsvalgte tidlig i prosessen."


def _code(source, words: str, actor, code):
    start = source.text.index(words)
    return excerpt_create(
        source=source, actor=actor, start=start, end=start + len(words), text=words, code_ids=[code.pk]
    )


def build(study: Study, *, action: str) -> SimpleNamespace:
    w = SimpleNamespace(study=study)
    actor = study.created_by
    w.actor = actor
    study.withdrawal_action = action
    study.save(update_fields=["withdrawal_action"])
    group = InformantGroupFactory(study=study, label="Tillitsvalgt")
    site = SiteFactory(study=study, pseudonym="Kommune A")
    w.years = AttributeDefinition.objects.create(study=study, name="Years", kind="number")
    w.tv5 = informant_create(
        study=study,
        actor=actor,
        code="TV5",
        group=group,
        site=site,
        role="hovedtillitsvalgt",
        recruitment_channel="via HR",
        notes="Sa ja på telefon",
        attributes={w.years: "12"},
    )
    w.ag2 = informant_create(study=study, actor=actor, code="AG2", group=group, site=site, role="personalleder")
    AttributeValue.objects.get_or_create(informant=w.ag2, definition=w.years, defaults={"value_number": 4})
    identity_save(informant=w.tv5, actor=actor, full_name="Tove Vik", email="tove@example.org")
    identity_save(informant=w.tv5, actor=actor, full_name="Tove Vik", phone="99887766")
    identity_read(informant=w.tv5, actor=actor)
    identity_list(study=study, actor=actor)

    signed = SimpleUploadedFile("samtykke-tove-vik.pdf", pdf_bytes(), content_type="application/pdf")
    w.consent = consent_record(informant=w.tv5, actor=actor, given_on=dt.date(2017, 1, 5), signed_form=signed)
    w.form = w.consent.form
    w.form_path = w.form.file.path
    consent_record(informant=w.ag2, actor=actor, given_on=dt.date(2017, 1, 6))

    w.s01 = SessionFactory(study=study, code="S01", kind=Session.Kind.INDIVIDUAL_INTERVIEW)
    w.fg1 = SessionFactory(study=study, code="FG1", kind=Session.Kind.FOCUS_GROUP)
    attendance_set(session=w.s01, informant=w.tv5, actor=actor, status="came")
    attendance_set(session=w.fg1, informant=w.tv5, actor=actor, status="came")
    attendance_set(session=w.fg1, informant=w.ag2, actor=actor, status="came")
    w.s01_recording = Recording.objects.create(session=w.s01, device="Zoom H1")
    w.fg1_recording = Recording.objects.create(session=w.fg1, device="Zoom H1")

    w.interview = source_create(
        study=study, actor=actor, imported=read_pasted(INTERVIEW), title="Intervju 1", session=w.s01
    )
    w.focus_group = source_create(
        study=study, actor=actor, imported=read_pasted(FOCUS_GROUP), title="Fokusgruppe 1", session=w.fg1
    )
    code = code_create(study=study, actor=actor, name="Medvirkning")
    w.tv5_interview = _code(w.interview, TV5_WORDS[0], actor, code)
    w.tv5_group = _code(w.focus_group, TV5_WORDS[1], actor, code)
    w.tv5_group_second = _code(w.focus_group, TV5_WORDS[2], actor, code)
    w.ag2_group = _code(w.focus_group, AG2_WORDS, actor, code)
    excerpt_update_details(
        excerpt=w.ag2_group,
        actor=actor,
        memo=f"AG2 sier det motsatte av «{TV5_WORDS[1]}»",
        condensed_meaning="Tidlig involvering",
        is_deviant=False,
        is_counter_finding=True,
        has_identifying_details=False,
    )
    w.study_memo = memo_create(
        study=study, actor=actor, title="Lytting", text=f"Sentralt sitat: «{TV5_WORDS[0]}» – se også AG2."
    )
    w.interview_memo = memo_create(
        study=study, actor=actor, title="Om intervjuet", text="Rolig stemning.", source=w.interview
    )

    w.report = ReportJob.objects.create(
        study=study,
        kind=ReportJob.Kind.METHOD_OVERVIEW,
        state=ReportJob.State.DONE,
        language="nb",
        requested_by=actor,
        informant_ids=[w.tv5.pk, w.ag2.pk],
    )
    w.report.file.save("method_overview.pdf", ContentFile(pdf_bytes()), save=True)
    w.report_path = w.report.file.path
    w.tv5_excerpt_ids = [w.tv5_interview.pk, w.tv5_group.pk, w.tv5_group_second.pk]
    return w
