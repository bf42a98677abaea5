"""Chapter 4 of each of the four shared theses, composed in that thesis's shape and read back from the PDF.

Each test builds the study from its JSON through the services, composes the
chapter through the services, withdraws one informant whose words the chapter
quotes, requests the PDF through the export service (queued on commit), waits
for the real Celery worker to finish the job row and checks in the text pypdf
reads back from the job's file: the headings in order (with or without
numbers), quotes under the right heading, the attribution as the thesis prints
it, and nothing of the withdrawn informant.
"""

from __future__ import annotations

from io import BytesIO

import pytest

from cases.chapters.document import build_document, counting_phrase
from cases.models import ReportJob
from cases.services.chapters import chapter_export_request
from cases.services.consent import consent_withdraw
from tests.cases import chapter_theses as theses
from tests.cases.chapter_theses import WITHDRAWN_ON, comparable, pdf_text
from tests.cases.test_reports_worker import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def snippet(text: str, length: int = 60) -> str:
    """The quote's opening words, enough to find it and short enough not to cross a page break."""
    words, out = comparable(text).split(" "), ""
    for word in words:
        if len(out) + len(word) + 1 > length and out:
            break
        out = f"{out} {word}".strip()
    return out


def heading_positions(text: str, headings: list[str], start: int = 0) -> list[int]:
    positions, position = [], start
    for heading in headings:
        found = text.find(comparable(heading), position)
        assert found >= 0, (
            f"heading {heading!r} not found in order after {position}: …{text[position : position + 200]}"
        )
        positions.append(found)
        position = found + 1
    return positions


def withdraw_a_quoted_informant(w, chapter) -> tuple[object, list[str]]:
    """Withdraw the informant with the most printed quotes; return them and the texts that must vanish."""
    doc = build_document(chapter, for_print=True)
    spoken: dict[str, list[str]] = {}
    for quote in doc.printed_quotes:
        for speaker in quote.speakers:
            spoken.setdefault(speaker.code, []).append(quote.block.excerpt.text)
    code = max(spoken, key=lambda c: len(spoken[c]))
    informant = w.informants[code]
    consent_withdraw(informant=informant, actor=w.owner, withdrawn_on=WITHDRAWN_ON)
    return informant, spoken[code]


def render(chapter, worker) -> tuple[str, object]:
    """The chapter's PDF as the worker renders it (requested, queued on commit, polled on the job row), read back."""
    job = chapter_export_request(
        chapter=chapter, actor=chapter.study.created_by, kind=ReportJob.Kind.CHAPTER_PDF, acknowledged=True, warnings=0
    )
    assert wait_for_job(job, worker)[-1] == "done", job.message
    assert job.page_count >= 1 and job.file.name.endswith(".pdf")
    with job.file.open("rb") as handle:
        text = pdf_text(handle.read())
    return text, build_document(chapter, for_print=True)


def assert_gone(text: str, texts: list[str]) -> None:
    for quote in texts:
        assert snippet(quote) not in text, f"withdrawn informant's words printed: {quote[:80]}"


def test_thesis_000_by_research_question_with_contents_and_no_attribution(celery_worker, researcher):
    w = theses.build_thesis(0, researcher)
    chapter, sections = theses.compose_000(w)
    _informant, gone = withdraw_a_quoted_informant(w, chapter)
    text, doc = render(chapter, celery_worker)

    numbered = [f"{s.number} {s.section.title}" for s in doc.sections]
    assert numbered[:3] == [
        "4.1 Innovasjonsaspektet i prosjekt kundeverksted",
        "4.1.1 Kundedrevet innovasjon gjennom kundeverkstedet",
        "4.2 Hvordan kan man legge tilrette for at tilbyder og kunde deler kunnskap med hverandre i kundeverkstedet?",
    ]
    body = text.find("Kapitlet presenterer funnene")
    assert 0 < body and text.find("4.1 Innovasjonsaspektet") < body  # the table of contents comes first
    positions = heading_positions(text, numbered, start=body)
    for number, quote in [("4.1", theses.quotes_of(w, "4.1")[0]), ("4.2.2", theses.quotes_of(w, "4.2.2")[0])]:
        if quote in [comparable(g) for g in gone]:
            continue
        index = [s.number for s in doc.sections].index(number)
        found = text.find(snippet(quote), positions[index])
        assert positions[index] < found < (positions[index + 1] if index + 1 < len(positions) else len(text))
    assert "En respondent sa:" not in text and "(Bedrift" not in text
    count = doc.sections[[s.number for s in doc.sections].index("4.2.2")].count
    assert comparable(f"{count.of_total} beskriver læring") in text
    assert count.of_total.endswith("informanter") and " av " in count.of_total
    assert_gone(text, gone)


def test_thesis_001_per_focus_group_and_merged_questions_with_tables(celery_worker, researcher):
    w = theses.build_thesis(1, researcher)
    chapter, sections, _matrix = theses.compose_001(w)
    _informant, gone = withdraw_a_quoted_informant(w, chapter)
    text, doc = render(chapter, celery_worker)

    titles = [f"{s.number} {s.section.title}" for s in doc.sections]
    assert titles[0] == "4.1 Fokusgruppe 1- Tromsø gruppen"
    assert titles[3].startswith("4.1.3 Hva mener du/dere må være på plass")  # Q3 + Q4 in one section
    positions = heading_positions(text, titles)
    # Each focus group's answers stand under that group, under the right question, and nowhere else.
    for e, row in w.excerpts:
        quote = comparable(e.text)
        if quote in [comparable(g) for g in gone]:
            continue
        group = {"FG1": 1, "FG2": 2, "FG3": 3}[row["speaker_group"]]
        question = {"Q1": 1, "Q2": 2, "Q3": 3}[row["question"][:2]]
        index = titles.index(next(t for t in titles if t.startswith(f"4.{group}.{question} ")))
        found = text.find(snippet(quote), positions[index])
        assert positions[index] < found < positions[index + 1], (row["id"], titles[index])
    for number in ("4.1", "4.2", "4.3"):  # a focus group's own heading only narrows; its questions quote
        assert not next(s for s in doc.sections if s.number == number).quotes
    assert "Tabell 1 oppsummerer hovedpunktene fra fokusgruppe 1" in text
    assert "Undersøke og reflektere over nye problemstillinger" in text  # the researcher's main points
    assert "Forskerens oppsummering" in text  # the cross-group matrix's own column
    assert_gone(text, gone)


def test_thesis_002_finding_headlines_without_numbers_and_generic_lead_ins(celery_worker, researcher):
    w = theses.build_thesis(2, researcher)
    chapter, sections = theses.compose_002(w)
    _informant, gone = withdraw_a_quoted_informant(w, chapter)
    text, doc = render(chapter, celery_worker)

    titles = [s.section.title for s in doc.sections]
    assert titles[:2] == [
        "Læringens kognitive og innholdsmessige dimensjon",
        "Lederne ser nytten, men KvalitetsLosen og forbedringsarbeid fremstår som vanskelig å lære, de utrykker ønske om mer kompetanse",
    ]
    positions = heading_positions(text, titles)
    assert not any(text[p - 4 : p].strip().startswith("4.") for p in positions)  # no numbers before headings
    first = doc.sections[1]
    lead_ins = [q.lead_in for q in first.quotes]
    assert lead_ins[:3] == ["En respondent sa:", "En annen:", "En tredje:"]
    body = text[positions[1] : positions[2]]
    assert body.find("En respondent sa:") < body.find("En annen:") < body.find("En tredje:")
    assert body.find("En respondent sa:") < body.find(snippet(first.quotes[0].text)) < body.find("En annen:")
    assert comparable(f"{first.count.phrase} av lederne uttrykker dette.") in body
    assert first.count.phrase == counting_phrase(first.count.informants, first.count.total, "nb")
    assert_gone(text, gone)


def test_thesis_003_employers_first_with_role_labels_and_the_survey_table(celery_worker, researcher):
    w = theses.build_thesis(3, researcher)
    chapter, sections = theses.compose_003(w)
    _informant, gone = withdraw_a_quoted_informant(w, chapter)
    text, doc = render(chapter, celery_worker)

    section = next(s for s in doc.sections if s.number == "4.1.1")
    assert section.section.title == "Kjennskap til temaet innovasjon"
    groups = [q.attribution for q in section.quotes]
    assert groups == sorted(groups, key=lambda a: a != "(Arbeidsgiver)")  # employers first, then union reps
    assert set(groups) == {"(Arbeidsgiver)", "(Tillitsvalgt)"}
    titles = [f"{s.number} {s.section.title}" for s in doc.sections]
    positions = heading_positions(text, titles)
    start, end = (
        positions[titles.index("4.1.1 Kjennskap til temaet innovasjon")],
        positions[titles.index("4.1.1 Kjennskap til temaet innovasjon") + 1],
    )
    body = text[start:end]
    last_employer = max(body.find(snippet(q.text)) for q in section.quotes if q.attribution == "(Arbeidsgiver)")
    first_union = min(body.find(snippet(q.text)) for q in section.quotes if q.attribution == "(Tillitsvalgt)")
    assert 0 < last_employer < first_union
    inline = next(q for q in section.quotes if q.inline) if any(q.inline for q in section.quotes) else None
    if inline is not None:
        assert comparable(f"«{inline.text}» {inline.attribution}") in text
    first = section.quotes[0]
    tail = comparable(first.text)[-40:]
    after = body[body.find(tail) + len(tail) :][:25]
    assert first.attribution in after
    assert "Innhold i jobben" in text and "Norge" in text  # the survey table
    assert_gone(text, gone)


def test_thesis_002_as_docx_keeps_headings_without_numbers_and_lead_ins_on_the_quote_line(researcher):
    from docx import Document

    from cases.chapters.render import chapter_docx

    w = theses.build_thesis(2, researcher)
    chapter, _sections = theses.compose_002(w)
    document = Document(BytesIO(chapter_docx(build_document(chapter, for_print=True))))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert paragraphs[0] == ("Heading 1", "Presentasjon og drøfting av funn")
    assert ("Heading 2", "Læringens kognitive og innholdsmessige dimensjon") in paragraphs
    assert (
        "Heading 3",
        next(s.section.title for s in build_document(chapter, for_print=True).sections[1:2]),
    ) in paragraphs
    assert any(text == "En respondent sa: «programmet er litt vanskelig»" for _style, text in paragraphs)
