"""A study as a REFI-QDA project (``.qdpx``) and its codebook as a ``.qdc`` file.

What goes in: the members as users, the codebook (hierarchy, colours,
definitions; dropped and merged codes are not codable), the current version of
every text source as UTF-8 in ``sources/``, each excerpt as a selection with
its codings, memos as notes, informants as cases with their attributes (and
group, site, role, consent) as variables. What REFI-QDA has no place for –
approvals, sessions, supervisor review – goes into notes on the project, and
an "Export report" note says what was left out and what could not be carried.

What never goes in: the key list, and anything from an informant whose data is
excluded (``cases.consent_policy``): their case, every excerpt they speak in,
and the text of their turns in the sources, which is blanked character for
character so the other selections' offsets still hold.

GUIDs are derived from the study's and the rows' ids (UUID 5), so exporting the
same study twice gives the same GUIDs, and a re-import elsewhere can be compared.

The project XML is written element by element (``lxml.etree.xmlfile``), and the
sources, their excerpts and the excerpts' codings are read as three streams in the
same order (a few sources' text at a time), so a large study never sits in memory
whole and the export takes the same number of queries at every size. The zip goes
to a spooled temporary file that moves to disk past a few megabytes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from lxml import etree

from cases import consent_policy
from cases.models import (
    Approval,
    AttributeDefinition,
    AttributeValue,
    ConsentRecord,
    Informant,
    Membership,
    Study,
    User,
)
from cases.services.audit import audit_record
from interviews.models import Code, CodebookSnapshot, Coding, Excerpt, Memo, ReviewBatch, Session, Source, SpeakerTurn
from interviews.selectors_codebook import build_tree

from .reader import CHOICE_SEPARATOR, CHOICES_PREFIX, FLAG_KEYS, FLAGS_PREFIX

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
SCHEMA_DIR = Path(__file__).with_name("schema")
PROJECT_XSD = SCHEMA_DIR / "Project-mrt2019.xsd"
CODEBOOK_XSD = SCHEMA_DIR / "Codebook.xsd"
ORIGIN = "Case study workbench"
GUID_NAMESPACE = uuid.UUID("6f1c7a52-3c5e-4f0e-9a51-2b8d1c0e7a11")
BLANK = "▒"  # stands in for each character of an excluded informant's turn
SPOOL_BYTES = 8 * 1024 * 1024
SOURCE_CHUNK = 8  # sources (with their text) fetched at a time
EXCERPT_CHUNK = 2000

# Variables our informants carry besides their attributes. The names are fixed (English) so an import recognises them.
GROUP, SITE, ROLE, STATUS, CONSENT = "Group", "Site", "Role", "Status", "Consent"
SESSION, SOURCE_KIND = "Session", "Source kind"
CASE_VARIABLES = (GROUP, SITE, ROLE, STATUS, CONSENT)
SOURCE_VARIABLES = (SESSION, SOURCE_KIND)
VARIABLE_TYPES = {
    AttributeDefinition.Kind.TEXT: "Text",
    AttributeDefinition.Kind.CHOICE: "Text",
    AttributeDefinition.Kind.NUMBER: "Float",
    AttributeDefinition.Kind.DATE: "Date",
}
VALUE_ELEMENTS = {"Text": "TextValue", "Float": "FloatValue", "Date": "DateValue"}


def guid(study_id: int, kind: str, pk: Any) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{study_id}/{kind}/{pk}")).upper()


def _q(name: str) -> str:
    return f"{{{PROJECT_NS}}}{name}"


def _datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# What an export will hold and leave out -------------------------------------------------------------------------------


@dataclass
class ExportPlan:
    """What a project export of ``study`` holds and leaves out, computed before writing (and shown on the page)."""

    study: Study
    excluded: dict[int, consent_policy.Reason]
    left_out: consent_policy.LeftOut
    informant_codes: dict[int, str]
    sources: int = 0
    excerpts: int = 0
    codes: int = 0
    memos: int = 0
    informants: int = 0
    blanked_sources: int = 0
    not_carried: list[str] = field(default_factory=list)

    @property
    def excluded_sentences(self) -> list[str]:
        return [
            consent_policy.problem_sentence(self.informant_codes[pk], reason)
            for pk, reason in sorted(self.excluded.items(), key=lambda item: self.informant_codes[item[0]])
        ]

    @property
    def report_lines(self) -> list[str]:
        lines = [
            _(
                "Exported: %(codes)d codes, %(sources)d sources, %(excerpts)d coded selections, %(informants)d cases, %(memos)d memos."
            )
            % {
                "codes": self.codes,
                "sources": self.sources,
                "excerpts": self.excerpts,
                "informants": self.informants,
                "memos": self.memos,
            }
        ]
        if self.excluded:
            lines.append(
                _("Left out because consent is not valid (no case, no excerpts): %(who)s.")
                % {"who": "; ".join(self.excluded_sentences)}
            )
        if self.left_out:
            lines.append(self.left_out.summary + ".")
        if self.blanked_sources:
            lines.append(
                ngettext(
                    "In %(n)d source the turns of those informants are blanked out (%(blank)s), lengths kept.",
                    "In %(n)d sources the turns of those informants are blanked out (%(blank)s), lengths kept.",
                    self.blanked_sources,
                )
                % {"n": self.blanked_sources, "blank": BLANK}
            )
        lines.append(_("Never exported: the key list (names and contact details of informants)."))
        lines.extend(self.not_carried)
        return lines


def _not_carried() -> list[str]:
    return [
        _(
            "Carried as notes on the project, not as data another program understands: approvals, sessions, supervisor review."
        ),
        _("Carried as case variables: each informant's group, site, role, status and consent."),
        _(
            "Carried in each selection's note: the excerpt's memo and flags; its condensed meaning is the selection's description."
        ),
        _(
            "Not carried: speaker labels and turns (found again from the text on import), corroboration links between excerpts, code origins and links to research questions and guide questions, earlier versions of sources, recordings, attendance, reports and the audit trail."
        ),
    ]


def export_plan(study: Study) -> ExportPlan:
    """Counts and exclusions for a project export; a fixed handful of queries."""
    excluded = consent_policy.excluded_informants(study)
    excerpts = Excerpt.objects.filter(study=study, source__is_current=True)
    left_out = consent_policy.left_out(excerpts, study)
    codes_by_id = dict(Informant.objects.filter(study=study).values_list("pk", "code"))
    blanked = (
        SpeakerTurn.objects.filter(
            source__study=study, source__is_current=True, speaker__informant_id__in=list(excluded)
        )
        .values("source_id")
        .distinct()
        .count()
        if excluded
        else 0
    )
    return ExportPlan(
        study=study,
        excluded=excluded,
        left_out=left_out,
        informant_codes=codes_by_id,
        sources=Source.objects.filter(study=study, is_current=True).count(),
        excerpts=excerpts.count() - left_out.count,
        codes=Code.objects.filter(study=study).count(),
        memos=Memo.objects.filter(study=study).count(),
        informants=len(codes_by_id) - len(excluded),
        blanked_sources=blanked,
        not_carried=_not_carried(),
    )


# Writing the project --------------------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, plan: ExportPlan, xf: Any):
        self.plan = plan
        self.study = plan.study
        self.xf = xf
        self.user_guids: dict[int, str] = {}
        self.code_guids: dict[int, str] = {}
        self.variable_guids: dict[str, str] = {}
        self.variable_types: dict[str, str] = {}
        self.notes: list[tuple[str, str, str, int | None, dt.datetime | None]] = []  # guid, name, text, user, when

    def g(self, kind: str, pk: Any) -> str:
        return guid(self.study.pk, kind, pk)

    def element(self, name: str, attrib: dict[str, str] | None = None, text: str | None = None) -> etree._Element:
        node = etree.Element(
            _q(name), {k: v for k, v in (attrib or {}).items() if v not in (None, "")}, nsmap={None: PROJECT_NS}
        )
        if text is not None:
            node.text = text
        return node

    def who(
        self, attrib: dict[str, str], user_id: int | None, when: dt.datetime | None, *, prefix: str = "creating"
    ) -> dict:
        if user_id in self.user_guids:
            attrib[f"{prefix}User"] = self.user_guids[user_id]
        if when is not None:
            attrib["creationDateTime"] = _datetime(when)
        return attrib

    # Sections, in the schema's order.

    def users(self) -> None:
        members = Membership.objects.filter(study=self.study).select_related("user").order_by("role", "joined_at")
        users = self.element("Users")
        for membership in members:
            user = membership.user
            self.user_guids[user.pk] = self.g("user", user.pk)
            users.append(self.element("User", {"guid": self.user_guids[user.pk], "name": user.full_name or user.email}))
        if len(users):
            self.xf.write(users)

    def codebook(self, memos_by_code: dict[int, list[Memo]]) -> None:
        codes = Code.objects.filter(study=self.study).only(
            "pk", "name", "colour", "description", "status", "parent_id", "position", "study_id"
        )
        tree = build_tree(codes)
        if not tree.roots:
            return

        def build(node: Any) -> etree._Element:
            code = node.code
            self.code_guids[code.pk] = self.g("code", code.pk)
            element = self.element(
                "Code",
                {
                    "guid": self.code_guids[code.pk],
                    "name": code.name,
                    "isCodable": "true" if code.status == Code.Status.ACTIVE else "false",
                    "color": code.colour,
                },
            )
            if code.description:
                element.append(self.element("Description", text=code.description))
            for memo in memos_by_code.get(code.pk, []):
                element.append(self.element("NoteRef", {"targetGUID": self.note(memo)}))
            for child in node.children:
                element.append(build(child))
            return element

        book = self.element("CodeBook")
        codes_element = etree.SubElement(book, _q("Codes"))
        for root in tree.roots:
            codes_element.append(build(root))
        self.xf.write(book)

    def note(self, memo: Memo) -> str:
        note_guid = self.g("memo", memo.pk)
        self.notes.append((note_guid, memo.title, memo.text, memo.created_by_id, memo.created_at))
        return note_guid

    def variables(self, definitions: list[AttributeDefinition]) -> None:
        element = self.element("Variables")
        taken = {definition.name.casefold() for definition in definitions}
        for definition in definitions:
            kind = VARIABLE_TYPES[definition.kind]
            self._variable(element, definition.name, kind, f"attribute-{definition.pk}", self._choices(definition))
        for name in (*CASE_VARIABLES, *SOURCE_VARIABLES):
            if name.casefold() in taken:
                continue
            self._variable(element, name, "Text", f"variable-{name}", _("Recorded by the case study workbench."))
        self.xf.write(element)

    @staticmethod
    def _choices(definition: AttributeDefinition) -> str:
        if definition.kind == AttributeDefinition.Kind.CHOICE:
            return CHOICES_PREFIX + CHOICE_SEPARATOR.join(definition.choices)
        return ""

    def _variable(self, parent: etree._Element, name: str, kind: str, key: str, description: str) -> None:
        self.variable_guids[name] = self.g("variable", key)
        self.variable_types[name] = kind
        variable = etree.SubElement(
            parent, _q("Variable"), {"guid": self.variable_guids[name], "name": name, "typeOfVariable": kind}
        )
        if description:
            etree.SubElement(variable, _q("Description")).text = description

    def value(self, parent: etree._Element, name: str, value: str) -> None:
        if name not in self.variable_guids or value == "":
            return
        item = etree.SubElement(parent, _q("VariableValue"))
        etree.SubElement(item, _q("VariableRef"), {"targetGUID": self.variable_guids[name]})
        etree.SubElement(item, _q(VALUE_ELEMENTS[self.variable_types[name]])).text = value

    def cases(self, informants: list[Informant], selections_of: dict[int, list[int]]) -> None:
        if not informants:
            return
        values = defaultdict(list)
        for row in AttributeValue.objects.filter(informant__in=informants).select_related("definition"):
            values[row.informant_id].append(row)
        consents = _latest_consents(informants)
        element = self.element("Cases")
        for informant in informants:
            case = etree.SubElement(
                element, _q("Case"), {"guid": self.g("informant", informant.pk), "name": informant.code}
            )
            if informant.notes:
                etree.SubElement(case, _q("Description")).text = informant.notes
            for row in values[informant.pk]:
                self.value(case, row.definition.name, _attribute_text(row))
            self.value(case, GROUP, informant.group.label if informant.group else "")
            self.value(case, SITE, informant.site.pseudonym if informant.site else "")
            self.value(case, ROLE, informant.role)
            self.value(case, STATUS, str(informant.get_status_display()))
            self.value(case, CONSENT, consents.get(informant.pk, ""))
            for excerpt_id in selections_of.get(informant.pk, []):
                etree.SubElement(case, _q("SelectionRef"), {"targetGUID": self.g("excerpt", excerpt_id)})
        self.xf.write(element)

    def sources(
        self, archive: zipfile.ZipFile, exported: QuerySet[Excerpt], memos_by_source: dict[int, list[Memo]]
    ) -> None:
        # Three streams in the same order (source title, source, offsets), read side by side: a fixed number of
        # queries however many sources there are, and only a few sources' text in memory at a time.
        sources = (
            Source.objects.filter(study=self.study, is_current=True)
            .select_related("session")
            .only("pk", "title", "version", "kind", "text", "session__code", "created_by_id", "created_at", "study_id")
            .order_by("title", "pk")
        )
        rows = sources.iterator(chunk_size=SOURCE_CHUNK)
        first = next(rows, None)
        if first is None:
            return
        excluded_ids = list(self.plan.excluded)
        blank_spans = _blank_spans(self.study, excluded_ids) if excluded_ids else {}
        selections = _Selections(exported)
        with self.xf.element(_q("Sources")):
            for source in itertools.chain([first], rows):
                blanked = _blank_turns(source.text, blank_spans.get(source.pk, []))
                file_guid = self.g("source-text", source.pk)
                archive.writestr(f"sources/{file_guid}.txt", blanked.encode("utf-8"))
                attrib = self.who(
                    {
                        "guid": self.g("source", source.pk),
                        "name": str(source),
                        "plainTextPath": f"internal://{file_guid}.txt",
                    },
                    source.created_by_id,
                    source.created_at,
                )
                element = self.element("TextSource", attrib)
                for excerpt, code_ids in selections.of(source.pk):
                    if blanked[excerpt.start : excerpt.end] != excerpt.text:
                        continue  # it overlaps a blanked turn although its speakers were set by hand without them
                    element.append(self.selection(excerpt, code_ids))
                for memo in memos_by_source.get(source.pk, []):
                    element.append(self.element("NoteRef", {"targetGUID": self.note(memo)}))
                self.value(element, SESSION, source.session.code if source.session else "")
                self.value(element, SOURCE_KIND, source.kind)
                self.xf.write(element)
                element.clear()

    def selection(self, excerpt: Excerpt, code_ids: list[int]) -> etree._Element:
        attrib = self.who(
            {
                "guid": self.g("excerpt", excerpt.pk),
                "name": _short(excerpt.text),
                "startPosition": str(excerpt.start),
                "endPosition": str(excerpt.end),
            },
            excerpt.created_by_id,
            excerpt.created_at,
        )
        element = self.element("PlainTextSelection", attrib)
        if excerpt.condensed_meaning:
            element.append(self.element("Description", text=excerpt.condensed_meaning))
        for code_id in code_ids:
            coding = etree.SubElement(element, _q("Coding"), {"guid": self.g("coding", f"{excerpt.pk}-{code_id}")})
            etree.SubElement(coding, _q("CodeRef"), {"targetGUID": self.code_guids[code_id]})
        flags = [label for label, name in FLAG_KEYS.items() if getattr(excerpt, name)]
        if excerpt.memo or flags:
            text = excerpt.memo
            if flags:
                text = f"{text}\n\n{FLAGS_PREFIX}{'; '.join(flags)}" if text else f"{FLAGS_PREFIX}{'; '.join(flags)}"
            note_guid = self.g("excerpt-note", excerpt.pk)
            self.notes.append((note_guid, _("Excerpt memo"), text, excerpt.created_by_id, excerpt.updated_at))
            element.append(self.element("NoteRef", {"targetGUID": note_guid}))
        return element

    def write_notes(self, project_notes: list[tuple[str, str, str]]) -> None:
        everything = self.notes + [(g, name, text, None, None) for g, name, text in project_notes]
        if not everything:
            return
        with self.xf.element(_q("Notes")):
            for note_guid, name, text, user_id, when in everything:
                note = self.element("Note", self.who({"guid": note_guid, "name": name[:200]}, user_id, when))
                note.append(self.element("PlainTextContent", text=text))
                self.xf.write(note)


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _attribute_text(row: AttributeValue) -> str:
    if row.value_number is not None:
        return f"{row.value_number.normalize():f}"
    if row.value_date is not None:
        return row.value_date.isoformat()
    return row.value_text


def _latest_consents(informants: list[Informant]) -> dict[int, str]:
    latest: dict[int, ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(informant__in=informants).order_by(
        "informant_id", "-recorded_at", "-id"
    ):
        latest.setdefault(record.informant_id, record)
    out = {}
    for pk, record in latest.items():
        state = (
            _("withdrawn %(date)s") % {"date": record.withdrawn_on}
            if record.withdrawn_on
            else (
                _("given %(date)s (%(mode)s)") % {"date": record.given_on, "mode": record.get_mode_display()}
                if record.given_on
                else _("pending")
            )
        )
        scope = [
            str(ConsentRecord._meta.get_field(name).verbose_name)
            for name in ("covers_interview", "covers_recording", "covers_observation", "covers_quotes")
            if getattr(record, name)
        ]
        out[pk] = f"{state}; {', '.join(scope)}" if scope else state
    return out


def _blank_spans(study: Study, excluded_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Where each current source holds a turn of an excluded informant (after its label), by source; one query."""
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for source_id, start, end in SpeakerTurn.objects.filter(
        source__study=study, source__is_current=True, speaker__informant_id__in=excluded_ids
    ).values_list("source_id", "label_end", "end"):
        spans[source_id].append((start, end))
    return spans


def _blank_turns(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with every span blanked (an excluded informant's turns), label kept, lengths and line ends kept."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        for index in range(start, min(end, len(chars))):
            if not chars[index].isspace():
                chars[index] = BLANK
    return "".join(chars)


class _Selections:
    """The exported excerpts with their code ids, read in two ordered queries and handed out source by source.

    The sources are written in the order (title, pk); the excerpts and codings are read in the same order, so
    each source takes the excerpts at the head of the stream and the stream never goes back.
    """

    def __init__(self, excerpts: QuerySet[Excerpt]):
        order = ("source__title", "source_id", "start", "end", "pk")
        self.excerpts = iter(
            excerpts.only(
                "pk",
                "start",
                "end",
                "text",
                "memo",
                "condensed_meaning",
                "is_deviant",
                "is_counter_finding",
                "has_identifying_details",
                "created_by_id",
                "created_at",
                "updated_at",
                "source_id",
                "study_id",
            )
            .order_by(*order)
            .iterator(chunk_size=EXCERPT_CHUNK)
        )
        self.codings = iter(
            Coding.objects.filter(excerpt__in=excerpts.values("pk"))
            .order_by(*(f"excerpt__{name}" for name in order), "code_id")
            .values_list("excerpt_id", "code_id")
            .iterator(chunk_size=EXCERPT_CHUNK)
        )
        self.next_excerpt: Excerpt | None = next(self.excerpts, None)
        self.next_coding: tuple[int, int] | None = next(self.codings, None)

    def of(self, source_id: int) -> Iterator[tuple[Excerpt, list[int]]]:
        while self.next_excerpt is not None and self.next_excerpt.source_id == source_id:
            excerpt = self.next_excerpt
            code_ids = []
            while self.next_coding is not None and self.next_coding[0] == excerpt.pk:
                code_ids.append(self.next_coding[1])
                self.next_coding = next(self.codings, None)
            yield excerpt, code_ids
            self.next_excerpt = next(self.excerpts, None)


def _project_notes(study: Study, plan: ExportPlan) -> list[tuple[str, str, str]]:
    """Approvals, sessions and supervisor review as readable notes: REFI-QDA has no elements for them."""
    notes = []
    approvals = []
    for approval in Approval.objects.filter(study=study).prefetch_related("conditions").select_related("site"):
        parts = [f"{approval.get_kind_display()} – {approval.get_state_display()}"]
        for label, value in (
            (_("authority"), approval.authority),
            (_("site"), approval.site.pseudonym if approval.site else ""),
            (_("project number"), approval.project_number),
            (_("reference"), approval.reference),
            (_("submitted"), approval.submitted_on),
            (_("answered"), approval.answered_on),
            (_("valid until"), approval.valid_until),
        ):
            if value:
                parts.append(f"{label}: {value}")
        for condition in approval.conditions.all():
            parts.append(f"- {condition.text} ({_('met') if condition.is_met else _('not met')})")
        approvals.append("\n".join(parts))
    if approvals:
        notes.append((guid(study.pk, "note", "approvals"), _("Approvals"), "\n\n".join(approvals)))
    sessions = []
    for session in Session.objects.filter(study=study).select_related("site").order_by("date", "code"):
        line = [session.code, str(session.get_kind_display()), str(session.get_status_display())]
        if session.date:
            line.append(session.date.isoformat())
        if session.site:
            line.append(session.site.pseudonym)
        if session.duration_minutes:
            line.append(_("%(n)d min") % {"n": session.duration_minutes})
        sessions.append(" · ".join(line))
    if sessions:
        notes.append((guid(study.pk, "note", "sessions"), _("Sessions"), "\n".join(sessions)))
    review = []
    for batch in ReviewBatch.objects.filter(study=study).order_by("created_at"):
        review.append(f"{batch.title}: {batch.get_kind_display()} – {batch.get_state_display()}")
    for snapshot in CodebookSnapshot.objects.filter(study=study).order_by("version"):
        review.append(
            _("Codebook version %(n)d approved %(date)s") % {"n": snapshot.version, "date": snapshot.approved_at.date()}
        )
    if review:
        notes.append((guid(study.pk, "note", "review"), _("Supervisor review"), "\n".join(review)))
    notes.append((guid(study.pk, "note", "export-report"), _("Export report"), "\n".join(plan.report_lines)))
    return notes


def write_project(plan: ExportPlan, stream: IO[bytes]) -> None:
    """Write the ``.qdpx`` zip for ``plan.study`` into ``stream``."""
    study = plan.study
    excluded_ids = list(plan.excluded)
    informants = list(
        Informant.objects.filter(study=study).exclude(pk__in=excluded_ids).select_related("group", "site")
    )
    exported = consent_policy.excerpts_without_excluded(
        Excerpt.objects.filter(study=study, source__is_current=True), study
    )
    selections_of: dict[int, list[int]] = defaultdict(list)
    for excerpt_id, informant_id in (
        Excerpt.speakers.through.objects.filter(
            excerpt__in=exported.values("pk"), informant_id__in=[i.pk for i in informants]
        )
        .values_list("excerpt_id", "informant_id")
        .order_by("informant_id", "excerpt_id")
    ):
        selections_of[informant_id].append(excerpt_id)
    memos_by_code: dict[int, list[Memo]] = defaultdict(list)
    memos_by_source: dict[int, list[Memo]] = defaultdict(list)
    study_memos: list[Memo] = []
    for memo in Memo.objects.filter(study=study).order_by("created_at", "pk"):
        if memo.code_id:
            memos_by_code[memo.code_id].append(memo)
        elif memo.source_id:
            memos_by_source[memo.source_id].append(memo)
        else:
            study_memos.append(memo)
    current_sources = set(Source.objects.filter(study=study, is_current=True).values_list("pk", flat=True))
    # A memo on an old version of a source has no source to hang on: it becomes a note on the project.
    for source_id in [pk for pk in memos_by_source if pk not in current_sources]:
        study_memos.extend(memos_by_source.pop(source_id))
    project_notes = _project_notes(study, plan)

    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # The source files go into the zip while the XML is being written, and a zip holds one open entry at a
        # time, so the XML is written to a spooled file first and copied in as project.qde at the end.
        project_xml = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        with etree.xmlfile(project_xml, encoding="utf-8") as xf:
            xf.write_declaration()
            root_attrib = {
                "name": study.title,
                "origin": ORIGIN,
                "creationDateTime": _datetime(timezone.now()),
            }
            with xf.element(_q("Project"), root_attrib, nsmap={None: PROJECT_NS}):
                writer = _Writer(plan, xf)
                writer.users()
                writer.codebook(memos_by_code)
                definitions = list(AttributeDefinition.objects.filter(study=study))
                writer.variables(definitions)
                writer.cases(informants, selections_of)
                writer.sources(archive, exported, memos_by_source)
                study_note_guids = [writer.note(memo) for memo in study_memos]
                writer.write_notes(project_notes)
                if study.problem_statement:
                    xf.write(writer.element("Description", text=study.problem_statement))
                for note_guid in study_note_guids + [g for g, _name, _text in project_notes]:
                    xf.write(writer.element("NoteRef", {"targetGUID": note_guid}))
        project_xml.seek(0)
        with archive.open("project.qde", "w", force_zip64=True) as entry:
            while chunk := project_xml.read(1024 * 1024):
                entry.write(chunk)
        project_xml.close()


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    plan: ExportPlan


def _filename(study: Study, extension: str) -> str:
    return f"{slugify(study.title)[:40] or f'study-{study.pk}'}-{timezone.localdate():%Y-%m-%d}.{extension}"


def study_export_qdpx(*, study: Study, actor: User) -> ExportFile:
    """Write the study as a ``.qdpx`` file (a spooled temporary file, rewound) and audit the export.

    After: an audit row names the counts and how many informants and excerpts were left out, never who.
    """
    plan = export_plan(study)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    write_project(plan, out)
    out.seek(0)
    with transaction.atomic():
        audit_record(
            study=study,
            actor=actor,
            action="study.exported",
            target=study,
            label="qdpx",
            format="qdpx",
            sources=plan.sources,
            excerpts=plan.excerpts,
            informants=plan.informants,
            excluded_informants=len(plan.excluded),
            excerpts_left_out=plan.left_out.count,
        )
    return ExportFile(file=out, filename=_filename(study, "qdpx"), plan=plan)


def codebook_qdc(study: Study) -> bytes:
    """The study's codebook as a REFI-QDA ``.qdc`` document (codebook namespace)."""
    codes = Code.objects.filter(study=study).only(
        "pk", "name", "colour", "description", "status", "parent_id", "position"
    )
    tree = build_tree(codes)

    def q(name: str) -> str:
        return f"{{{CODEBOOK_NS}}}{name}"

    def build(node: Any) -> etree._Element:
        code = node.code
        element = etree.Element(
            q("Code"),
            {
                "guid": guid(study.pk, "code", code.pk),
                "name": code.name,
                "isCodable": "true" if code.status == Code.Status.ACTIVE else "false",
                "color": code.colour,
            },
        )
        if code.description:
            etree.SubElement(element, q("Description")).text = code.description
        for child in node.children:
            element.append(build(child))
        return element

    root = etree.Element(q("CodeBook"), {"origin": ORIGIN}, nsmap={None: CODEBOOK_NS})
    codes_element = etree.SubElement(root, q("Codes"))
    for node in tree.roots:
        codes_element.append(build(node))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def codebook_export_qdc(*, study: Study, actor: User) -> tuple[bytes, str]:
    """The ``.qdc`` bytes and a file name; refuses an empty codebook (the schema needs at least one code)."""
    from django.core.exceptions import ValidationError

    if not Code.objects.filter(study=study).exists():
        raise ValidationError(_("The codebook is empty: add codes before exporting it."))
    data = codebook_qdc(study)
    with transaction.atomic():
        audit_record(study=study, actor=actor, action="codebook.exported", target=study, label="qdc", format="qdc")
    return data, _filename(study, "qdc")
