"""Reads for sources: querysets with their relations and counts loaded, for views that already checked the study."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cases.models import Study
from cases.precompiled import Precompiled

from .models import Excerpt, Session, Source, SpeakerLabel

# The excerpts overlapping a stretch of a source, one row per coding (id, start, end, code id; a LEFT JOIN keeps an
# excerpt without codes, with None): the coding view re-renders the lines around every code applied.
EXCERPTS_IN_WINDOW = Precompiled(
    lambda source, low, high: (
        Excerpt.objects.filter(source_id=source, start__lt=high, end__gt=low)
        .order_by()
        .values_list("id", "start", "end", "codings__code_id")
    ),
    "source",
    "low",
    "high",
)
UNMAPPED = Q(role=SpeakerLabel.Role.UNIDENTIFIED) | Q(role=SpeakerLabel.Role.INFORMANT, informant__isnull=True)


def _count(queryset: QuerySet) -> Coalesce:
    counted = (
        queryset.filter(source=OuterRef("pk")).order_by().values("source").annotate(count=Count("pk")).values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def source_list(study: Study, *, kind: str = "", session: Session | None = None) -> QuerySet[Source]:
    """The study's current sources without their text, each with ``excerpt_count``, ``label_count`` and
    ``unmapped_label_count`` (labels standing for nobody known), in one query."""
    sources = (
        Source.objects.filter(study=study, is_current=True)
        .select_related("session", "observer")
        .defer("text")
        .annotate(
            excerpt_count=_count(Excerpt.objects.all()),
            label_count=_count(SpeakerLabel.objects.all()),
            unmapped_label_count=_count(SpeakerLabel.objects.filter(UNMAPPED)),
        )
        .order_by("title", "pk")
    )
    if kind:
        sources = sources.filter(kind=kind)
    if session is not None:
        sources = sources.filter(session=session)
    return sources
