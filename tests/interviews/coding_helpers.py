"""Small builders for the coding tests: a source with speaker turns, codes and excerpts."""

from __future__ import annotations

import re

from interviews.models import Code, Coding, Excerpt, Source, SpeakerLabel, SpeakerTurn

LABEL = re.compile(r"^(?P<label>[A-Za-zÆØÅæøå]+\d*):", re.MULTILINE)


def make_source(study, text: str, *, title: str = "Fokusgruppe 1", informants: dict | None = None) -> Source:
    """A transcript whose ``Label:`` lines become speaker turns; ``informants`` maps labels to informants."""
    informants = informants or {}
    source = Source.objects.create(study=study, title=title, text=text, length=len(text), created_by=study.created_by)
    matches = list(LABEL.finditer(text))
    labels: dict[str, SpeakerLabel] = {}
    for index, match in enumerate(matches):
        name = match.group("label")
        if name not in labels:
            informant = informants.get(name)
            role = (
                SpeakerLabel.Role.INFORMANT
                if informant
                else (
                    SpeakerLabel.Role.MODERATOR
                    if name.lower().startswith("moderator")
                    else SpeakerLabel.Role.UNIDENTIFIED
                )
            )
            labels[name] = SpeakerLabel.objects.create(source=source, label=name, role=role, informant=informant)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        SpeakerTurn.objects.create(
            source=source, speaker=labels[name], start=match.start(), end=end, label_end=match.end()
        )
    return source


def make_code(study, name: str, *, parent: Code | None = None, **fields) -> Code:
    return Code.objects.create(study=study, name=name, parent=parent, created_by=study.created_by, **fields)


def make_excerpt(source: Source, start: int, end: int, *codes: Code, **fields) -> Excerpt:
    excerpt = Excerpt.objects.create(
        study=source.study,
        source=source,
        start=start,
        end=end,
        text=source.text[start:end],
        created_by=source.study.created_by,
        **fields,
    )
    Coding.objects.bulk_create(Coding(excerpt=excerpt, code=code, created_by=source.study.created_by) for code in codes)
    return excerpt
