"""Build the demo study from ``study-003.json`` through the product's own services.

The thesis behind it (NTNU, 2017) studied employee-driven innovation in five
municipalities with a paired design: one employer representative and one chief
union representative per municipality, ten individual interviews in January and
February 2017. Every row is written by the same services the views use, so the
demo carries audit rows and passes the same validation as real input.

No real name reaches the database: municipalities become "Kommune A" to "Kommune E",
the key list holds obviously fictional names and the demo users have neutral names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from cases.demo.analysis import build_codebook, build_transcripts
from cases.demo.chapter import demo_chapter_build
from cases.models import (
    Approval,
    AttributeDefinition,
    ConsentRecord,
    GuideTheme,
    Informant,
    InformantGroup,
    InformationLetter,
    InstrumentVersion,
    Membership,
    ResearchQuestion,
    Site,
    Study,
    User,
)
from cases.services.approvals import approval_condition_set, approval_create
from cases.services.audit import audit_record
from cases.services.consent import consent_record, information_letter_create
from cases.services.instruments import (
    guide_prompt_add,
    guide_question_add,
    guide_theme_add,
    instrument_create,
    instrument_version_copy,
)
from cases.services.people import (
    attribute_definition_create,
    group_create,
    identity_save,
    informant_create,
    site_create,
)
from cases.services.records import record_create
from cases.services.studies import research_question_create, study_create
from interviews.models import Attendance, Session
from interviews.services.fieldwork import attendance_set, recording_create, session_create

DATA_FILE = Path(__file__).with_name("study-003.json")
DEMO_PASSWORD = "demo-pass-2026"


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str | None  # the membership role in the demo study; None for the admin


RESEARCHER = DemoUser("student@demo.no", "Demo Student", Membership.Role.OWNER)
SUPERVISOR = DemoUser("veileder@demo.no", "Demo Veileder", Membership.Role.SUPERVISOR)
CO_RESEARCHER = DemoUser("medstudent@demo.no", "Demo Medstudent", Membership.Role.CO_RESEARCHER)
ADMIN = DemoUser("admin@demo.no", "Demo Admin", None)
DEMO_USERS = (RESEARCHER, SUPERVISOR, CO_RESEARCHER, ADMIN)

STUDY_START = dt.date(2016, 9, 1)  # the thesis gives no start date; the autumn semester is a fair guess
WORKING_TITLE = "Medarbeiderdrevet innovasjon i kommunene"
RQ_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
GROUP_LABELS = {"arbeidsgiver": "Arbeidsgiver", "tillitsvalgt": "Tillitsvalgt"}
RECRUITMENT_CHANNELS = {
    "arbeidsgiver": "Regionalt personalnettverk (forskerens eget nettverk)",
    "tillitsvalgt": "Spurt av personalleder i kommunen på vegne av forskeren",
}
UNION_ATTRIBUTE = "Fagforbund"
UNION_CHOICES = ("Fagforbundet", "Annet")
KNOWN_ATTRIBUTE = "Kjent av forsker fra før"
ATTRIBUTES = (
    (UNION_ATTRIBUTE, AttributeDefinition.Kind.CHOICE, UNION_CHOICES),
    (KNOWN_ATTRIBUTE, AttributeDefinition.Kind.CHOICE, ("Ja", "Nei")),
    ("År i stillingen", AttributeDefinition.Kind.NUMBER, ()),
)
# The informant left without consent, so the overview has something real to flag.
NO_CONSENT_CODE = "TV5"
# NSD conditions the demo student has ticked off (indices into the JSON list). Left open on purpose:
# the change notification (processing ran past the end date), the three-year notice, NSD's end-of-project
# enquiry, encryption on mobile devices and anonymisation at the end.
SIKT_CONDITIONS_MET = frozenset({0, 3, 5, 6, 7, 8})

# Each guide question maps to the chapter-4 subsection that answers it (study-003.md, §4);
# the subsection's parent section carries the research question in ``chapter4_outline``.
GUIDE_SECTIONS = (
    ("Hva legger du i begrepet innovasjon", "4.1.1"),
    ("Er det noen områder som skiller seg ut", "4.1.2"),
    ("Fortell om din arbeidshverdag", "4.1.3"),
    ("Er det for mye fokus på endring", "4.1.3"),
    ("Hvordan blir ideer/forbedringsforslag", "4.1.4"),
    ("Oppmuntrer arbeidsgiverne", "4.3.1"),
    ("Hva kan arbeidsgiverne gjøre mer av", "4.1.5"),
    ("Hva slags rolle kan tillitsvalgte", "4.2.1"),
    ("Hva kan medarbeiderne selv gjøre", "4.3.2"),
    ("Hovedavtalen viser til medbestemmelse", "4.1.6"),
    ("Bør innovasjon og nyskapning forankres", "4.1.7"),
    ("Noen kommer kommuner har gjennomført", "4.1.8"),
    ("Kjenner du til noen metoder og verktøy", "4.5.1"),
    ("Hvordan kan kommunen tilrettelegge", "4.5.2"),
    ("Hva tenker du om etablering av selvstyrte", "4.5.3"),
    ("Hva slags opplæring", "4.5.4"),
    ("Hva tror du er kommunens", "4.1.9"),
    ("Avslutningsvis, hva ser du for deg som de tre største barrierene", "4.4.1"),
)

REFLEXIVE_MEMO = (
    "Intervju i egen kommune. Jeg kjenner informanten godt fra jobben, og det ble mer faglig dialog "
    "enn intervjuguiden la opp til. NSD minnet om at frivilligheten kan være problematisk når jeg "
    "rekrutterer gjennom eget nettverk; forskerrollen må drøftes i metodekapitlet."
)

LINE_REFERENCE = re.compile(r"\s*\((?:l\.\s?\d+(?:[-–]\d+)?(?:,\s*)?)+\)")
SENTENCE_AFTER_QUESTION = re.compile(r"(?<=\?)\s+(?=[A-ZÆØÅ])")


@dataclass
class DemoResult:
    study: Study
    created: bool
    users: dict[str, User]


# Invented names for the demo's key list: plausible enough that the re-identification check has something
# realistic to look for, and none of them occurs in the thesis's quotes (tests/cases/test_demo.py checks).
FICTIONAL_NAMES = (
    "Ingrid Solbakken",
    "Torbjørn Lienes",
    "Marit Fjellheim",
    "Henrik Aasen",
    "Solveig Brekken",
    "Eirik Myhrvold",
    "Randi Sætre",
    "Knut Hovland",
    "Liv Engebretsen",
    "Arne Tofte",
)


@cache
def demo_data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def demo_title() -> str:
    return demo_data()["study"]["title"]


def without_line_references(text: str) -> str:
    """Drop the extraction's "(l.123-130)" source references: they mean nothing to a demo user."""
    return LINE_REFERENCE.sub("", text).strip()


def demo_users_ensure() -> dict[str, User]:
    """Create the demo users, or reset their names and password so the printed logins always work."""
    # Hashed once for all four users: an Argon2 run is meant to be slow.
    password = make_password(DEMO_PASSWORD)
    users = {}
    for demo_user in DEMO_USERS:
        user = User.objects.filter(email=demo_user.email).first()
        if user is None:
            create = User.objects.create_superuser if demo_user is ADMIN else User.objects.create_user
            user = create(email=demo_user.email, password=None, full_name=demo_user.full_name)
        user.password = password
        user.full_name = demo_user.full_name
        user.is_active = True
        if demo_user is ADMIN:
            user.is_staff = user.is_superuser = True
        user.save()
        users[demo_user.email] = user
    return users


def demo_studies(owner: User):
    return Study.objects.filter(created_by=owner, title=demo_title())


def demo_study_delete(*, study: Study, actor: User) -> None:
    """Remove the demo study and everything in it (used by ``load_demo --reset``)."""
    with transaction.atomic():
        audit_record(study=None, actor=actor, action="demo.study_deleted", label=f"study {study.pk}")
        study.delete()


def demo_load(*, reset: bool = False) -> DemoResult:
    """Ensure the demo users and one demo study exist; with ``reset`` the study is rebuilt from scratch."""
    with transaction.atomic():
        users = demo_users_ensure()
        owner = users[RESEARCHER.email]
        existing = demo_studies(owner).order_by("pk").first()
        if existing is not None and not reset:
            return DemoResult(study=existing, created=False, users=users)
        for study in demo_studies(owner):
            demo_study_delete(study=study, actor=owner)
        study = demo_study_build(users=users)
    return DemoResult(study=study, created=True, users=users)


def demo_study_build(*, users: dict[str, User]) -> Study:
    data = demo_data()
    owner = users[RESEARCHER.email]
    with transaction.atomic():
        study = _study(data, owner)
        for demo_user in (SUPERVISOR, CO_RESEARCHER):
            membership = Membership(study=study, user=users[demo_user.email], role=demo_user.role)
            record_create(
                study=study,
                actor=owner,
                instance=membership,
                action="membership.added",
                label=str(membership.get_role_display()),
            )
        research_questions = _research_questions(data, study, owner)
        _approvals(data, study, owner)
        sites = _sites(data, study, owner)
        informants = _informants(data, study, owner, sites)
        letter = _information_letter(data, study, owner)
        full_guide = _interview_guide(data, study, owner, research_questions)
        _consents(data, owner, informants, letter)
        _sessions(data, study, owner, informants, full_guide)
        codes = build_codebook(data, study, owner, research_questions)
        build_transcripts(data, study, owner, informants, codes)
        demo_chapter_build(study=study, owner=owner)
    return study


def _study(data: dict[str, Any], owner: User) -> Study:
    meta = data["study"]
    return study_create(
        owner=owner,
        title=meta["title"],
        working_title=WORKING_TITLE,
        problem_statement=meta["problemstilling"],
        problem_kind=Study.ProblemKind.QUESTION,
        design=without_line_references(meta["design"]),
        theory_framework="\n".join(without_line_references(item) for item in meta["theoretical_framework"]),
        institution=meta["institution"],
        programme=without_line_references(meta["programme"]),
        year=meta["year"],
        language=meta["language"][:2],
        start_date=STUDY_START,
        end_date=dt.date.fromisoformat(data["consent"]["project_end_date"]),
        withdrawal_action=Study.WithdrawalAction.ANONYMISE,  # the letter promised anonymisation on withdrawal
        key_list_access=Study.KeyListAccess.RESEARCHERS_AND_SUPERVISOR,  # the supervisor was "daglig ansvarlig"
    )


def _research_questions(data: dict[str, Any], study: Study, owner: User) -> dict[str, ResearchQuestion]:
    return {
        item["code"]: research_question_create(
            study=study, actor=owner, label=item["code"], text=item["text"], colour=colour
        )
        for item, colour in zip(data["study"]["research_questions"], RQ_COLOURS, strict=True)
    }


def _approvals(data: dict[str, Any], study: Study, owner: User) -> None:
    nsd = data["consent"]["nsd"]
    sikt = approval_create(
        study=study,
        actor=owner,
        kind=Approval.Kind.SIKT,
        state=Approval.State.APPROVED,
        authority="Sikt (tidligere NSD)",
        project_number=nsd["project_no"],
        reference=nsd["reference"],
        submitted_on=dt.date.fromisoformat(nsd["notification_received"]),
        answered_on=dt.date.fromisoformat(nsd["receipt_date"]),
        valid_until=dt.date.fromisoformat(data["consent"]["project_end_date"]),
        notes=without_line_references(nsd["legal_basis"]),
        conditions=[without_line_references(text) for text in nsd["conditions"]],
    )
    for position, condition in enumerate(sikt.conditions.order_by("position", "id")):
        if position in SIKT_CONDITIONS_MET:
            approval_condition_set(condition=condition, actor=owner, is_met=True)
    approval_create(
        study=study,
        actor=owner,
        kind=Approval.Kind.ORGANISATION,
        state=Approval.State.APPROVED,
        authority="KS / regionalt personalnettverk",
        notes="Personalnettverket i regionen sa ja til å delta på arbeidsgiversiden; "
        "personallederne spurte sine hovedtillitsvalgte.",
    )


def _population_band(population: int | None) -> str:
    if population is None:
        return ""
    return "under 3 000 innbyggere" if population < 3000 else "3 000–5 000 innbyggere"


def _sites(data: dict[str, Any], study: Study, owner: User) -> dict[str, Site]:
    """Pseudonymise the municipalities: the researcher's own first (Kommune A), dropped ones last."""
    rows = data["study"]["sites"]
    included = sorted(
        (s for s in rows if s["status"] == "included"), key=lambda s: "own employer" not in s.get("note", "")
    )
    dropped = [s for s in rows if s["status"] != "included"]
    sites = {}
    for letter, row in zip("ABCDEFGH", included + dropped, strict=False):
        is_dropped = row in dropped
        description = "; ".join(part for part in (_population_band(row["population"]), row["organisation"]) if part)
        sites[row["code"]] = site_create(
            study=study,
            actor=owner,
            pseudonym=f"Kommune {letter}",
            kind="Kommune",
            description=description,
            status=Site.Status.DROPPED if is_dropped else Site.Status.INCLUDED,
            dropped_reason="Fant ikke tid til intervju i perioden." if is_dropped else "",
            is_own_organisation="own employer" in row.get("note", ""),
        )
    return sites


def _informants(data: dict[str, Any], study: Study, owner: User, sites: dict[str, Site]) -> dict[str, Informant]:
    groups = {}
    for position, (key, label) in enumerate(GROUP_LABELS.items()):
        groups[key] = group_create(
            study=study, actor=owner, label=label, perspective=InformantGroup.Perspective.SELF, position=position
        )
    definitions = {
        name: attribute_definition_create(
            study=study, actor=owner, name=name, kind=kind, choices=list(choices), position=position
        )
        for position, (name, kind, choices) in enumerate(ATTRIBUTES)
    }
    union, known = definitions[UNION_ATTRIBUTE], definitions[KNOWN_ATTRIBUTE]

    site_plan = _site_plan(data["informants"], sites)
    informants = {}
    for number, row in enumerate(data["informants"], start=1):
        site = site_plan[row["code"]]
        is_employer = row["group"] == "arbeidsgiver"
        # The researcher knew all five employer representatives and one union rep (the one in his own municipality here).
        known_before = is_employer or site.is_own_organisation
        relationship = Informant.Relationship.COLLEAGUE if known_before else Informant.Relationship.NONE
        if is_employer and site.is_own_organisation and row["role"] == "rådmann":
            relationship = Informant.Relationship.MANAGER
        attributes: dict[AttributeDefinition, Any] = {known: "Ja" if known_before else "Nei"}
        if "union" in row["attributes"]:
            attributes[union] = row["attributes"]["union"] if row["attributes"]["union"] in UNION_CHOICES else "Annet"
        informant = informant_create(
            study=study,
            actor=owner,
            code=row["code"],
            group=groups[row["group"]],
            site=site,
            role=row["role"],
            recruitment_channel=RECRUITMENT_CHANNELS[row["group"]],
            relationship=relationship,
            status=Informant.Status.RECRUITED,
            attributes=attributes,
        )
        identity_save(
            informant=informant,
            actor=owner,
            full_name=FICTIONAL_NAMES[(number - 1) % len(FICTIONAL_NAMES)],
            email=f"informant{number}@example.invalid",
            organisation=f"Fiktiv arbeidsplass ({site.pseudonym})",
            notes="Demodata: ikke en ekte person.",
        )
        informants[informant.code] = informant
    return informants


def _site_plan(rows: list[dict[str, Any]], sites: dict[str, Site]) -> dict[str, Site]:
    """One informant of each group per included site; an informant the data places at a site keeps it."""
    included = [code for code, site in sites.items() if site.status == Site.Status.INCLUDED]
    plan: dict[str, str] = {}
    for group in dict.fromkeys(row["group"] for row in rows):
        members = [row for row in rows if row["group"] == group]
        for row in members:
            hint = row["attributes"].get("site") or ""
            placed = next((code for code in included if hint.startswith(code)), None)
            if placed is not None:
                plan[row["code"]] = placed
        taken = {plan[row["code"]] for row in members if row["code"] in plan}
        free = iter(code for code in included if code not in taken)
        for row in members:
            if row["code"] not in plan:
                plan[row["code"]] = next(free)
    return {informant_code: sites[site_code] for informant_code, site_code in plan.items()}


def _information_letter(data: dict[str, Any], study: Study, owner: User) -> InformationLetter:
    return information_letter_create(
        study=study,
        actor=owner,
        version="v1, 2016-11",
        promised_access="student og veileder",
        promised_storage="egen pc og minnebrikke",
        promised_deletion=dt.date.fromisoformat(data["consent"]["project_end_date"]),
    )


def _interview_month(index: int) -> dt.date:
    """The thesis only says January–February 2017: the first five sessions (employers) go in January, the rest in February."""
    return dt.date(2017, 1, 1) if index < 5 else dt.date(2017, 2, 1)


def _consents(data: dict[str, Any], owner: User, informants: dict[str, Informant], letter: InformationLetter) -> None:
    interview_month = {
        code: _interview_month(index) for index, row in enumerate(data["sessions"]) for code in row["participants"]
    }
    for code in informants:
        if code == NO_CONSENT_CODE:
            continue
        consent_record(
            informant=informants[code],
            actor=owner,
            letter=letter,
            mode=ConsentRecord.Mode.WRITTEN,
            # Signed forms came back after the appointment was agreed, a couple of weeks before the interview.
            given_on=interview_month[code] - dt.timedelta(days=14),
            covers_interview=True,
            covers_recording=True,
            covers_observation=False,
            covers_quotes=True,
            notes="Skriftlig samtykkeerklæring. Samtykke til lydopptak bekreftet muntlig ved intervjustart.",
        )


def _interview_guide(
    data: dict[str, Any], study: Study, owner: User, research_questions: dict[str, ResearchQuestion]
) -> InstrumentVersion:
    """The full guide for the researcher, and a copy as the version sent to the informants."""
    instrument = instrument_create(
        study=study,
        actor=owner,
        first_version_label="full",
        title="Intervjuguide",
        description="Individuelt, semistrukturert intervju. Samme guide for arbeidsgivere og hovedtillitsvalgte.",
    )
    full = instrument.versions.get()
    section_rq = {entry["number"]: entry.get("research_question") for entry in data["chapter4_outline"]}
    for theme_number, theme_row in enumerate(data["interview_guide"], start=1):
        theme = guide_theme_add(version=full, actor=owner, title=theme_row["theme"])
        _guide_questions(theme, theme_number, theme_row["questions"], owner, research_questions, section_rq)
    instrument_version_copy(
        version=full,
        actor=owner,
        label="kortversjon sendt til informantene",
        audience=InstrumentVersion.Audience.INFORMANTS,
    )
    return full


def _guide_questions(
    theme: GuideTheme,
    theme_number: int,
    texts: list[str],
    owner: User,
    research_questions: dict[str, ResearchQuestion],
    section_rq: dict[str, str | None],
) -> None:
    """A guide line becomes a question; its follow-up sentences ("Forslagskasse?") become prompts."""
    for question_number, text in enumerate(texts, start=1):
        main, *prompts = SENTENCE_AFTER_QUESTION.split(text)
        section = next((number for start, number in GUIDE_SECTIONS if text.startswith(start)), None)
        rq_code = section_rq.get(".".join(section.split(".")[:2])) if section else None
        question = guide_question_add(
            theme=theme,
            actor=owner,
            label=f"{theme_number}.{question_number}",
            text=main,
            research_question=research_questions.get(rq_code) if rq_code else None,
        )
        for prompt in prompts:
            guide_prompt_add(question=question, actor=owner, text=prompt)


def _sessions(
    data: dict[str, Any], study: Study, owner: User, informants: dict[str, Informant], guide: InstrumentVersion
) -> None:
    project_end = dt.date.fromisoformat(data["consent"]["project_end_date"])
    for index, row in enumerate(data["sessions"]):
        participants = [informants[code] for code in row["participants"]]
        held = NO_CONSENT_CODE not in row["participants"]
        session = session_create(
            study=study,
            actor=owner,
            code=row["id"],
            title="Individuelt, semistrukturert intervju",
            kind=Session.Kind.INDIVIDUAL_INTERVIEW,
            status=Session.Status.HELD if held else Session.Status.PLANNED,
            date=_interview_month(index) if held else None,
            date_precision=Session.DatePrecision.MONTH,
            place="informantens arbeidsplass",
            mode=Session.Mode.ON_SITE,
            site=participants[0].site,
            moderator=owner,
            guide_version=guide,
            # The memo sits on the interview where the researcher's insider role weighed most.
            reflexive_memo=REFLEXIVE_MEMO
            if any(p.relationship == Informant.Relationship.MANAGER for p in participants)
            else "",
        )
        for informant in participants:
            attendance_set(
                session=session,
                informant=informant,
                actor=owner,
                status=Attendance.Status.CAME if held else Attendance.Status.INVITED,
            )
        if held:
            recording_create(
                session=session,
                actor=owner,
                device="iPhone",
                storage_location="minnebrikke",
                encrypted=False,
                deletion_due=project_end,
                notes="Lydfilen ble flyttet fra iPhone til en egen minnebrikke, etter instruks fra NSD.",
            )
