"""Synthetic studies of a chosen size, for benchmarks, load tests and demonstrations.

``generate_study`` builds one complete study — sites, informant groups,
informants with valid consent, held sessions with attendance, one transcript per
session with speaker labels and turns, a codebook hierarchy, excerpts with
codings and speakers — from the Norwegian vocabulary of the real theses in
``tests/fixtures/domain/`` (quotes as answers, interview-guide questions as the
interviewer's turns, codebook entries as code names).

Rows are written with ``bulk_create`` in one transaction, not through the
services: the services are covered by the tests, and going through them one
excerpt at a time would make a 100× study take an hour instead of a minute. So
no audit or history rows are written for generated data. The same seed and
sizes always give the same study.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cases.models import (
    ConsentRecord,
    Informant,
    InformantGroup,
    InformationLetter,
    Membership,
    Site,
    Study,
    User,
)
from interviews.models import Attendance, Code, Coding, Excerpt, Session, Source, SpeakerLabel, SpeakerTurn

DOMAIN_DIR = Path(settings.BASE_DIR) / "tests" / "fixtures" / "domain"
BATCH = 5_000
INTERVIEWER = "Intervjuer"


@dataclass(frozen=True)
class StudySize:
    """The typical master's study is ``StudySize()``; ``scaled(n)`` multiplies every dimension by ``n``."""

    informants: int = 12
    sessions: int = 8
    chars: int = 250_000
    codes: int = 60
    excerpts: int = 800

    def scaled(self, factor: float) -> StudySize:
        return StudySize(
            informants=max(1, round(self.informants * factor)),
            sessions=max(1, round(self.sessions * factor)),
            chars=max(1_000, round(self.chars * factor)),
            codes=max(2, round(self.codes * factor)),
            excerpts=max(0, round(self.excerpts * factor)),
        )


@dataclass(frozen=True)
class Vocabulary:
    quotes: tuple[str, ...]
    questions: tuple[str, ...]
    code_names: tuple[str, ...]
    group_labels: tuple[str, ...]
    roles: tuple[str, ...]


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


@cache
def vocabulary() -> Vocabulary:
    """Sentences and names from the real theses' extracted data (``tests/fixtures/domain/study-*.json``)."""
    quotes, questions, code_names, groups, roles = [], [], [], [], []
    for path in sorted(DOMAIN_DIR.glob("study-*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        quotes += [_clean(item.get("text")) for item in data.get("excerpts", [])]
        for theme in data.get("interview_guide") or []:
            if isinstance(theme, dict):
                questions += [_clean(q) for q in theme.get("questions", []) if isinstance(q, str)]
        code_names += [_clean(item.get("code")) for item in data.get("codebook", []) if isinstance(item, dict)]
        for informant in data.get("informants", []):
            if isinstance(informant, dict):
                groups.append(_clean(informant.get("group")))
                roles.append(_clean(informant.get("role")))

    def unique(items):
        return tuple(dict.fromkeys(item for item in items if item))

    quotes, questions = unique(quotes), unique(questions) or ("Kan du fortelle litt om det?",)
    if not quotes:
        raise RuntimeError(f"No quotes found in {DOMAIN_DIR}.")
    return Vocabulary(
        quotes=quotes,
        questions=questions,
        code_names=unique(name[:150] for name in code_names) or ("Tema",),
        group_labels=unique(label[:80] for label in groups) or ("Gruppe",),
        roles=unique(role[:200] for role in roles) or ("",),
    )


@dataclass
class GeneratedStudy:
    study: Study
    owner: User
    sources: list[Source]
    codes: list[Code]
    informants: list[Informant]
    excerpt_count: int
    coding_count: int


def _owner(email: str, password: str | None) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name="Syntetisk forsker")
    return user


def _numbered(names: tuple[str, ...], count: int) -> list[str]:
    """``count`` distinct names: the pool first, then the pool again with a number."""
    return [names[n % len(names)] + ("" if n < len(names) else f" ({n // len(names) + 1})") for n in range(count)]


def _transcript(
    rng: random.Random, vocab: Vocabulary, length: int, labels: list[str]
) -> tuple[str, list[tuple[int, int, int, str]]]:
    """About ``length`` characters of turns, and the turns as (start, end, label_end, label).

    The interviewer asks with a guide question, then one or two speakers answer with 1–4 quotes each.
    """
    informant_labels = labels[1:] or labels
    parts, turns, position = [], [], 0
    while position < length:
        speakers = [INTERVIEWER] + rng.sample(informant_labels, min(len(informant_labels), rng.randint(1, 2)))
        for label in speakers:
            pool = vocab.questions if label == INTERVIEWER else vocab.quotes
            speech = " ".join(rng.choice(pool) for _ in range(1 if label == INTERVIEWER else rng.randint(1, 4)))
            line = f"{label}: {speech}\n"
            turns.append((position, position + len(line), position + len(label) + 1, label))
            parts.append(line)
            position += len(line)
            if position >= length:
                break
    return "".join(parts), turns


@transaction.atomic
def generate_study(
    *,
    size: StudySize,
    owner_email: str,
    owner_password: str | None = None,
    title: str = "",
    seed: int = 20170501,
) -> GeneratedStudy:
    """One study of ``size``, owned by the user with ``owner_email`` (created when missing)."""
    rng = random.Random(seed)
    vocab = vocabulary()
    owner = _owner(owner_email, owner_password)
    today = dt.date(2026, 1, 15)
    study = Study.objects.create(
        title=title or f"Syntetisk studie ({size.informants} informanter, {size.chars:,} tegn)".replace(",", " "),
        working_title="Medvirkning og innovasjon i kommunal sektor",
        problem_statement=rng.choice(vocab.questions),
        institution="Syntetisk høgskole",
        programme="Master i ledelse",
        year=2026,
        start_date=dt.date(2025, 8, 1),
        end_date=dt.date(2027, 6, 30),
        created_by=owner,
    )
    Membership.objects.create(study=study, user=owner, role=Membership.Role.OWNER)

    # A study has a handful of groups and sites however many informants it has (a matrix column per group).
    site_count = max(1, min(size.informants, 30, max(2, size.informants // 6)))
    sites = Site.objects.bulk_create(
        Site(study=study, pseudonym=f"Kommune {n + 1}", kind="kommune") for n in range(site_count)
    )
    group_count = max(1, min(size.informants, 8, max(2, size.informants // 6)))
    groups = InformantGroup.objects.bulk_create(
        InformantGroup(study=study, label=label[:100], position=n)
        for n, label in enumerate(_numbered(vocab.group_labels, group_count))
    )
    informants = Informant.objects.bulk_create(
        (
            Informant(
                study=study,
                code=f"I{n + 1}",
                group=groups[n % group_count],
                site=sites[n % site_count],
                role=rng.choice(vocab.roles),
                status=Informant.Status.RECRUITED,
            )
            for n in range(size.informants)
        ),
        batch_size=BATCH,
    )
    letter = InformationLetter.objects.create(study=study, version="v1", dated=dt.date(2025, 9, 1))
    ConsentRecord.objects.bulk_create(
        (
            ConsentRecord(
                informant=informant,
                letter=letter,
                mode=ConsentRecord.Mode.WRITTEN,
                given_on=dt.date(2025, 10, 1) + dt.timedelta(days=n % 60),
                recorded_by=owner,
            )
            for n, informant in enumerate(informants)
        ),
        batch_size=BATCH,
    )

    # Sessions: two in three are individual interviews, the rest focus groups of 3–6 informants.
    sessions, attending = [], []
    for n in range(size.sessions):
        focus_group = n % 3 == 2 and size.informants > 1
        if focus_group:
            chosen = rng.sample(informants, min(len(informants), rng.randint(3, 6)))
        else:
            chosen = [informants[n % len(informants)]]
        sessions.append(
            Session(
                study=study,
                code=f"S{n + 1:03d}",
                title=f"{'Fokusgruppe' if focus_group else 'Intervju'} {n + 1}",
                kind=Session.Kind.FOCUS_GROUP if focus_group else Session.Kind.INDIVIDUAL_INTERVIEW,
                status=Session.Status.HELD,
                date=today - dt.timedelta(days=size.sessions - n),
                duration_minutes=90 if focus_group else 60,
                site=chosen[0].site,
            )
        )
        attending.append(chosen)
    sessions = Session.objects.bulk_create(sessions, batch_size=BATCH)
    Attendance.objects.bulk_create(
        (
            Attendance(session=session, informant=informant, status=Attendance.Status.CAME)
            for session, chosen in zip(sessions, attending, strict=True)
            for informant in chosen
        ),
        batch_size=BATCH,
    )

    # One transcript per session; the characters are shared out evenly.
    per_source = max(200, size.chars // size.sessions)
    texts, turn_lists = [], []
    for chosen in attending:
        text, turns = _transcript(rng, vocab, per_source, [INTERVIEWER] + [i.code for i in chosen])
        texts.append(text)
        turn_lists.append(turns)
    sources = Source.objects.bulk_create(
        (
            Source(
                study=study,
                session=session,
                title=f"Transkripsjon {session.title}",
                text=text,
                length=len(text),
                imported_from=Source.Format.TXT,
                created_by=owner,
            )
            for session, text in zip(sessions, texts, strict=True)
        ),
        batch_size=200,
    )
    label_rows = []
    for source, chosen in zip(sources, attending, strict=True):
        label_rows.append(SpeakerLabel(source=source, label=INTERVIEWER, role=SpeakerLabel.Role.MODERATOR))
        label_rows += [
            SpeakerLabel(source=source, label=i.code, role=SpeakerLabel.Role.INFORMANT, informant=i) for i in chosen
        ]
    label_rows = SpeakerLabel.objects.bulk_create(label_rows, batch_size=BATCH)
    labels = {(row.source_id, row.label): row for row in label_rows}
    SpeakerTurn.objects.bulk_create(
        (
            SpeakerTurn(source=source, speaker=labels[source.pk, label], start=start, end=end, label_end=label_end)
            for source, turns in zip(sources, turn_lists, strict=True)
            for start, end, label_end, label in turns
        ),
        batch_size=BATCH,
    )

    # Codebook: about one root (theme) in eight codes, the rest children, every fifth child with grandchildren.
    root_count = max(1, size.codes // 8)
    names = _numbered(vocab.code_names, size.codes)
    roots = Code.objects.bulk_create(
        Code(
            study=study,
            name=names[n],
            position=n,
            origin=Code.Origin.THEORY,
            colour=f"#{rng.randrange(0x1000000):06x}",
            description="Tema fra teorikapitlet.",
            created_by=owner,
        )
        for n in range(root_count)
    )
    children = Code.objects.bulk_create(
        (
            Code(
                study=study,
                parent=roots[n % root_count],
                name=names[root_count + n],
                position=n // root_count,
                colour=f"#{rng.randrange(0x1000000):06x}",
                shortcut=str(n + 1) if n < 9 else "",
                created_by=owner,
            )
            for n in range(max(0, (size.codes - root_count) * 4 // 5))
        ),
        batch_size=BATCH,
    )
    remaining = size.codes - root_count - len(children)
    parents = children[::5] or roots
    grandchildren = Code.objects.bulk_create(
        (
            Code(
                study=study,
                parent=parents[n % len(parents)],
                name=names[root_count + len(children) + n],
                position=n // len(parents),
                origin=Code.Origin.IN_VIVO,
                colour=f"#{rng.randrange(0x1000000):06x}",
                created_by=owner,
            )
            for n in range(remaining)
        ),
        batch_size=BATCH,
    )
    codes = roots + children + grandchildren
    codable = children + grandchildren or roots

    # Excerpts: spans inside a turn's speech, spread over the sources in proportion to their length.
    total = sum(len(text) for text in texts)
    cumulative, running = [], 0
    for text in texts:
        running += len(text)
        cumulative.append(running)
    informant_by_code = {i.code: i for i in informants}
    excerpts, speakers_of = [], []
    turn_starts = [[turn[0] for turn in turns] for turns in turn_lists]
    for n in range(size.excerpts):
        index = min(len(texts) - 1, bisect.bisect_right(cumulative, rng.randrange(total)))
        text, turns = texts[index], turn_lists[index]
        turn = turns[max(0, bisect.bisect_right(turn_starts[index], rng.randrange(len(text))) - 1)]
        if turn[3] == INTERVIEWER and len(turns) > 1:  # code answers, mostly
            turn = turns[min(len(turns) - 1, turns.index(turn) + 1)]
        speech_start, speech_end = turn[2] + 1, turn[1] - 1
        if speech_end - speech_start < 2:
            speech_start, speech_end = 0, len(text)
        start = rng.randrange(speech_start, speech_end - 1)
        end = min(speech_end, start + rng.randint(40, 400))
        excerpts.append(
            Excerpt(
                study=study,
                source=sources[index],
                start=start,
                end=end,
                text=text[start:end],
                created_by=owner,
                memo="Notat: tillit og medvirkning henger sammen her." if n % 10 == 0 else "",
                is_deviant=n % 40 == 0,
                has_unknown_speaker=turn[3] == INTERVIEWER,
            )
        )
        speakers_of.append(informant_by_code.get(turn[3]))
    excerpts = Excerpt.objects.bulk_create(excerpts, batch_size=BATCH)
    codings = [
        Coding(excerpt=excerpt, code=code, created_by=owner)
        for excerpt in excerpts
        for code in rng.sample(codable, min(len(codable), rng.choice((1, 1, 2, 2, 3))))
    ]
    Coding.objects.bulk_create(codings, batch_size=BATCH)
    Excerpt.speakers.through.objects.bulk_create(
        (
            Excerpt.speakers.through(excerpt_id=excerpt.pk, informant_id=speaker.pk)
            for excerpt, speaker in zip(excerpts, speakers_of, strict=True)
            if speaker is not None
        ),
        batch_size=BATCH,
    )
    return GeneratedStudy(
        study=study,
        owner=owner,
        sources=sources,
        codes=codes,
        informants=informants,
        excerpt_count=len(excerpts),
        coding_count=len(codings),
    )
