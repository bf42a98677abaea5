"""Information letters and consent. Consent records are appended, never edited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import ConsentRecord, Informant, InformationLetter, Study, User

from .audit import audit_record
from .files import stored_file_attach, stored_file_check, stored_file_create, uploads_discarded_on_failure
from .records import record_create, record_update
from .reports import reports_invalidate_for_informant

SCOPE_FIELDS = ("covers_interview", "covers_recording", "covers_observation", "covers_quotes")


def _letter_attach_file(letter: InformationLetter, actor: User, upload: UploadedFile | None) -> None:
    stored_file_attach(
        instance=letter,
        field_name="file",
        study=letter.study,
        actor=actor,
        upload=upload,
        action="information_letter.file_attached",
        label=letter.version,
    )


def information_letter_create(
    *, study: Study, actor: User, upload: UploadedFile | None = None, **fields: Any
) -> InformationLetter:
    """Record a version of the information letter; ``upload`` (a PDF) is checked before any write."""
    if upload is not None:
        stored_file_check(upload)
    with uploads_discarded_on_failure(), transaction.atomic():
        letter = InformationLetter(study=study, **fields)
        record_create(
            study=study, actor=actor, instance=letter, action="information_letter.created", label=letter.version
        )
        _letter_attach_file(letter, actor, upload)
    return letter


def information_letter_update(
    *, letter: InformationLetter, actor: User, data: dict[str, Any], upload: UploadedFile | None = None
) -> InformationLetter:
    """Change a letter's details; a new file replaces the attached one."""
    if upload is not None:
        stored_file_check(upload)
    with uploads_discarded_on_failure(), transaction.atomic():
        record_update(
            study=letter.study,
            actor=actor,
            instance=letter,
            action="information_letter.updated",
            data=data,
            label=letter.version,
        )
        _letter_attach_file(letter, actor, upload)
    return letter


def consent_current(informant: Informant) -> ConsentRecord | None:
    return informant.consents.order_by("-recorded_at", "-id").first()


def consent_narrows(previous: ConsentRecord | None, record: ConsentRecord) -> bool:
    """Whether ``record`` takes back something ``previous`` allowed: a withdrawal, a lost scope, given → pending."""
    if record.state == ConsentRecord.State.WITHDRAWN:
        return True
    if previous is None:
        return False
    if previous.state == ConsentRecord.State.GIVEN and record.state != ConsentRecord.State.GIVEN:
        return True
    return any(getattr(previous, name) and not getattr(record, name) for name in SCOPE_FIELDS)


def consent_record(
    *, informant: Informant, actor: User, signed_form: UploadedFile | None = None, **fields: Any
) -> ConsentRecord:
    """Append a new consent version for ``informant``.

    Before: the informant belongs to the actor's study; ``signed_form``, if
    given, is a readable PDF. After: the new record is the informant's current
    consent; earlier records are untouched. When the new version narrows what
    was allowed (a withdrawal, a scope taken back), every done report holding
    the informant's data is stale and its file is no longer served.
    """
    if signed_form is not None:
        stored_file_check(signed_form)
    with uploads_discarded_on_failure(), transaction.atomic():
        Informant.objects.select_for_update().filter(pk=informant.pk).first()
        previous = consent_current(informant)
        if previous is not None and previous.state == ConsentRecord.State.WITHDRAWN:
            raise ValidationError(
                _("%(code)s has withdrawn; a withdrawal cannot be undone here.") % {"code": informant.code}
            )
        record = ConsentRecord(informant=informant, recorded_by=actor, **fields)
        record.full_clean()
        if signed_form is not None:
            record.form = stored_file_create(study=informant.study, actor=actor, upload=signed_form)
        record.save()
        audit_record(
            study=informant.study,
            actor=actor,
            action="consent.recorded",
            target=record,
            label=informant.code,
            state=record.state,
            mode=record.mode,
            letter=record.letter.version if record.letter else None,
            scope=[
                name
                for name in ("interview", "recording", "observation", "quotes")
                if getattr(record, f"covers_{name}")
            ],
            previous_id=previous.pk if previous else None,
        )
        if consent_narrows(previous, record):
            reports_invalidate_for_informant(
                informant_id=informant.pk,
                study=informant.study,
                actor=actor,
                reason="An informant's consent changed after this report was made.",
            )
    return record


def consent_withdraw(*, informant: Informant, actor: User, withdrawn_on: dt.date) -> ConsentRecord:
    """Record a withdrawal as a new consent version and mark the informant withdrawn.

    The informant's data stays until ``cases.services.withdrawal.informant_withdraw``
    carries out what the study's information letter promised (delete or anonymise);
    meanwhile every export and the supervisor's views leave them out.
    """
    previous = consent_current(informant)
    base: dict[str, Any] = {}
    if previous is not None:
        base = {
            "letter": previous.letter,
            "mode": previous.mode,
            "given_on": previous.given_on,
            "covers_interview": previous.covers_interview,
            "covers_recording": previous.covers_recording,
            "covers_observation": previous.covers_observation,
            "covers_quotes": previous.covers_quotes,
        }
    with transaction.atomic():
        record = consent_record(informant=informant, actor=actor, withdrawn_on=withdrawn_on, **base)
        Informant.objects.filter(pk=informant.pk).update(status=Informant.Status.WITHDRAWN)
    return record
