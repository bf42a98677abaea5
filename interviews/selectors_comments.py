"""Comment threads: on an excerpt, a code, a source or a session. Reads only; one query per call."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from cases.models import Study
from interviews.models import ReviewComment


def target_of(comment: ReviewComment) -> tuple[str, int]:
    """What a comment is about: ("excerpt" | "code" | "source" | "session", id)."""
    for name in ("excerpt", "code", "source", "session"):
        pk = getattr(comment, f"{name}_id")
        if pk:
            return name, pk
    raise ValueError("A comment without a target.")


def threads(comments: list[ReviewComment]) -> dict[tuple[str, int], list[ReviewComment]]:
    """Root comments by target, in order, each with ``thread_replies`` in order."""
    replies: dict[int, list[ReviewComment]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id:
            replies[comment.parent_id].append(comment)
    found: dict[tuple[str, int], list[ReviewComment]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is None:
            comment.thread_replies = replies[comment.pk]
            found[target_of(comment)].append(comment)
    return found


def comments_with_authors(study: Study) -> QuerySet[ReviewComment]:
    return ReviewComment.objects.filter(study=study).select_related("author", "resolved_by")


def threads_on(study: Study, **target: object) -> list[ReviewComment]:
    """The threads on one object, e.g. ``threads_on(study, source=source)``: one query."""
    ((name, obj),) = target.items()
    return threads(list(comments_with_authors(study).filter(**target))).get((name, obj.pk), [])


def open_threads(study: Study) -> list[ReviewComment]:
    """Unresolved threads on sources and sessions (excerpt and code threads live on the review screens): one query."""
    return list(
        ReviewComment.objects.filter(study=study, parent__isnull=True, resolved_at__isnull=True)
        .exclude(source__isnull=True, session__isnull=True)
        .select_related("author", "source", "session")
        .defer("source__text")
        .order_by("-created_at", "-id")
    )
