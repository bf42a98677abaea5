"""The four shared theses as studies, and chapter 4 composed in each thesis's own shape.

``build_thesis(n, owner)`` writes the study from ``tests/fixtures/domain/study-00n.json``
through the product's services (factories only for users): groups, sites and
informants (all with consent), one session whose transcript is imported as a file
with a ``CODE:`` turn per passage, a code per section of the thesis's chapter 4 (so each excerpt is coded to
the section the thesis printed it in) and, for 001, the interview-guide
questions with Q3 and Q4 merged as the thesis did. Most excerpts carry no
speaker in the data; the speaker is taken from the group the thesis names
(focus group, "(Arbeidsgiver)") and spread over that group's informants, and the
coding service derives it from the transcript's turns.

The ``compose_00n`` functions build the chapter through the composer's services.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from io import BytesIO
from itertools import cycle
from pathlib import Path
from types import SimpleNamespace

from pypdf import PdfReader

from cases.models import Attribution, ChapterBlock, ChapterSection
from cases.services import chapters as services
from cases.services.consent import consent_record
from cases.services.datasets import RowInput, dataset_create
from cases.services.instruments import guide_question_add, guide_theme_add, instrument_create
from cases.services.people import group_create, informant_create, site_create
from cases.services.studies import study_create
from interviews import importers
from interviews.importers import ImportedText
from interviews.models import Code, Session
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from interviews.services.fieldwork import session_create
from interviews.services.sources import source_create

DOMAIN = Path(__file__).resolve().parents[1] / "fixtures" / "domain"
Feed = ChapterSection.Feed
NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\s")
STUDY_FIELDS = {
    "problem_statement": "Hva forteller informantene?",
    "institution": "NTNU",
    "programme": "Master i organisasjon og ledelse",
    "year": 2017,
    "start_date": dt.date(2016, 9, 1),
    "end_date": dt.date(2017, 5, 1),
}
CONSENT_GIVEN_ON = dt.date(2017, 1, 10)
SESSION_DATE = dt.date(2017, 1, 20)


def load(n: int) -> dict:
    return json.loads((DOMAIN / f"study-00{n}.json").read_text())


def clean(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def pdf_text(data: bytes) -> str:
    """The PDF's text on one line, with WeasyPrint's end-of-line hyphens joined again."""
    return comparable(" ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def comparable(text: str) -> str:
    """Whitespace collapsed; line-end hyphens and breaks after a slash, which the PDF may add, joined."""
    return re.sub(r"(\w)[‐-] (\w)", r"\1\2", clean(text)).replace("/ ", "/")


def _group_label(n: int, informant: dict) -> str:
    if n == 3:
        return informant["group"].capitalize()  # the thesis prints (Arbeidsgiver), (Tillitsvalgt)
    return informant["group"]


def _speaker_group(n: int, excerpt: dict) -> str | None:
    if n == 1:
        return {"FG1": "FG1 Tromsø-gruppen", "FG2": "FG2 Drammens-gruppen", "FG3": "FG3 Teamlederne"}[
            excerpt["speaker_group"]
        ]
    if n == 3:
        return (excerpt.get("informant_group") or "").capitalize() or None
    return None


def _outline(n: int, data: dict) -> list[dict]:
    entries = [e for e in data["chapter4_outline"] if "." in str(e["number"]) and e["number"] != "4.0"]
    return [e for e in entries if e.get("kind", "section") in ("section", "chapter") or n != 2]


def _transcript(turns: list[tuple[object, str]]) -> ImportedText:
    """The transcript as the researcher uploads it: one ``CODE: speech`` line per passage, read by the importer."""
    lines = "\n".join(f"{speaker.code}: {text}" for speaker, text in turns) + "\n"
    return importers.read_bytes(lines.encode("utf-8"), filename="transkripsjoner.txt")


def build_thesis(n: int, owner) -> SimpleNamespace:
    """The study of thesis ``n`` written through the product's services, as the researcher would build it.

    Study, groups, sites, informants with their consent, one session, the
    transcript imported as a file (speaker turns found from the informant codes),
    the codebook, and the excerpts coded in the coding service, whose speakers
    are derived from the turns.
    """
    data = load(n)
    title = clean(data["study"].get("title") or f"Studie {n}")[:300]
    study = study_create(owner=owner, title=title, language="nb", **STUDY_FIELDS)
    w = SimpleNamespace(n=n, data=data, study=study, owner=owner, groups={}, sites={}, informants={}, by_group={})
    for informant in data["informants"]:
        label = _group_label(n, informant)
        if label not in w.groups:
            w.groups[label] = group_create(study=study, actor=owner, label=label[:100], position=len(w.groups))
        place = (informant.get("attributes") or {}).get("site")
        if isinstance(place, str) and place and place not in w.sites:
            w.sites[place] = site_create(study=study, actor=owner, pseudonym=place[:100])
        person = informant_create(
            study=study,
            actor=owner,
            code=informant["code"],
            group=w.groups[label],
            site=w.sites.get(place) if isinstance(place, str) else None,
            role=clean(informant.get("role") or "")[:200],
        )
        consent_record(informant=person, actor=owner, given_on=CONSENT_GIVEN_ON)
        w.informants[person.code] = person
        w.by_group.setdefault(label, []).append(person)
    everyone = cycle(list(w.informants.values()))
    rotation = {label: cycle(people) for label, people in w.by_group.items()}

    # Section codes: one per numbered section of the thesis's chapter 4 (002: one per finding headline too).
    w.section_codes = {}
    for entry in data["chapter4_outline"]:
        number = str(entry["number"])
        if "." not in number or number == "4.0":
            continue
        name = f"{number} {clean(entry['title'])}"[:200]
        w.section_codes[number] = code_create(study=study, actor=owner, name=name)
        for heading in entry.get("finding_headings") or []:
            w.section_codes[clean(heading["title"])] = code_create(
                study=study, actor=owner, name=clean(heading["title"])[:200]
            )
    if n == 1:
        _guide_001(w)

    # Who says what: the passage's speaker from the group the thesis names, else the next informant.
    passages, seen, speaker_of = [], set(), {}
    for row in data["excerpts"]:
        text = clean(row["text"])
        if not text or text in seen or not row.get("chapter4_section"):
            continue
        seen.add(text)
        codes = []
        match = NUMBER.match(row["chapter4_section"])
        if match and match.group(1) in w.section_codes:
            codes.append(w.section_codes[match.group(1)])
        if row.get("finding_heading") and clean(row["finding_heading"]) in w.section_codes:
            codes.append(w.section_codes[clean(row["finding_heading"])])
        if n == 1:
            codes.append(w.question_codes[row["question"]])
        if not codes:
            continue
        label = _speaker_group(n, row)
        overlapped = row.get("overlaps_with_excerpt")
        if overlapped in speaker_of:  # the same passage, cut twice: the same speaker
            speaker = speaker_of[overlapped]
        else:
            speaker = next(rotation[label]) if label in rotation else next(everyone)
        speaker_of[row.get("id")] = speaker
        passages.append((speaker, text, codes, row))

    w.session = session_create(
        study=study,
        actor=owner,
        code="S01",
        title="Intervjuer",
        kind=Session.Kind.GROUP_INTERVIEW,
        status=Session.Status.HELD,
        date=SESSION_DATE,
    )
    w.source = source_create(
        study=study,
        actor=owner,
        imported=_transcript([(speaker, text) for speaker, text, _codes, _row in passages]),
        title="Transkripsjoner",
        session=w.session,
    )
    known = {code.pk: code for code in Code.objects.filter(study=study)}
    w.excerpts = []  # (Excerpt, the data's row)
    position = 0
    for speaker, text, codes, row in passages:
        start = w.source.text.index(text, position)
        position = start + len(text)
        excerpt = excerpt_create(
            source=w.source,
            actor=owner,
            start=start,
            end=position,
            text=text,
            code_ids=[code.pk for code in codes],
            known_codes=known,
        )
        assert excerpt.speaker_codes == {speaker.pk: speaker.code}, (row.get("id"), excerpt.speaker_codes)
        w.excerpts.append((excerpt, row))
    return w


def _guide_001(w: SimpleNamespace) -> None:
    instrument = instrument_create(study=w.study, actor=w.owner, title="Intervjuguide")
    version = instrument.versions.get()
    w.guide = {}
    for position, theme in enumerate(w.data["interview_guide"][:4], start=1):
        guide_theme = guide_theme_add(version=version, actor=w.owner, title=clean(theme["theme"])[:300])
        w.guide[f"Q{position}"] = guide_question_add(
            theme=guide_theme, actor=w.owner, label=f"Q{position}", text=clean(theme["questions"][0])
        )
    w.question_codes = {
        "Q1 Læringssituasjoner": code_create(
            study=w.study, actor=w.owner, name="Q1 Læringssituasjoner", guide_questions=[w.guide["Q1"]]
        ),
        "Q2 Hindringer for læring": code_create(
            study=w.study, actor=w.owner, name="Q2 Hindringer for læring", guide_questions=[w.guide["Q2"]]
        ),
        "Q3+4 Forutsetninger og tilrettelegging": code_create(
            study=w.study,
            actor=w.owner,
            name="Q3+4 Forutsetninger og tilrettelegging",
            guide_questions=[w.guide["Q3"], w.guide["Q4"]],
        ),
    }


def quotes_of(w: SimpleNamespace, number: str) -> list[str]:
    """The texts the thesis printed in section ``number`` (not deeper), in the data's order."""
    return [
        clean(e.text) for e, row in w.excerpts if (m := NUMBER.match(row["chapter4_section"])) and m.group(1) == number
    ]


def _sections_by_outline(w: SimpleNamespace, chapter, *, feed_codes: bool = True) -> dict[str, ChapterSection]:
    """A section per numbered entry of the thesis's outline, nested by number, each fed by its section code."""
    made: dict[str, ChapterSection] = {}
    for entry in w.data["chapter4_outline"]:
        number = str(entry["number"])
        if "." not in number or number == "4.0":
            continue
        parent = made.get(number.rsplit(".", 1)[0])
        made[number] = services.section_create(
            chapter=chapter,
            actor=w.owner,
            title=clean(entry["title"]),
            parent=parent,
            feed=Feed.CODE if feed_codes else Feed.TEXT,
            code=w.section_codes[number] if feed_codes else None,
            include_descendants=False,
        )
    return made


def compose_000(w: SimpleNamespace):
    """RQ → theory concept, numbered, with a table of contents; no attribution; counting words in the text."""
    chapter = services.chapter_create(
        study=w.study,
        actor=w.owner,
        title="Empiri, analyse og drøfting",
        attribution=Attribution.NONE,
        table_of_contents=True,
        introduction="Kapitlet presenterer funnene fra kundeverkstedet, ordnet etter forskningsspørsmålene.",
    )
    sections = _sections_by_outline(w, chapter)
    services.text_block_create(
        section=sections["4.2.2"], actor=w.owner, text="{count_of} beskriver læring i verkstedet:"
    )
    return chapter, sections


def compose_001(w: SimpleNamespace):
    """Focus group → interview question (Q3 + Q4 merged), summary table per group, cross-group matrix."""
    chapter = services.chapter_create(
        study=w.study, actor=w.owner, title="Presentasjon av data", attribution=Attribution.NONE
    )
    sections: dict[str, ChapterSection] = {}
    labels = list(w.groups)
    tables = {t["chapter_section"]: t for t in w.data["chapter4_tables"]}
    for index, label in enumerate(labels, start=1):
        top = next(e for e in w.data["chapter4_outline"] if e["number"] == f"4.{index}")
        group_section = services.section_create(
            chapter=chapter,
            actor=w.owner,
            title=clean(top["title"]),
            feed=Feed.GROUP,
            group=w.groups[label],
            fill_quotes=False,
        )
        sections[f"4.{index}"] = group_section
        for sub, questions in ((1, ["Q1"]), (2, ["Q2"]), (3, ["Q3", "Q4"])):
            entry = next(e for e in w.data["chapter4_outline"] if e["number"] == f"4.{index}.{sub}")
            sections[f"4.{index}.{sub}"] = services.section_create(
                chapter=chapter,
                actor=w.owner,
                title=clean(entry["title"]),
                parent=group_section,
                feed=Feed.GUIDE_QUESTIONS,
                guide_questions=[w.guide[q] for q in questions],
            )
        summary = services.section_create(chapter=chapter, actor=w.owner, title="Oppsummering", parent=group_section)
        sections[f"4.{index}.4"] = summary
        table = services.table_block_create(
            section=summary,
            actor=w.owner,
            table=ChapterBlock.Table.GROUP_SUMMARY,
            caption=clean(tables.get(f"4.{index}.4", {}).get("caption", f"Tabell {index}")),
        )
        cells = tables.get(f"4.{index}.4", {}).get("cells") or []
        rows = [sections[f"4.{index}.{sub}"] for sub in (1, 2, 3)]
        services.table_cells_update(
            block=table,
            actor=w.owner,
            cells={str(row.pk): "; ".join(cells[i]) if i < len(cells) else "" for i, row in enumerate(rows)},
            allowed_keys=[str(row.pk) for row in rows],
        )
    across = services.section_create(chapter=chapter, actor=w.owner, title="Sammenligning av gruppene")
    sections["4.4"] = across
    matrix = services.table_block_create(section=across, actor=w.owner, table=ChapterBlock.Table.CROSS_GROUP)
    return chapter, sections, matrix


def compose_002(w: SimpleNamespace):
    """Theory dimension → finding headline, without numbering; generic lead-ins; counting words."""
    chapter = services.chapter_create(
        study=w.study,
        actor=w.owner,
        title="Presentasjon og drøfting av funn",
        attribution=Attribution.LEAD_IN,
        numbered=False,
    )
    sections: dict[str, ChapterSection] = {}
    for entry in w.data["chapter4_outline"]:
        if entry.get("kind") != "section":
            continue
        top = services.section_create(chapter=chapter, actor=w.owner, title=clean(entry["title"]))
        sections[str(entry["number"])] = top
        for heading in entry.get("finding_headings") or []:
            title = clean(heading["title"])
            sections[title] = services.section_create(
                chapter=chapter, actor=w.owner, title=title, parent=top, feed=Feed.CODE, code=w.section_codes[title]
            )
            services.text_block_create(
                section=sections[title], actor=w.owner, text="{count} av lederne uttrykker dette."
            )
    return chapter, sections


def compose_003(w: SimpleNamespace):
    """RQ → guide question; employers' quotes first, then union reps'; role label; the survey table."""
    chapter = services.chapter_create(study=w.study, actor=w.owner, title="Resultater", attribution=Attribution.GROUP)
    sections = _sections_by_outline(w, chapter)
    order = [w.groups["Arbeidsgiver"].pk, w.groups["Tillitsvalgt"].pk]
    for number, section in sections.items():
        if number.count(".") == 2:
            services.section_update(section=section, actor=w.owner, group_quotes=True, group_order=order)
    dataset = dataset_create(
        study=w.study,
        actor=w.owner,
        title="10-faktor",
        columns=["Kommune A", "Kommune B", "Norge"],
        rows=[
            RowInput(label="Innhold i jobben", values=[4.3, 4.1, 4.2]),
            RowInput(label="Mestringstro", values=[4.4, 4.3, 4.3]),
        ],
    )
    services.table_block_create(
        section=sections["4.6"], actor=w.owner, table=ChapterBlock.Table.DATASET, dataset=dataset, caption="Tabell 2"
    )
    return chapter, sections


WITHDRAWN_ON = dt.date(2017, 3, 1)
