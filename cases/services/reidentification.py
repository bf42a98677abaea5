"""Re-identification warnings: what in a text, or in the study's make-up, could point to a person.

``reidentification_warnings`` is a pure check the chapter-4 export calls on the
texts it is about to publish. It looks, case-insensitively and on word
boundaries, for

* real names from the key list: each full name, and each part of it (first
  name, last name, either half of a hyphenated name) of three letters or more;
* the real names of sites (``Site.real_name``);
* the study's own list of sensitive place and project names (``SensitiveTerm``);
* roles that only one informant has ("rådmann"): the role word in a text, and
  the structural risk itself;
* informant groups of fewer than three people (structural, not in a text).

It decrypts the key list, so a caller that shows its results must have checked
``Action.VIEW_KEY_LIST`` and audits the read; ``reidentification_check`` does
both for the study's excerpts. Also here: the services that manage the
sensitive terms and the sites' real names.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from cases.models import IdentityRecord, Informant, InformantGroup, SensitiveTerm, Site, Study, User

from .audit import audit_record

MIN_NAME_PART = 3
MIN_TERM = 2
MIN_GROUP_SIZE = 3
# Informants who take part in the study's data; the others are not in any text or count.
INACTIVE = (Informant.Status.DECLINED, Informant.Status.WITHDRAWN, Informant.Status.CANDIDATE)


class WarningKind(StrEnum):
    KEY_LIST_NAME = "key_list_name"
    SITE_NAME = "site_name"
    SENSITIVE_TERM = "sensitive_term"
    SINGLE_ROLE = "single_role"
    SMALL_GROUP = "small_group"


KIND_LABELS = {
    WarningKind.KEY_LIST_NAME: lambda: _("Name from the key list"),
    WarningKind.SITE_NAME: lambda: _("Real site name"),
    WarningKind.SENSITIVE_TERM: lambda: _("Sensitive term"),
    WarningKind.SINGLE_ROLE: lambda: _("Role only one informant has"),
    WarningKind.SMALL_GROUP: lambda: _("Group of fewer than three"),
}


@dataclass(frozen=True)
class ReidentificationWarning:
    """One risk: in a text (``key``, ``start``, ``end`` set) or in the study's make-up (``key`` None).

    ``term`` is what was found, for readers of the key list only; ``masked``
    names the risk without revealing it, for everyone else.
    """

    kind: WarningKind
    term: str
    masked: str
    key: Hashable | None = None
    start: int | None = None
    end: int | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]()

    @property
    def in_text(self) -> bool:
        return self.start is not None

    def shown(self, *, reveal: bool) -> str:
        return self.term if reveal else self.masked


@dataclass(frozen=True)
class _Term:
    text: str
    kind: WarningKind
    masked: str


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def name_variants(full_name: str) -> list[str]:
    """The full name and its parts of at least three letters ("Anne-Lise Berg" → + Anne-Lise, Anne, Lise, Berg)."""
    full = _normal(full_name)
    if not full:
        return []
    variants = [full]
    for word in full.split(" "):
        for part in [word, *word.split("-")]:
            part = part.strip(".,")
            if sum(ch.isalpha() for ch in part) >= MIN_NAME_PART and part not in variants:
                variants.append(part)
    return variants


def _roles_held_once(study: Study) -> list[str]:
    roles = Informant.objects.filter(study=study).exclude(status__in=INACTIVE).exclude(role="")
    counts = Counter(_normal(role).casefold() for role in roles.values_list("role", flat=True))
    first_spelling: dict[str, str] = {}
    for role in roles.order_by("code").values_list("role", flat=True):
        first_spelling.setdefault(_normal(role).casefold(), _normal(role))
    return sorted(first_spelling[key] for key, n in counts.items() if n == 1)


def _terms(study: Study, single_roles: list[str]) -> list[_Term]:
    masked_name = _("a name from the key list")
    terms: list[_Term] = []
    for full_name in IdentityRecord.objects.filter(informant__study=study).values_list("full_name", flat=True):
        terms += [_Term(v, WarningKind.KEY_LIST_NAME, masked_name) for v in name_variants(full_name)]
    for site in Site.objects.filter(study=study).exclude(real_name="").only("pseudonym", "real_name"):
        masked = _("the real name of %(site)s") % {"site": site.pseudonym}
        terms.append(_Term(_normal(site.real_name), WarningKind.SITE_NAME, masked))
    for sensitive in SensitiveTerm.objects.filter(study=study):
        masked = _("a sensitive term (%(kind)s)") % {"kind": sensitive.get_kind_display().lower()}
        terms.append(_Term(_normal(sensitive.term), WarningKind.SENSITIVE_TERM, masked))
    for role in single_roles:
        masked = _("the role “%(role)s”, which only one informant has") % {"role": role}
        terms.append(_Term(role, WarningKind.SINGLE_ROLE, masked))
    return [term for term in terms if len(term.text) >= MIN_TERM]


def _pattern(terms: list[_Term]) -> re.Pattern | None:
    if not terms:
        return None
    # Longest first, so "Kari Nordmann" wins over "Kari" at the same place; lookarounds, not \b, so a
    # term that starts or ends with punctuation ("St. Olavs") still needs a word boundary around it.
    alternatives = sorted({re.escape(t.text) for t in terms}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _structural_warnings(study: Study, single_roles: list[str]) -> list[ReidentificationWarning]:
    warnings = [
        ReidentificationWarning(
            kind=WarningKind.SINGLE_ROLE,
            term=role,
            masked=_("the role “%(role)s”, which only one informant has") % {"role": role},
        )
        for role in single_roles
    ]
    small = (
        InformantGroup.objects.filter(study=study)
        .annotate(n=Count("informants", filter=~Q(informants__status__in=INACTIVE)))
        .filter(n__gt=0, n__lt=MIN_GROUP_SIZE)
        .order_by("position", "label")
    )
    for group in small:
        label = _("group “%(label)s” (%(n)d informants)") % {"label": group.label, "n": group.n}
        warnings.append(ReidentificationWarning(kind=WarningKind.SMALL_GROUP, term=label, masked=label))
    return warnings


def reidentification_warnings(*, study: Study, texts: Iterable[tuple[Hashable, str]]) -> list[ReidentificationWarning]:
    """Every risk in ``texts`` (pairs of a caller's key and the text), then the study's structural risks.

    Offsets are Python string indices into the given text, end exclusive.
    """
    single_roles = _roles_held_once(study)
    terms = _terms(study, single_roles)
    pattern = _pattern(terms)
    by_text = {t.text.casefold(): t for t in reversed(terms)}  # the first definition of a term wins
    warnings: list[ReidentificationWarning] = []
    if pattern is not None:
        for key, text in texts:
            for match in pattern.finditer(text):
                term = by_text.get(match.group(0).casefold()) or next(
                    t for t in terms if re.fullmatch(re.escape(t.text), match.group(0), re.IGNORECASE)
                )
                warnings.append(
                    ReidentificationWarning(
                        kind=term.kind,
                        term=match.group(0),
                        masked=term.masked,
                        key=key,
                        start=match.start(),
                        end=match.end(),
                    )
                )
    return warnings + _structural_warnings(study, single_roles)


def reidentification_check(*, study: Study, actor: User) -> list[ReidentificationWarning]:
    """Check all the study's excerpts (key: the excerpt's id) and audit that the key list and terms were read.

    Callers must have checked ``Action.VIEW_KEY_LIST`` for ``actor``.
    """
    from interviews.models import Excerpt

    texts = list(Excerpt.objects.filter(study=study).order_by("source_id", "start", "pk").values_list("pk", "text"))
    warnings = reidentification_warnings(study=study, texts=texts)
    audit_record(
        study=study,
        actor=actor,
        action="sensitive_terms.viewed",
        label=_("Re-identification check"),
        purpose="reidentification_check",
        excerpts=len(texts),
        warnings=len(warnings),
    )
    return warnings


# The sensitive-term list and the sites' real names ------------------------------------------------------------------


def sensitive_term_list(*, study: Study, actor: User) -> list[SensitiveTerm]:
    """The study's sensitive terms; the read is audited (ids only, never a term)."""
    terms = list(SensitiveTerm.objects.filter(study=study).order_by("kind", "pk"))
    audit_record(
        study=study,
        actor=actor,
        action="sensitive_terms.viewed",
        label=_("Sensitive terms"),
        purpose="list",
        terms=[t.pk for t in terms],
    )
    return terms


def sensitive_term_create(*, study: Study, actor: User, term: str, kind: str) -> SensitiveTerm:
    term = _normal(term)
    if len(term) < MIN_TERM:
        raise ValidationError({"term": _("A term needs at least %(n)d characters.") % {"n": MIN_TERM}})
    # Terms are encrypted with a random nonce, so the duplicate check decrypts the (short) list.
    existing = SensitiveTerm.objects.filter(study=study).values_list("term", flat=True)
    if any(_normal(other).casefold() == term.casefold() for other in existing):
        raise ValidationError({"term": _("This term is already on the list.")})
    instance = SensitiveTerm(study=study, term=term, kind=kind)
    # The label names the kind and id only: the term itself must not reach the audit trail.
    with transaction.atomic():
        instance.full_clean()
        instance.save()
        audit_record(
            study=study,
            actor=actor,
            action="sensitive_term.created",
            target=instance,
            label=str(instance),
            kind=kind,
        )
    return instance


def sensitive_term_delete(*, term: SensitiveTerm, actor: User) -> None:
    with transaction.atomic():
        audit_record(
            study=term.study, actor=actor, action="sensitive_term.deleted", target=term, label=str(term), kind=term.kind
        )
        term.delete()


def site_real_name_read(*, site: Site, actor: User) -> str:
    """A site's real name for editing; the read is audited. Callers check ``Action.EDIT_KEY_LIST``."""
    audit_record(study=site.study, actor=actor, action="site.real_name_viewed", target=site, label=site.pseudonym)
    return site.real_name


def site_real_name_update(*, site: Site, actor: User, real_name: str) -> Site:
    """Set or clear a site's real name; the audit row says whether it is set, never what it is."""
    site.real_name = _normal(real_name)
    site.full_clean()
    with transaction.atomic():
        # Only this column: the rest of the site is edited (and audited) on its own form.
        Site.objects.filter(pk=site.pk).update(real_name=site.real_name)
        audit_record(
            study=site.study,
            actor=actor,
            action="site.real_name_updated",
            target=site,
            label=site.pseudonym,
            is_set=bool(site.real_name),
        )
    return site
