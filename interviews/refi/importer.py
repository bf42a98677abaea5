"""A read REFI-QDA project into a study: the preview of what would be added, then all of it or nothing.

Mapping: codes by path (an existing code with the same path is reused, never
changed); text sources become new sources (their speaker turns found as on any
import); selections become excerpts with their codings; cases become
informants (an existing informant with the same code is reused and keeps its
values), variables become informant attributes, except the workbench's own
``Group``, ``Site`` and ``Role``, which fill those fields; notes become memos –
on a code, a source, or the study – and a selection's note becomes its
excerpt's memo. Consent never comes from a file: imported informants have none
recorded until the researcher records it.

The rows are written in batches (``bulk_create``, ``bulk_update``), each validated
with ``full_clean`` but without a look-up per row for the study, the actor and the
rows this import just made, so an import costs a number of queries that grows
only with the number of batches. What the services would add per row is added
here in bulk: a ``source.created`` audit row per source, the speaker turns and
each excerpt's speakers, and a history row per excerpt whose memo or flags a
note set.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from cases.models import AttributeDefinition, AttributeValue, AuditEvent, Informant, InformantGroup, Site, Study, User
from cases.services.audit import audit_record
from cases.services.studies import study_create
from interviews.models import Code, Coding, Excerpt, Memo, Session, Source, SpeakerLabel, SpeakerTurn
from interviews.selectors_codebook import code_paths
from interviews.services.sources import speaker_turns_find

from .exporter import CASE_VARIABLES, GROUP, ROLE, SESSION, SITE, SOURCE_KIND, SOURCE_VARIABLES
from .reader import ParsedCase, ParsedProject, ParsedSource, ParsedVariable, flags_from_note

DEFAULT_COLOUR = "#ffd166"
INFORMANT_CODE_MAX = 30
CODE_MAX = 200
ATTRIBUTE_KINDS = {
    "Integer": AttributeDefinition.Kind.NUMBER,
    "Float": AttributeDefinition.Kind.NUMBER,
    "Date": AttributeDefinition.Kind.DATE,
    "Boolean": AttributeDefinition.Kind.CHOICE,
}
BOOLEAN_CHOICES = ["true", "false"]
RESERVED = {*CASE_VARIABLES, *SOURCE_VARIABLES}
BATCH = 2000  # rows per INSERT or UPDATE
SOURCE_BATCH = 100  # sources written together (their text in one INSERT)
SOURCE_BATCH_CHARS = 10_000_000


@dataclass
class ImportPreview:
    """What importing ``project`` into a study would add; ``errors`` stop the import."""

    project: ParsedProject
    new_codes: list[str] = field(default_factory=list)
    existing_codes: list[str] = field(default_factory=list)
    new_informants: list[str] = field(default_factory=list)
    existing_informants: list[str] = field(default_factory=list)
    new_attributes: list[str] = field(default_factory=list)
    existing_attributes: list[str] = field(default_factory=list)
    sources: list[tuple[str, int, int]] = field(default_factory=list)  # title, characters, selections
    memos: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> list[str]:
        return self.project.skipped

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def is_empty(self) -> bool:
        return not (self.new_codes or self.sources or self.new_informants or self.memos)


def _path_text(path: tuple[str, ...]) -> str:
    return " > ".join(path)


def _attribute_variables(project: ParsedProject) -> list[ParsedVariable]:
    """The variables that become informant attributes.

    Those the cases use, and those nothing uses yet (a defined attribute nobody has a value for), but not the
    workbench's own case and source fields, and not variables only sources use.
    """
    used_by_cases = {name for case in project.cases for name in case.values}
    used_by_sources = {name for source in project.sources for name in source.variables}
    return [
        variable
        for variable in project.variables.values()
        if variable.name not in RESERVED and (variable.name in used_by_cases or variable.name not in used_by_sources)
    ]


def _attribute_kind(variable: ParsedVariable) -> tuple[str, list[str]]:
    if variable.kind == "Boolean":
        return AttributeDefinition.Kind.CHOICE, BOOLEAN_CHOICES
    if variable.kind == "Text" and variable.choices:
        return AttributeDefinition.Kind.CHOICE, variable.choices
    return ATTRIBUTE_KINDS.get(variable.kind, AttributeDefinition.Kind.TEXT), []


def import_preview(*, study: Study | None, project: ParsedProject) -> ImportPreview:
    """Check ``project`` against ``study`` (None: a new study) and say what would be added. Writes nothing."""
    preview = ImportPreview(project=project)
    preview.warnings.extend(project.warnings)
    existing_paths: set[tuple[str, ...]] = set()
    informant_codes: dict[str, Informant] = {}
    attribute_names: dict[str, AttributeDefinition] = {}
    if study is not None:
        codes = list(Code.objects.filter(study=study).only("pk", "name", "parent_id", "position"))
        existing_paths = {tuple(path.split(" > ")) for path in code_paths(codes).values()}
        informant_codes = {i.code.casefold(): i for i in Informant.objects.filter(study=study)}
        attribute_names = {a.name.casefold(): a for a in AttributeDefinition.objects.filter(study=study)}
    for path in project.codes:
        (preview.existing_codes if path in existing_paths else preview.new_codes).append(_path_text(path))
    seen: set[str] = set()
    for case in project.cases:
        code = case.name
        if len(code) > INFORMANT_CODE_MAX:
            preview.errors.append(
                _(
                    "The case “%(name)s” is longer than %(n)d characters, too long for an informant code. Rename it in your QDA program."
                )
                % {"name": code[:60], "n": INFORMANT_CODE_MAX}
            )
            continue
        if code.casefold() in seen:
            preview.errors.append(_("Two cases are named “%(name)s”.") % {"name": code})
            continue
        seen.add(code.casefold())
        existing = informant_codes.get(code.casefold())
        if existing is not None and (existing.status == Informant.Status.WITHDRAWN or existing.anonymised_at):
            preview.errors.append(
                _(
                    "The case “%(name)s” matches informant %(name)s, who has withdrawn: nothing about them may be imported."
                )
                % {"name": code}
            )
            continue
        (preview.existing_informants if existing else preview.new_informants).append(code)
    if preview.new_informants:
        preview.warnings.append(
            _(
                "Case names become informant codes. Check that none of them is a real name, and record each "
                "new informant's consent: until then their excerpts are left out of every export."
            )
        )
    for variable in _attribute_variables(project):
        existing = attribute_names.get(variable.name.casefold())
        if existing is None:
            preview.new_attributes.append(variable.name)
            continue
        preview.existing_attributes.append(variable.name)
        if existing.kind == AttributeDefinition.Kind.CHOICE:
            values = {case.values.get(variable.name, "") for case in project.cases} - {""}
            unknown = sorted(values - set(existing.choices))
            if unknown:
                preview.errors.append(
                    _("The attribute “%(name)s” allows %(choices)s; the file also has %(values)s.")
                    % {"name": existing.name, "choices": ", ".join(existing.choices), "values": ", ".join(unknown)}
                )
    for case in project.cases:
        for variable in _attribute_variables(project):
            value = case.values.get(variable.name, "")
            error = _value_error(variable, value)
            if error:
                preview.errors.append(_("Case “%(case)s”: %(error)s") % {"case": case.name, "error": error})
    for source in project.sources:
        preview.sources.append((source.name, len(source.text), len(source.selections)))
    preview.memos = len(project.notes)
    if study is None and not project.sources and not project.codes:
        preview.warnings.append(_("The project holds no codes and no text sources."))
    return preview


def _value_error(variable: ParsedVariable, value: str) -> str:
    if not value:
        return ""
    kind, _choices = _attribute_kind(variable)
    if kind == AttributeDefinition.Kind.NUMBER:
        try:
            Decimal(value.replace(",", "."))
        except InvalidOperation:
            return _("%(name)s must be a number, not “%(value)s”.") % {"name": variable.name, "value": value}
    if kind == AttributeDefinition.Kind.DATE:
        try:
            dt.date.fromisoformat(value[:10])
        except ValueError:
            return _("%(name)s must be a date, not “%(value)s”.") % {"name": variable.name, "value": value}
    if len(value) > 300:
        return _("%(name)s is longer than 300 characters.") % {"name": variable.name}
    return ""


@dataclass
class ImportResult:
    study: Study
    codes: int = 0
    sources: int = 0
    excerpts: int = 0
    codings: int = 0
    informants: int = 0
    attributes: int = 0
    memos: int = 0


class _Importer:
    def __init__(self, study: Study, actor: User, project: ParsedProject):
        self.study, self.actor, self.project = study, actor, project
        self.result = ImportResult(study=study)
        self.code_ids: dict[tuple[str, ...], int] = {}
        self.note_targets: dict[str, dict[str, Any]] = {}
        self.spans: dict[tuple[int, tuple[int, int]], Excerpt] = {}
        self.informant_of_case: dict[str, int] = {}

    def codes(self) -> None:
        codes = list(Code.objects.select_for_update().filter(study=self.study))
        by_id = {code.pk: code for code in codes}
        for code in codes:  # the parents in memory, so that validating a new child walks no rows
            if code.parent_id:
                code.parent = by_id[code.parent_id]
        paths = code_paths(codes)
        by_path = {tuple(paths[code.pk].split(" > ")): code for code in codes}
        next_position: dict[int | None, int] = {}
        for code in codes:
            next_position[code.parent_id] = max(next_position.get(code.parent_id, 0), code.position + 1)
        leaves = _leaves(self.project.codes)
        # Level by level, so that each new code's parent has its id when the code is written.
        for depth in sorted({len(path) for path in self.project.codes}):
            new: list[Code] = []
            for path, parsed in self.project.codes.items():
                if len(path) != depth or path in by_path:
                    continue
                parent = by_path[path[:-1]] if len(path) > 1 else None
                parent_id = parent.pk if parent else None
                code = Code(
                    study=self.study,
                    parent=parent,
                    name=parsed.name[:CODE_MAX].strip(),
                    created_by=self.actor,
                    colour=parsed.colour or (parent.colour if parent else DEFAULT_COLOUR),
                    description=parsed.description,
                    status=Code.Status.ACTIVE if parsed.is_codable or path not in leaves else Code.Status.DROPPED,
                    position=next_position.get(parent_id, 0),
                )
                next_position[parent_id] = code.position + 1
                # The study, the actor and the parents are rows this import holds: no look-up per code.
                code.full_clean(exclude={"study", "parent", "created_by"})
                by_path[path] = code
                new.append(code)
            Code.objects.bulk_create(new, batch_size=BATCH)
            self.result.codes += len(new)
        for path, parsed in self.project.codes.items():
            code = by_path[path]
            self.code_ids[path] = code.pk
            for note_guid in parsed.note_guids:
                self.note_targets.setdefault(note_guid, {"code_id": code.pk})

    def informants(self) -> None:
        definitions = {a.name.casefold(): a for a in AttributeDefinition.objects.filter(study=self.study)}
        position = len(definitions)
        attribute_variables = _attribute_variables(self.project)
        for variable in attribute_variables:
            if variable.name.casefold() in definitions:
                continue
            kind, choices = _attribute_kind(variable)
            definition = AttributeDefinition(
                study=self.study, name=variable.name, kind=kind, choices=choices, position=position
            )
            definition.full_clean(exclude={"study"})
            definition.save()
            position += 1
            definitions[variable.name.casefold()] = definition
            self.result.attributes += 1
        groups = {g.label.casefold(): g for g in InformantGroup.objects.filter(study=self.study)}
        sites = {s.pseudonym.casefold(): s for s in Site.objects.filter(study=self.study)}
        existing = {i.code.casefold(): i for i in Informant.objects.filter(study=self.study)}
        have = set(
            AttributeValue.objects.filter(informant__study=self.study).values_list("informant_id", "definition_id")
        )
        new = [
            self._new_informant(case, groups, sites)
            for case in self.project.cases
            if case.name.casefold() not in existing
        ]
        # The groups and sites the new informants brought (those without an id) go in before them.
        InformantGroup.objects.bulk_create([group for group in groups.values() if group.pk is None])
        Site.objects.bulk_create([site for site in sites.values() if site.pk is None])
        Informant.objects.bulk_create(new, batch_size=BATCH)
        self.result.informants += len(new)
        existing.update((informant.code.casefold(), informant) for informant in new)
        values = []
        for case in self.project.cases:
            informant = existing[case.name.casefold()]
            for variable in attribute_variables:
                value = case.values.get(variable.name, "")
                definition = definitions[variable.name.casefold()]
                if value and (informant.pk, definition.pk) not in have:
                    values.append(
                        AttributeValue(informant=informant, definition=definition, **_typed(definition, value))
                    )
            self.informant_of_case[case.name] = informant.pk
        AttributeValue.objects.bulk_create(values, batch_size=BATCH)

    def _new_informant(self, case: ParsedCase, groups: dict, sites: dict) -> Informant:
        group = site = None
        label = case.values.get(GROUP, "")[:100]
        if label:
            group = groups.get(label.casefold())
            if group is None:
                group = InformantGroup(study=self.study, label=label, position=len(groups))
                # Labels are matched without regard to case against the study's groups: no look-up per group.
                group.full_clean(exclude={"study"}, validate_constraints=False)
                groups[label.casefold()] = group
        pseudonym = case.values.get(SITE, "")[:100]
        if pseudonym:
            site = sites.get(pseudonym.casefold())
            if site is None:
                site = Site(study=self.study, pseudonym=pseudonym)
                site.full_clean(exclude={"study"}, validate_constraints=False)
                sites[pseudonym.casefold()] = site
        informant = Informant(
            study=self.study,
            code=case.name,
            group=group,
            site=site,
            role=case.values.get(ROLE, "")[:200],
            notes=case.description,
            status=Informant.Status.RECRUITED,
        )
        # The study, group and site are rows this import holds, and the preview found no case matching an
        # informant of the study or another case: no look-up per informant.
        informant.full_clean(exclude={"study", "group", "site"}, validate_constraints=False)
        return informant

    def sources(self) -> None:
        """The text sources with their speaker turns, excerpts, codings and speakers, a batch of sources at a time.

        What ``source_create`` and ``speakers_derive_for_source`` do for one source, done here for many in a
        fixed number of queries per batch: the turns are found in memory, and each excerpt's speakers are
        derived from them by the same rule before the excerpt is written.
        """
        sessions = {s.code.casefold(): s for s in Session.objects.filter(study=self.study)}
        informants_by_code = {
            informant.code.casefold(): informant
            for informant in Informant.objects.filter(study=self.study).only("pk", "code")
        }
        speakers_by_selection: dict[str, list[int]] = {}
        for case in self.project.cases:
            for selection_guid in case.selection_guids:
                speakers_by_selection.setdefault(selection_guid, []).append(self.informant_of_case[case.name])
        for batch in _source_batches(self.project.sources):
            self._source_batch(batch, sessions, informants_by_code, speakers_by_selection)

    def _source_batch(
        self,
        batch: list[ParsedSource],
        sessions: dict[str, Session],
        informants_by_code: dict[str, Informant],
        speakers_by_selection: dict[str, list[int]],
    ) -> None:
        kinds = set(Source.Kind.values)
        sources = []
        for parsed in batch:
            kind = parsed.variables.get(SOURCE_KIND, "")
            source = Source(
                study=self.study,
                session=sessions.get(parsed.variables.get(SESSION, "").casefold()),
                kind=kind if kind in kinds else Source.Kind.TRANSCRIPT,
                title=parsed.name,
                text=parsed.text,
                length=len(parsed.text),
                imported_from="txt",
                original_filename=f"{parsed.name}.txt"[:255],
                detected_encoding="utf-8",
                created_by=self.actor,
            )
            # The study, the actor and the session (one of the study's own) are rows this import holds.
            source.full_clean(exclude={"study", "created_by", "session"})
            sources.append(source)
        Source.objects.bulk_create(sources)
        self.result.sources += len(sources)
        labels: list[SpeakerLabel] = []
        turns: list[SpeakerTurn] = []
        excerpts: list[Excerpt] = []
        codings: list[Coding] = []
        speakers: list[tuple[Excerpt, set[int]]] = []
        for parsed, source in zip(batch, sources, strict=True):
            for note_guid in parsed.note_guids:
                self.note_targets.setdefault(note_guid, {"source_id": source.pk})
            source_labels, source_turns = speaker_turns_find(source, informants_by_code)
            labels += source_labels
            turns += source_turns
            ends = [turn.end for turn in source_turns]
            for excerpt, code_ids, named in self._excerpts(source, parsed, speakers_by_selection):
                derived, excerpt.has_unknown_speaker = _speakers_in(source_turns, ends, excerpt.start, excerpt.end)
                # A case that names its selections says who speaks there; it overrides the turns where they differ.
                if named and named != derived:
                    excerpt.speakers_overridden = True
                excerpts.append(excerpt)
                codings += [Coding(excerpt=excerpt, code_id=code_id, created_by=self.actor) for code_id in code_ids]
                speakers.append((excerpt, named if excerpt.speakers_overridden else derived))
        SpeakerLabel.objects.bulk_create(labels, batch_size=BATCH)
        SpeakerTurn.objects.bulk_create(turns, batch_size=BATCH)
        Excerpt.objects.bulk_create(excerpts, batch_size=BATCH)
        Coding.objects.bulk_create(codings, batch_size=BATCH)
        through = Excerpt.speakers.through
        through.objects.bulk_create(
            [through(excerpt_id=excerpt.pk, informant_id=pk) for excerpt, named in speakers for pk in sorted(named)],
            batch_size=BATCH,
        )
        self.result.excerpts += len(excerpts)
        self.result.codings += len(codings)
        _audit_sources(self.study, self.actor, sources)

    def _excerpts(
        self, source: Source, parsed: ParsedSource, speakers_by_selection: dict[str, list[int]]
    ) -> Iterator[tuple[Excerpt, list[int], set[int]]]:
        """One unsaved excerpt per span the file selects (selections on one span become one excerpt), with the
        ids of its codes and the informants the cases name as speaking in it."""
        by_span: dict[tuple[int, int], Excerpt] = {}
        codes_of: dict[tuple[int, int], list[int]] = {}
        guids_of: dict[tuple[int, int], list[str]] = {}
        noted: set[tuple[int, int]] = set()
        for selection in parsed.selections:
            span = (selection.start, selection.end)
            if span not in by_span:
                by_span[span] = Excerpt(
                    study=self.study,
                    source=source,
                    start=selection.start,
                    end=selection.end,
                    text=source.text[selection.start : selection.end],
                    condensed_meaning=selection.description,
                    created_by=self.actor,
                )
                codes_of[span], guids_of[span] = [], []
            for path in selection.code_paths:
                if self.code_ids[path] not in codes_of[span]:
                    codes_of[span].append(self.code_ids[path])
            if selection.guid:
                guids_of[span].append(selection.guid)
            for note_guid in selection.note_guids:
                self.note_targets.setdefault(note_guid, {"excerpt_span": (source.pk, span)})
                noted.add(span)
        for span, excerpt in by_span.items():
            if span in noted:  # kept for its note; the others are let go with their batch
                self.spans[(source.pk, span)] = excerpt
            named = {pk for guid in guids_of[span] for pk in speakers_by_selection.get(guid, [])}
            yield excerpt, codes_of[span], named

    def notes(self) -> None:
        noted: dict[int, Excerpt] = {}
        flag_fields: set[str] = set()
        memos = []
        for note_guid, note in self.project.notes.items():
            target = self.note_targets.get(note_guid, {})
            if "excerpt_span" in target:
                excerpt = self.spans[target["excerpt_span"]]
                memo, flags = flags_from_note(note.text)
                excerpt.memo = f"{excerpt.memo}\n\n{memo}".strip() if excerpt.memo else memo
                for name, value in flags.items():
                    setattr(excerpt, name, value)
                flag_fields.update(flags)
                noted[excerpt.pk] = excerpt
                continue
            if not note.text.strip():
                continue
            memo = Memo(
                study=self.study,
                code_id=target.get("code_id"),
                source_id=target.get("source_id"),
                title=note.name or _("Note"),
                text=note.text,
                created_by=self.actor,
            )
            # The study, actor, code and source are rows this import made or read, and a note has one target.
            memo.full_clean(exclude={"study", "code", "source", "created_by"}, validate_constraints=False)
            memos.append(memo)
        Memo.objects.bulk_create(memos, batch_size=BATCH)
        self.result.memos += len(memos)
        if noted:
            # One history row per excerpt whose memo or flags the file set, as saving each one would write.
            bulk_update_with_history(
                list(noted.values()),
                Excerpt,
                ["memo", *sorted(flag_fields)],
                batch_size=BATCH,
                default_user=self.actor,
            )


def _source_batches(sources: list[ParsedSource]) -> Iterator[list[ParsedSource]]:
    """The sources in batches of at most SOURCE_BATCH sources and about SOURCE_BATCH_CHARS characters."""
    batch: list[ParsedSource] = []
    characters = 0
    for source in sources:
        if batch and (len(batch) >= SOURCE_BATCH or characters + len(source.text) > SOURCE_BATCH_CHARS):
            yield batch
            batch, characters = [], 0
        batch.append(source)
        characters += len(source.text)
    if batch:
        yield batch


def _speakers_in(turns: list[SpeakerTurn], ends: list[int], start: int, end: int) -> tuple[set[int], bool]:
    """Who speaks in ``start``–``end`` and whether someone unknown does, by the rule of ``speakers_derive_for_source``.

    A turn overlaps when it starts before the span ends and ends after it starts; an overlapping turn of a label
    mapped to an informant adds that informant, one of an unidentified or unmapped label counts as unknown.
    """
    speakers: set[int] = set()
    unknown = False
    # Turns never overlap, so in text order their ends are ordered too (``ends``): skip those ending at or
    # before the start, stop at the first starting at or after the end.
    index = bisect.bisect_right(ends, start)
    while index < len(turns) and turns[index].start < end:
        label = turns[index].speaker
        index += 1
        if label.role == SpeakerLabel.Role.INFORMANT and label.informant_id is not None:
            speakers.add(label.informant_id)
        elif label.role != SpeakerLabel.Role.MODERATOR:
            unknown = True
    return speakers, unknown


def _audit_sources(study: Study, actor: User, sources: list[Source]) -> None:
    """The ``source.created`` rows ``source_create`` writes, one per source, in one insert."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                study=study,
                actor=actor if actor.is_authenticated else None,
                action="source.created",
                target_type=source._meta.label_lower,
                target_id=source.pk,
                target_label=f"source {source.pk}",
                data={
                    "kind": source.kind,
                    "format": source.imported_from,
                    "encoding": source.detected_encoding,
                    "length": source.length,
                    "session": source.session_id,
                },
            )
            for source in sources
        ]
    )


def _leaves(paths: dict[tuple[str, ...], Any]) -> set[tuple[str, ...]]:
    """The paths no other path continues."""
    parents = {path[:-1] for path in paths if len(path) > 1}
    return set(paths) - parents


def _typed(definition: AttributeDefinition, value: str) -> dict[str, Any]:
    if definition.kind == AttributeDefinition.Kind.NUMBER:
        number = Decimal(value.replace(",", "."))
        return {"value_number": number, "value_text": f"{number.normalize():f}"}
    if definition.kind == AttributeDefinition.Kind.DATE:
        date = dt.date.fromisoformat(value[:10])
        return {"value_date": date, "value_text": date.isoformat()}
    return {"value_text": value[:300]}


def qdpx_import(*, study: Study, actor: User, project: ParsedProject) -> ImportResult:
    """Add ``project`` to ``study``: all of it, or nothing when any part is refused.

    Before: ``import_preview`` found no errors (checked again here, the study may have changed).
    After: codes, informants, attributes, sources, excerpts, codings and memos exist, and one audit row counts them.
    """
    preview = import_preview(study=study, project=project)
    if not preview.is_valid:
        raise ValidationError(preview.errors)
    with transaction.atomic():
        importer = _Importer(study, actor, project)
        importer.codes()
        importer.informants()
        importer.sources()
        importer.notes()
        result = importer.result
        audit_record(
            study=study,
            actor=actor,
            action="study.imported",
            target=study,
            label="qdpx",
            format="qdpx",
            origin=project.origin[:100],
            codes=result.codes,
            sources=result.sources,
            excerpts=result.excerpts,
            codings=result.codings,
            informants=result.informants,
            attributes=result.attributes,
            memos=result.memos,
            skipped=len(project.skipped),
        )
    return result


def qdpx_import_new_study(*, owner: User, project: ParsedProject, title: str = "") -> ImportResult:
    """Create a study owned by ``owner`` and import ``project`` into it, in one transaction."""
    preview = import_preview(study=None, project=project)
    if not preview.is_valid:
        raise ValidationError(preview.errors)
    with transaction.atomic():
        study = study_create(owner=owner, title=(title or project.name or _("Imported project"))[:300])
        return qdpx_import(study=study, actor=owner, project=project)


# The codebook alone ---------------------------------------------------------------------------------------------------


@dataclass
class CodebookPreview:
    new_codes: list[str] = field(default_factory=list)
    existing_codes: list[str] = field(default_factory=list)
    definitions_filled: list[str] = field(default_factory=list)


def qdc_preview(*, study: Study, project: ParsedProject) -> CodebookPreview:
    """Which codes of a ``.qdc`` file are new and which merge, by name path, into the study's codebook."""
    codes = list(Code.objects.filter(study=study).only("pk", "name", "parent_id", "position", "description"))
    paths = code_paths(codes)
    by_path = {tuple(paths[code.pk].split(" > ")): code for code in codes}
    preview = CodebookPreview()
    for path, parsed in project.codes.items():
        code = by_path.get(path)
        if code is None:
            preview.new_codes.append(_path_text(path))
        else:
            preview.existing_codes.append(_path_text(path))
            if parsed.description and not code.description:
                preview.definitions_filled.append(_path_text(path))
    return preview


def qdc_import(*, study: Study, actor: User, project: ParsedProject) -> tuple[int, int]:
    """Merge a codebook by name path: new codes are created, existing ones only get a definition they lack.

    Returns (created, definitions filled). One transaction, one audit row.
    """
    created = filled = 0
    with transaction.atomic():
        importer = _Importer(study, actor, project)
        codes = list(Code.objects.select_for_update().filter(study=study))
        paths = code_paths(codes)
        by_path = {tuple(paths[code.pk].split(" > ")): code for code in codes}
        for path, parsed in project.codes.items():
            code = by_path.get(path)
            if code is not None and parsed.description and not code.description:
                code.description = parsed.description
                code.full_clean()
                code.save(update_fields=["description"])
                filled += 1
        importer.codes()
        created = importer.result.codes
        audit_record(
            study=study,
            actor=actor,
            action="codebook.imported",
            target=None,
            label="qdc",
            created=created,
            updated=filled,
        )
    return created, filled
