"""A study with something of every kind the end action touches, for the lifecycle tests."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.apps import apps
from django.core.files.base import ContentFile

from cases.models import ConsentRecord, ReportJob, SensitiveTerm, StoredFile, Study
from interviews.models import Memo, Recording, Source
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from tests.factories import (
    IdentityRecordFactory,
    InformantFactory,
    InformantGroupFactory,
    InformationLetterFactory,
    SessionFactory,
    SiteFactory,
)

TEXT = "Moderator: Hva skjedde?\nI1: Kari Nordmann i Bodø kommune startet Prosjekt Fyrlykt.\n"


def stored_file(study: Study, name: str) -> StoredFile:
    stored = StoredFile(
        study=study,
        original_name=name,
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        uploaded_by=study.created_by,
    )
    stored.file.save(name, ContentFile(b"%PDF-1.4"), save=True)
    return stored


def build(study: Study) -> SimpleNamespace:
    owner = study.created_by
    site = SiteFactory(study=study, pseudonym="Kommune A", real_name="Bodø kommune")
    group = InformantGroupFactory(study=study, label="Arbeidsgiver")
    first = InformantFactory(
        study=study,
        code="AG1",
        group=group,
        site=site,
        role="rådmann",
        notes="Kjenner forskeren godt",
        recruitment_channel="Via sjefen",
        relationship="colleague",
    )
    second = InformantFactory(study=study, code="AG2", group=group, site=site, role="personalleder")
    IdentityRecordFactory(informant=first, full_name="Kari Nordmann")
    identity = IdentityRecordFactory(informant=second, full_name="Ola Bodøgaard")
    identity.phone = "99887766"
    identity.save()  # a second historical version
    letter = InformationLetterFactory(study=study, file=stored_file(study, "letter.pdf"))
    form = stored_file(study, "samtykke-kari.pdf")
    ConsentRecord.objects.create(
        informant=first, letter=letter, given_on=dt.date(2017, 1, 10), recorded_by=owner, form=form
    )
    ConsentRecord.objects.create(informant=second, letter=letter, given_on=dt.date(2017, 1, 11), recorded_by=owner)
    SensitiveTerm.objects.create(study=study, term="Prosjekt Fyrlykt", kind=SensitiveTerm.Kind.PROJECT)
    session = SessionFactory(study=study, code="S01")
    recordings = [
        Recording.objects.create(session=session, device="iPhone", storage_location="minnebrikke"),
        Recording.objects.create(session=session, device="Zoom H1", deleted_on=dt.date(2017, 3, 1)),
    ]
    source = Source.objects.create(
        study=study, session=session, title="S01", text=TEXT, length=len(TEXT), created_by=owner
    )
    code = code_create(study=study, actor=owner, name="Oppstart")
    start = TEXT.index("Kari")
    excerpt = excerpt_create(
        source=source, actor=owner, start=start, end=len(TEXT) - 1, text=TEXT[start:-1], code_ids=[code.pk]
    )
    memo = Memo.objects.create(study=study, source=source, title="Om oppstart", text="Notat", created_by=owner)
    report = ReportJob.objects.create(
        study=study, kind=ReportJob.Kind.METHOD_OVERVIEW, requested_by=owner, language="nb", state="done"
    )
    report.file.save("r.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return SimpleNamespace(
        site=site,
        group=group,
        informants=[first, second],
        letter=letter,
        consent_form=form,
        session=session,
        recordings=recordings,
        source=source,
        code=code,
        excerpt=excerpt,
        memo=memo,
        report=report,
    )


def row_counts() -> dict[str, int]:
    """Rows in every table of the product, historical tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"cases", "interviews"}
    }


def file_names(study: Study) -> list[str]:
    names = list(StoredFile.objects.filter(study=study).values_list("file", flat=True))
    names += [n for n in ReportJob.objects.filter(study=study).values_list("file", flat=True) if n]
    return names
