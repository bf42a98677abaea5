"""Whose data may be shown or exported, and why not.

An informant's data is *excluded* – left out of every export and of the
supervisor's views – when their current consent (the latest record) is missing,
still pending, withdrawn, or given without consent to quotes; an informant
marked withdrawn or anonymised counts as withdrawn whatever the records say.

Everything here reads; nothing writes. Each function states how many queries it
costs, because the retrieval page and the coding view pin their query counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.models import ConsentRecord, Informant, Membership, Study
from interviews.models import Excerpt


class Reason(models.TextChoices):
    """Why an informant's data is left out. The value is the English phrase; the label is translated."""

    WITHDRAWN = "consent withdrawn", gettext_lazy("consent withdrawn")
    NO_CONSENT = "no consent recorded", gettext_lazy("no consent recorded")
    PENDING = "consent pending", gettext_lazy("consent pending")
    NO_QUOTES = "no consent to quotes", gettext_lazy("no consent to quotes")


def _sentence(code: str, reason: str) -> str:
    """``TV5 has no consent recorded``: one informant and the reason their excerpts are left out."""
    templates = {
        Reason.WITHDRAWN: _("%(code)s has withdrawn consent"),
        Reason.NO_CONSENT: _("%(code)s has no consent recorded"),
        Reason.PENDING: _("%(code)s's consent is still pending"),
        Reason.NO_QUOTES: _("%(code)s gave no consent to quotes"),
    }
    return templates[Reason(reason)] % {"code": code}


def with_exclusion_reason(queryset: QuerySet, *, informant_ref: str = "pk", informant_path: str = "") -> QuerySet:
    """``queryset`` annotated with ``exclusion``: a :class:`Reason` value, or None when the data may be used.

    Works on informants (the defaults) and on any row pointing at one, e.g. an
    excerpt's speaker link with ``informant_ref="informant_id", informant_path="informant__"``.
    The latest consent is read with correlated subqueries, so this adds no query.
    """
    latest = ConsentRecord.objects.filter(informant=OuterRef(informant_ref)).order_by("-recorded_at", "-id")
    withdrawn = (
        Q(**{f"{informant_path}status": Informant.Status.WITHDRAWN})
        | Q(**{f"{informant_path}anonymised_at__isnull": False})
        | Q(policy_consent_withdrawn_on__isnull=False)
    )
    return queryset.annotate(
        policy_consent_id=Subquery(latest.values("pk")[:1]),
        policy_consent_given_on=Subquery(latest.values("given_on")[:1]),
        policy_consent_withdrawn_on=Subquery(latest.values("withdrawn_on")[:1]),
        policy_consent_covers_quotes=Subquery(latest.values("covers_quotes")[:1]),
    ).annotate(
        exclusion=Case(
            When(withdrawn, then=Value(Reason.WITHDRAWN.value)),
            When(policy_consent_id__isnull=True, then=Value(Reason.NO_CONSENT.value)),
            When(policy_consent_given_on__isnull=True, then=Value(Reason.PENDING.value)),
            When(policy_consent_covers_quotes=False, then=Value(Reason.NO_QUOTES.value)),
            default=None,
            output_field=CharField(),
        )
    )


def excluded_informant_queryset(study: Study) -> QuerySet[Informant]:
    """The study's excluded informants, annotated with ``exclusion``; lazy, usable as a subquery."""
    return with_exclusion_reason(Informant.objects.filter(study=study)).filter(exclusion__isnull=False)


def excluded_informants(study: Study) -> dict[int, Reason]:
    """Informant id → why their data is left out, for every excluded informant of ``study``. One query."""
    return {pk: Reason(reason) for pk, reason in excluded_informant_queryset(study).values_list("pk", "exclusion")}


def hides_excluded(role: str | None) -> bool:
    """Whether the role's *views* leave excluded informants out (every role's exports do)."""
    return role == Membership.Role.SUPERVISOR


def excerpts_without_excluded(excerpts: QuerySet, study: Study) -> QuerySet:
    """``excerpts`` minus those spoken (in part) by an excluded informant. Adds no query of its own."""
    links = Excerpt.speakers.through.objects.filter(
        excerpt_id=OuterRef("pk"), informant_id__in=excluded_informant_queryset(study).values("pk")
    )
    return excerpts.exclude(models.Exists(links))


@dataclass
class LeftOutInformant:
    code: str
    reason: Reason
    excerpts: int

    @property
    def sentence(self) -> str:
        return _sentence(self.code, self.reason)


@dataclass
class LeftOut:
    """What a page or an export left out and why, by informant code (never anything from the key list)."""

    excerpt_ids: set[int] = field(default_factory=set)
    informants: list[LeftOutInformant] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.excerpt_ids)

    @property
    def count(self) -> int:
        return len(self.excerpt_ids)

    @property
    def summary(self) -> str:
        """``4 excerpts left out: 3 — TV5 has no consent recorded; 1 — AG2 gave no consent to quotes``."""
        if not self:
            return ""
        head = ngettext("%(n)d excerpt left out", "%(n)d excerpts left out", self.count) % {"n": self.count}
        parts = [f"{item.excerpts} — {item.sentence}" for item in self.informants]
        return f"{head}: {'; '.join(parts)}"


def left_out(excerpts: QuerySet, study: Study) -> LeftOut:
    """Which of ``excerpts`` an excluded informant speaks in, and why. One query.

    An excerpt with two excluded speakers counts once in the total and once for each of them.
    """
    links = with_exclusion_reason(
        Excerpt.speakers.through.objects.filter(
            excerpt_id__in=excerpts.order_by().values("pk"),
            informant_id__in=excluded_informant_queryset(study).values("pk"),
        ),
        informant_ref="informant_id",
        informant_path="informant__",
    ).values_list("excerpt_id", "informant__code", "exclusion")
    result = LeftOut()
    per_informant: Counter[tuple[str, str]] = Counter()
    for excerpt_id, code, reason in links:
        result.excerpt_ids.add(excerpt_id)
        per_informant[(code, reason)] += 1
    result.informants = [
        LeftOutInformant(code=code, reason=Reason(reason), excerpts=count)
        for (code, reason), count in sorted(per_informant.items(), key=lambda item: (-item[1], item[0][0]))
    ]
    return result


@dataclass
class ExcludedCount:
    reason: Reason
    informants: int

    @property
    def label(self) -> str:
        return str(self.reason.label)


def excluded_counts(excluded: dict[int, Reason], *, include_withdrawn: bool = False) -> list[ExcludedCount]:
    """How many informants are left out for each reason, in a fixed order; withdrawn ones only if asked."""
    counts: dict[Reason, int] = defaultdict(int)
    for reason in excluded.values():
        if reason == Reason.WITHDRAWN and not include_withdrawn:
            continue
        counts[reason] += 1
    return [ExcludedCount(reason, counts[reason]) for reason in Reason if counts.get(reason)]


def consent_problems(informant_ids: list[int]) -> dict[int, tuple[str, Reason]]:
    """For the given informants, those whose consent is not given (missing, pending, withdrawn): id → (code, reason).

    Consent without quotes is not a problem here: it limits publication, not data entry. One query (none if empty).
    """
    if not informant_ids:
        return {}
    rows = with_exclusion_reason(Informant.objects.filter(pk__in=informant_ids)).values_list("pk", "code", "exclusion")
    return {
        pk: (code, Reason(reason)) for pk, code, reason in rows if reason is not None and reason != Reason.NO_QUOTES
    }


def problem_sentence(code: str, reason: Reason) -> str:
    return _sentence(code, reason)
