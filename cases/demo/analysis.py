"""The demo's analysis: interview transcripts composed from the thesis's real quotes, a codebook, codings.

The thesis (study-003) prints about 120 quotes from ten interviews but never says
who said which; it says only whether an employer or a union representative spoke.
The demo therefore composes one transcript per held interview: the interviewer's
question (from the guide question behind the quote's chapter section) followed by
quotes of the interviewee's group, dealt out in turn to the group's informants.
Each quote is then coded with the codes the extraction gives it, so the coding
view, retrieval and the matrix have real material from the first minute.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from cases.models import Informant, ResearchQuestion, Study, User
from interviews import importers
from interviews.models import Code, Session, Source
from interviews.services.codebook import code_create
from interviews.services.excerpts import excerpt_create
from interviews.services.sources import source_create

GUIDE_QUESTION = re.compile(r"Guide question:\s*(.+?)(?:\s*\(l\.|$)", re.S)
LINE_REFERENCE = re.compile(r"\s*\(l\.\s*[\d,\s–-]+\)")
GROUP_PREFIX = {"arbeidsgiver": "AG", "tillitsvalgt": "TV"}
PALETTE = ["#e76f51", "#2a9d8f", "#e9c46a", "#8ab17d", "#9b5de5", "#f4a261", "#457b9d"]


def _clean(text: str) -> str:
    return LINE_REFERENCE.sub("", text or "").strip()


def build_codebook(data: dict[str, Any], study: Study, owner: User, rqs: dict[str, ResearchQuestion]) -> dict[str, Code]:
    """The extraction's codebook: research questions at the top, chapter sections and themes beneath."""
    rows = data["codebook"]
    codes: dict[str, Code] = {}
    colours = {
        row["code"]: rqs[row["code"]].colour if row["code"] in rqs else PALETTE[i % len(PALETTE)]
        for i, row in enumerate(r for r in rows if not r["parent"])
    }
    pending = list(rows)
    while pending:
        remaining = []
        for row in pending:
            parent = codes.get(row["parent"]) if row["parent"] else None
            if row["parent"] and parent is None:
                remaining.append(row)
                continue
            top = row["code"] if parent is None else row["parent"]
            description = _clean(row.get("description", ""))
            codes[row["code"]] = code_create(
                study=study,
                actor=owner,
                name=row["code"],
                parent=parent,
                description=description,
                colour=colours.get(top, PALETTE[0]),
                origin=Code.Origin.GUIDE if "Guide question" in description else Code.Origin.THEORY,
                research_question=rqs.get(top),
            )
        # An orphan (its parent is not in the list) hangs at the top rather than being lost.
        pending = [{**row, "parent": None} for row in remaining] if len(remaining) == len(pending) else remaining
    return codes


def _question_for(excerpt: dict[str, Any], codebook_rows: dict[str, dict[str, Any]]) -> str:
    for name in excerpt["codes"]:
        match = GUIDE_QUESTION.search(codebook_rows.get(name, {}).get("description", ""))
        if match:
            return _clean(match.group(1)).split("?")[0].strip() + "?"
    return "Kan du fortelle mer om det?"


def build_transcripts(
    data: dict[str, Any], study: Study, owner: User, informants: dict[str, Informant], codes: dict[str, Code]
) -> int:
    """One transcript per held interview, coded with the extraction's codes. Returns the number of excerpts."""
    held = {
        attendance.informant.code: session
        for session in Session.objects.filter(study=study, status=Session.Status.HELD).prefetch_related("attendances__informant")
        for attendance in session.attendances.all()
    }
    by_group: dict[str, list[str]] = defaultdict(list)
    for code in sorted(held):
        by_group[informants[code].group.label.casefold() if informants[code].group else ""].append(code)
    codebook_rows = {row["code"]: row for row in data["codebook"]}
    dealt: dict[str, list[dict[str, Any]]] = defaultdict(list)
    turn = defaultdict(int)
    for excerpt in data["excerpts"]:
        group = excerpt.get("informant_group") or ""
        speakers = by_group.get(group)
        if not speakers:
            continue
        speaker = excerpt["informant"] if excerpt.get("informant") in speakers else speakers[turn[group] % len(speakers)]
        turn[group] += 1
        dealt[speaker].append(excerpt)

    count = 0
    for informant_code, excerpts in sorted(dealt.items()):
        session = held[informant_code]
        parts: list[str] = [f"Intervju {session.code} – {session.date_display}\n\n"]
        spans: list[tuple[int, int, list[str]]] = []
        offset = len(parts[0])
        for excerpt in excerpts:
            question = f"I: {_question_for(excerpt, codebook_rows)}\n"
            label = f"{informant_code}: "
            quote = excerpt["text"].strip()
            parts.extend([question, label, quote, "\n\n"])
            start = offset + len(question) + len(label)
            spans.append((start, start + len(quote), excerpt["codes"]))
            offset = start + len(quote) + 2
        text = "".join(parts)
        source = source_create(
            study=study,
            actor=owner,
            imported=importers.read_pasted(text),
            title=f"Transkripsjon {session.code} ({informant_code})",
            kind=Source.Kind.TRANSCRIPT,
            session=session,
        )
        for start, end, code_names in spans:
            code_ids = [codes[name].pk for name in code_names if name in codes]
            if code_ids and source.text[start:end] == text[start:end]:
                excerpt_create(source=source, actor=owner, start=start, end=end, text=source.text[start:end], code_ids=code_ids)
                count += 1
    return count
