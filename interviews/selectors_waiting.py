"""What waits for a user in each of their studies, as annotations on the home page's study query.

Everything is a correlated subquery on the one study query, so the home page's query
count does not grow with the number of studies.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from cases.models import Membership, Study, User
from interviews.models import ReviewBatch, ReviewComment


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("study").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_waiting_review(studies: QuerySet[Study], user: User) -> QuerySet[Study]:
    """Annotate each study with what waits for ``user``.

    ``batches_to_review``: submitted batches (for the supervisor).
    ``comments_from_researchers``: unresolved comments written by members who do not supervise (for the supervisor).
    ``batches_with_changes``: the user's own batches with changes requested (for researchers).
    ``comments_from_reviewers``: unresolved comments by the supervisor, or — in a study without one — by
    another member (for researchers).
    A comment is unresolved while its thread (its first comment) is.
    """
    supervises = Membership.objects.filter(
        study=OuterRef("study"), user=OuterRef("author"), role=Membership.Role.SUPERVISOR
    )
    has_supervisor = Membership.objects.filter(study=OuterRef("study"), role=Membership.Role.SUPERVISOR)
    open_comments = ReviewComment.objects.filter(study=OuterRef("pk")).filter(
        Q(parent__isnull=True, resolved_at__isnull=True) | Q(parent__isnull=False, parent__resolved_at__isnull=True)
    )
    return studies.annotate(
        batches_to_review=_count(ReviewBatch.objects.filter(study=OuterRef("pk"), state=ReviewBatch.State.SUBMITTED)),
        batches_with_changes=_count(
            ReviewBatch.objects.filter(study=OuterRef("pk"), created_by=user, state=ReviewBatch.State.CHANGES_REQUESTED)
        ),
        comments_from_researchers=_count(open_comments.filter(~Exists(supervises))),
        comments_from_reviewers=_count(
            open_comments.exclude(author=user).filter(Exists(supervises) | ~Exists(has_supervisor))
        ),
    )
