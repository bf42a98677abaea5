"""A small coded study for the retrieval, matrix and co-occurrence tests.

Informants (group, site, years of experience, gender):
AG1 (Arbeidsgiver, Kommune A, 5, kvinne), AG2 (Arbeidsgiver, Kommune B, 12, mann),
TV1 (Tillitsvalgt, Kommune B, –, kvinne).

Codes: Innovasjon > Medvirkning > Tillit, and Ledelse.

======  ======  =====================  ==========  =================  ===========
excerpt source  codes                  speakers    flag               session
======  ======  =====================  ==========  =================  ===========
e1      T1      Innovasjon, Medvirkning AG1, AG2   deviant            focus group
e2      T1      Medvirkning, Ledelse   AG1, TV1    counter-finding    focus group
e3      T1      Medvirkning            (none)      identifying        focus group
e4      N1      Medvirkning            AG2         –                  individual
e5      N1      Tillit, Ledelse        TV1         –                  individual
======  ======  =====================  ==========  =================  ===========
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from cases.models import AttributeDefinition, AttributeValue
from interviews.models import Excerpt, Session, Source
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from tests.factories import ConsentRecordFactory, InformantFactory, InformantGroupFactory, SessionFactory, SiteFactory

T1_SENTENCES = [
    "Vi fikk være med og bestemme hvordan turnusen skulle legges.",
    "Lederen lyttet, men tillitsvalgte ble holdt utenfor – æøå ÆØÅ.",
    "Det var noen som sa at det bare var pynt.",
]
N1_SENTENCES = [
    "Informanten fortalte om et forslag som ble satt ut i livet.",
    "Tilliten til ledelsen vokste etter prosjektet.",
]


def make_source(study, actor, title: str, sentences: list[str], **fields) -> Source:
    text = "\n".join(sentences) + "\n"
    return Source.objects.create(study=study, title=title, text=text, length=len(text), created_by=actor, **fields)


def make_excerpt(source: Source, actor, fragment: str, codes, speakers=(), **flags) -> Excerpt:
    start = source.text.index(fragment)
    excerpt = excerpt_create(
        source=source,
        actor=actor,
        start=start,
        end=start + len(fragment),
        text=fragment,
        code_ids=[code.pk for code in codes],
    )
    excerpt.speakers.set(speakers)
    if flags:
        Excerpt.objects.filter(pk=excerpt.pk).update(**flags)
    return excerpt


def build(study, actor) -> SimpleNamespace:
    w = SimpleNamespace(study=study)
    w.ag = InformantGroupFactory(study=study, label="Arbeidsgiver", position=0)
    w.tv = InformantGroupFactory(study=study, label="Tillitsvalgt", position=1)
    w.site_a = SiteFactory(study=study, pseudonym="Kommune A")
    w.site_b = SiteFactory(study=study, pseudonym="Kommune B")
    w.ag1 = InformantFactory(study=study, code="AG1", group=w.ag, site=w.site_a)
    w.ag2 = InformantFactory(study=study, code="AG2", group=w.ag, site=w.site_b)
    w.tv1 = InformantFactory(study=study, code="TV1", group=w.tv, site=w.site_b)
    for informant in (w.ag1, w.ag2, w.tv1):  # exports leave out informants without consent
        ConsentRecordFactory(informant=informant)
    w.years = AttributeDefinition.objects.create(study=study, name="Years of experience", kind="number")
    w.gender = AttributeDefinition.objects.create(study=study, name="Gender", kind="choice", choices=["kvinne", "mann"])
    AttributeValue.objects.create(informant=w.ag1, definition=w.years, value_number=Decimal("5"))
    AttributeValue.objects.create(informant=w.ag2, definition=w.years, value_number=Decimal("12"))
    for informant, gender in ((w.ag1, "kvinne"), (w.ag2, "mann"), (w.tv1, "kvinne")):
        AttributeValue.objects.create(informant=informant, definition=w.gender, value_text=gender)

    w.s01 = SessionFactory(study=study, code="S01", kind=Session.Kind.FOCUS_GROUP)
    w.s02 = SessionFactory(study=study, code="S02", kind=Session.Kind.INDIVIDUAL_INTERVIEW)
    w.t1 = make_source(study, actor, "T1 fokusgruppe", T1_SENTENCES, session=w.s01)
    w.n1 = make_source(study, actor, "N1 feltnotater", N1_SENTENCES, session=w.s02, kind=Source.Kind.FIELD_NOTES)

    w.innovasjon = code_create(study=study, actor=actor, name="Innovasjon", colour="#118ab2")
    w.medvirkning = code_create(study=study, actor=actor, name="Medvirkning", parent=w.innovasjon)
    w.tillit = code_create(study=study, actor=actor, name="Tillit", parent=w.medvirkning)
    w.ledelse = code_create(study=study, actor=actor, name="Ledelse")

    w.e1 = make_excerpt(w.t1, actor, T1_SENTENCES[0], [w.innovasjon, w.medvirkning], [w.ag1, w.ag2], is_deviant=True)
    w.e2 = make_excerpt(
        w.t1,
        actor,
        T1_SENTENCES[1],
        [w.medvirkning, w.ledelse],
        [w.ag1, w.tv1],
        is_counter_finding=True,
        memo="Motstemme – viktig for drøftingen",
    )
    w.e3 = make_excerpt(
        w.t1, actor, T1_SENTENCES[2], [w.medvirkning], [], has_identifying_details=True, has_unknown_speaker=True
    )
    w.e4 = make_excerpt(w.n1, actor, N1_SENTENCES[0], [w.medvirkning], [w.ag2])
    w.e5 = make_excerpt(w.n1, actor, N1_SENTENCES[1], [w.tillit, w.ledelse], [w.tv1])
    return w
