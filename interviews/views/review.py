"""Supervisor review: batches of coded excerpts, the review screen, decisions and comment threads.

The researcher builds and submits batches (Action.EDIT). Reviewing is not in the
role policy: the reviewer's views load the study with Action.VIEW and the
services decide who may review (PermissionDenied → 403). Excerpts of informants
without valid consent never appear on these pages.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cases import consent_policy
from cases.models import Study
from cases.permissions import Action, get_object_in_study
from cases.views.base import post_only, study_view
from interviews import selectors_comments as comment_threads
from interviews.forms.review import (
    ReviewBatchCreateForm,
    ReviewBatchDecideForm,
    ReviewCommentForm,
    ReviewItemDecideForm,
)
from interviews.models import (
    Code,
    CodebookSnapshot,
    Excerpt,
    ReviewBatch,
    ReviewComment,
    ReviewItem,
    Source,
    SpeakerTurn,
)
from interviews.services import review as services
from interviews.services import signoff as signoff_services

State = ReviewBatch.State
Decision = ReviewItem.Decision
SUBMITTABLE = (State.DRAFT, State.CHANGES_REQUESTED)
STATE_BADGES = {
    State.DRAFT: "text-bg-secondary",
    State.SUBMITTED: "text-bg-primary",
    State.APPROVED: "text-bg-success",
    State.CHANGES_REQUESTED: "text-bg-warning",
}
DECISION_BADGES = {
    Decision.PENDING: "text-bg-light border",
    Decision.APPROVED: "text-bg-success",
    Decision.CHANGE_REQUESTED: "text-bg-warning",
}


def _is_reviewer(request: HttpRequest, batch: ReviewBatch) -> bool:
    """The services decide; this only chooses which buttons to show."""
    return request.study_role in services.reviewer_roles(batch.study) and request.user.pk != batch.created_by_id


def _visible_items(study: Study):
    """The study's review items minus those of informants without valid consent; adds no query of its own."""
    visible = consent_policy.excerpts_without_excluded(Excerpt.objects.filter(study=study), study)
    return ReviewItem.objects.filter(batch__study=study, excerpt__in=visible)


def _back(study: Study, batch_id: int | None, anchor: str = "") -> HttpResponse:
    if batch_id is None:
        return redirect("review_list", study.pk)
    return redirect(reverse("review_batch", args=[study.pk, batch_id]) + anchor)


def _refused(request: HttpRequest, error: ValidationError, back: HttpResponse) -> HttpResponse:
    for message in error.messages:
        messages.error(request, message)
    return back


# --- the list ----------------------------------------------------------------------------------------------


@study_view()
@require_GET
def review_list(request: HttpRequest, study: Study) -> HttpResponse:
    visible = Q(items__in=_visible_items(study))
    batches = (
        ReviewBatch.objects.filter(study=study)
        .select_related("code", "created_by", "decided_by")
        .annotate(
            approved=Count("items", filter=visible & Q(items__decision=Decision.APPROVED), distinct=True),
            change_requested=Count(
                "items", filter=visible & Q(items__decision=Decision.CHANGE_REQUESTED), distinct=True
            ),
            pending=Count("items", filter=visible & Q(items__decision=Decision.PENDING), distinct=True),
        )
    )
    rows = [
        {"batch": batch, "badge": STATE_BADGES[batch.state], "can_submit": batch.state in SUBMITTABLE}
        for batch in batches
    ]
    form = ReviewBatchCreateForm(study=study) if request.study_can[Action.EDIT.value] else None
    context = {"study": study, "rows": rows, "form": form, "open_threads": comment_threads.open_threads(study)}
    return render(request, "interviews/review/list.html", context)


@study_view(Action.EDIT)
def review_batch_create(request: HttpRequest, study: Study) -> HttpResponse:
    """A batch from a code (its excerpts or its definition), a source, or excerpts ticked in retrieval.

    With ``submit_now`` (the coding view's and retrieval's buttons) it is submitted at once.
    """
    if request.method != "POST":
        return post_only()
    form = ReviewBatchCreateForm(request.POST, study=study)
    if form.is_valid():
        data = form.cleaned_data
        kind = ReviewBatch.Kind.CODE_DEFINITION if data["basis"] == form.DEFINITION else ReviewBatch.Kind.EXCERPTS
        try:
            with transaction.atomic():
                batch = services.review_batch_create(
                    study=study,
                    actor=request.user,
                    title=form.default_title(),
                    code=data["code"] if data["basis"] in (form.CODE, form.DEFINITION) else None,
                    source=data["source"] if data["basis"] == form.SOURCE else None,
                    excerpt_ids=[excerpt.pk for excerpt in data["excerpt"]] if data["basis"] == form.PICKED else (),
                    kind=kind,
                )
                if data["submit_now"]:
                    services.review_batch_submit_and_notify(batch=batch, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            count = batch.items.count()
            if batch.kind == ReviewBatch.Kind.CODE_DEFINITION:
                message = _("Batch created for the code's definition.")
            else:
                message = _("Batch created with %(count)d excerpts.") % {"count": count}
            if batch.left_out:
                message += " " + ngettext(
                    "%(n)d excerpt of an informant without valid consent was left out.",
                    "%(n)d excerpts of informants without valid consent were left out.",
                    batch.left_out,
                ) % {"n": batch.left_out}
            message += " " + (_("Submitted for review.") if data["submit_now"] else _("Submit it when you are ready."))
            messages.success(request, message)
            return redirect("review_batch", study.pk, batch.pk)
    return render(request, "interviews/review/create.html", {"study": study, "form": form}, status=400)


@study_view(Action.EDIT)
def review_batch_submit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    batch = get_object_in_study(ReviewBatch, study, pk)
    if request.method != "POST":
        return post_only()
    try:
        services.review_batch_submit_and_notify(batch=batch, actor=request.user)
    except ValidationError as error:
        return _refused(request, error, _back(study, None))
    messages.success(request, _("Submitted for review."))
    return _back(study, None)


@study_view(Action.EDIT)
def codebook_review_submit(request: HttpRequest, study: Study) -> HttpResponse:
    """The researcher puts the whole codebook up for review; one open codebook batch at a time."""
    if request.method != "POST":
        return post_only()
    try:
        batch = services.codebook_review_submit(study=study, actor=request.user)
    except ValidationError as error:
        return _refused(request, error, redirect("codebook", study.pk))
    messages.success(request, _("The codebook is submitted for review."))
    return redirect("review_batch", study.pk, batch.pk)


# --- the review screen -------------------------------------------------------------------------------------


def _context_window(text: str, start: int, end: int) -> tuple[int, int]:
    """Where the excerpt's context starts and ends: the line before its first line, the line after its last."""
    line_start = text.rfind("\n", 0, start) + 1
    low = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start > 0 else 0
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    high = text.find("\n", line_end + 1)
    high = len(text) if high == -1 or line_end == len(text) else high
    return low, high


def _masked(text: str, low: int, high: int, hidden: list[tuple[int, int]]) -> str:
    """``text[low:high]`` with the turns of informants without valid consent replaced by a placeholder."""
    pieces, position = [], low
    for start, end in sorted(hidden):
        if end <= position or start >= high:
            continue
        pieces.append(text[position : max(start, position)])
        pieces.append(
            _("[words of an informant without valid consent left out]") + ("\n" if text[end - 1 : end] == "\n" else "")
        )
        position = min(end, high)
    pieces.append(text[position:high])
    return "".join(pieces)


@study_view()
@require_GET
def review_batch(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    batch = get_object_in_study(ReviewBatch.objects.select_related("code", "created_by", "decided_by"), study, pk)
    batch.study = study
    items = list(
        _visible_items(study)
        .filter(batch=batch)
        .select_related("excerpt__source__session", "decided_by")
        .defer("excerpt__source__text")
        .prefetch_related("excerpt__speakers", "excerpt__codes")
        .order_by("excerpt__source_id", "excerpt__start", "pk")
    )
    # Each source's text is read once, whatever the number of excerpts in it.
    source_ids = {item.excerpt.source_id for item in items}
    texts = dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "text")) if items else {}
    # The lines around an excerpt may be spoken by an informant without valid consent: their words stay out.
    hidden: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if items:
        turns = SpeakerTurn.objects.filter(
            source_id__in=source_ids,
            speaker__informant_id__in=consent_policy.excluded_informant_queryset(study).values("pk"),
        ).values_list("source_id", "start", "end")
        for source_id, start, end in turns:
            hidden[source_id].append((start, end))
    target = Q(excerpt_id__in=[item.excerpt_id for item in items])
    if batch.code_id:
        target |= Q(code_id=batch.code_id)
    if batch.kind == ReviewBatch.Kind.CODEBOOK:
        target |= Q(code__isnull=False)
    threads = comment_threads.threads(list(comment_threads.comments_with_authors(study).filter(target)))
    rows = []
    for item in items:
        excerpt = item.excerpt
        text = texts[excerpt.source_id]
        low, high = _context_window(text, excerpt.start, excerpt.end)
        before = _masked(text, low, excerpt.start, hidden[excerpt.source_id])
        after = _masked(text, excerpt.end, high, hidden[excerpt.source_id])
        marked = text[excerpt.start : excerpt.end]
        rows.append(
            {
                "item": item,
                "excerpt": excerpt,
                "before": before,
                "marked": marked,
                "after": after,
                "badge": DECISION_BADGES[item.decision],
                "threads": threads.get(("excerpt", excerpt.pk), []),
                "coding_url": reverse("coding_view", args=[study.pk, excerpt.source_id]) + f"#excerpt-{excerpt.pk}",
            }
        )
    pending = sum(1 for item in items if item.decision == Decision.PENDING)
    definition = _definition_context(study, batch) if batch.kind == ReviewBatch.Kind.CODE_DEFINITION else None
    codebook = _codebook_context(study, batch, threads) if batch.kind == ReviewBatch.Kind.CODEBOOK else None
    return render(
        request,
        "interviews/review/batch.html",
        {
            "study": study,
            "batch": batch,
            "badge": STATE_BADGES[batch.state],
            "rows": rows,
            "pending": pending,
            "code_threads": threads.get(("code", batch.code_id), []) if batch.code_id else [],
            "is_reviewer": _is_reviewer(request, batch),
            "is_open": batch.state == State.SUBMITTED,
            "can_submit": request.study_can[Action.EDIT.value] and batch.state in SUBMITTABLE,
            "comment_form": ReviewCommentForm(study=study),
            "definition": definition,
            "codebook": codebook,
            "Decision": {"approved": Decision.APPROVED.value, "change_requested": Decision.CHANGE_REQUESTED.value},
        },
    )


DEFINITION_EXAMPLES = 5


def _definition_context(study: Study, batch: ReviewBatch) -> dict | None:
    """For a code's definition: its path in the hierarchy, its sub-codes and a few example excerpts. 3 queries.

    Examples leave out excerpts of informants without valid consent.
    """
    if batch.code is None:
        return None
    codes = {code.pk: code for code in Code.objects.filter(study=study).only("id", "parent_id", "name", "status")}
    path, current = [], codes.get(batch.code_id)
    while current is not None and len(path) < 50:
        path.append(current)
        current = codes.get(current.parent_id)
    children = sorted(
        (code for code in codes.values() if code.parent_id == batch.code_id), key=lambda code: code.name.lower()
    )
    visible = consent_policy.excerpts_without_excluded(Excerpt.objects.filter(study=study), study)
    examples = list(
        visible.filter(codings__code_id=batch.code_id)
        .select_related("source")
        .defer("source__text")
        .order_by("source_id", "start", "id")[:DEFINITION_EXAMPLES]
    )
    total = visible.filter(codings__code_id=batch.code_id).count()
    return {"path": list(reversed(path)), "children": children, "examples": examples, "total": total}


def _codebook_context(study: Study, batch: ReviewBatch, threads: dict) -> dict:
    """For the whole codebook: the live tree with counts, the diff against the last approved version, the
    threads on each code, and the version this batch froze. Five or six queries, whatever the number of codes.

    An approved batch shows the version it froze rather than the live codebook.
    """
    frozen = CodebookSnapshot.objects.filter(batch=batch).first() if batch.state == State.APPROVED else None
    current = frozen.codes if frozen else signoff_services.current_codebook(study)
    previous = CodebookSnapshot.objects.filter(study=study)
    if frozen:
        previous = previous.filter(version__lt=frozen.version)
    latest = previous.order_by("-version").first()
    diff = signoff_services.codebook_diff(study, latest, current=current) if latest else None
    status_labels, origin_labels = dict(Code.Status.choices), dict(Code.Origin.choices)
    depth: dict[int, int] = {}
    rows = []
    for row in current:  # depth-first, so a parent always comes before its children
        depth[row["id"]] = depth.get(row["parent_id"], -1) + 1 if row["parent_id"] else 0
        rows.append(
            dict(
                row,
                depth=min(depth[row["id"]], 5),
                status_label=status_labels.get(row["status"], row["status"]),
                origin_label=origin_labels.get(row.get("origin", ""), ""),
                threads=threads.get(("code", row["id"]), []),
            )
        )
    return {"rows": rows, "latest": latest, "diff": diff, "frozen": frozen}


@study_view()
def review_item_decide(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    item = get_object_in_study(ReviewItem.objects.select_related("batch__study"), study, pk, path="batch__study")
    if request.method != "POST":
        return post_only()
    form = ReviewItemDecideForm(request.POST)
    back = _back(study, item.batch_id, f"#item-{item.excerpt_id}")
    if not form.is_valid():
        errors = [_("Approve the excerpt or request a change.")]
        return render(
            request, "interviews/review/refused.html", {"study": study, "back": back.url, "errors": errors}, status=400
        )
    try:
        services.review_item_decide(item=item, reviewer=request.user, decision=form.cleaned_data["decision"])
    except ValidationError as error:
        return _refused(request, error, back)
    return back


@study_view()
def review_batch_decide(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    batch = get_object_in_study(ReviewBatch.objects.select_related("study"), study, pk)
    if request.method != "POST":
        return post_only()
    form = ReviewBatchDecideForm(request.POST, study=study)
    if not form.is_valid():
        errors = [_("Approve the definition or request a change.")]
        if batch.kind == ReviewBatch.Kind.CODEBOOK:
            errors = [_("Approve the codebook or request a change.")]
        back = reverse("review_batch", args=[study.pk, batch.pk])
        return render(
            request, "interviews/review/refused.html", {"study": study, "back": back, "errors": errors}, status=400
        )
    try:
        batch = services.review_batch_decide_and_notify(
            batch=batch,
            reviewer=request.user,
            decision=form.cleaned_data["decision"] or None,
            comment=form.cleaned_data["comment"],
            comment_code=form.cleaned_data["code"],
        )
    except ValidationError as error:
        return _refused(request, error, _back(study, batch.pk))
    if batch.kind == ReviewBatch.Kind.CODEBOOK:
        if batch.state == State.APPROVED:
            messages.success(request, _("Codebook approved and frozen as a new version."))
        else:
            messages.success(request, _("Review closed: the researcher is asked to change the codebook."))
    elif batch.kind == ReviewBatch.Kind.CODE_DEFINITION:
        if batch.state == State.APPROVED:
            messages.success(request, _("Definition approved."))
        else:
            messages.success(request, _("Review closed: the researcher is asked to change the definition."))
    elif batch.state == State.APPROVED:
        messages.success(request, _("Review closed: every excerpt approved."))
    else:
        messages.success(request, _("Review closed: the researcher is asked to change what you marked."))
    return _back(study, batch.pk)


# --- comments ----------------------------------------------------------------------------------------------


def _thread_page(study: Study, comment: ReviewComment) -> str:
    """Where a comment's thread is shown: its batch, the coding view of its source, or its session's page."""
    name, pk = comment_threads.target_of(comment)
    if comment.batch_id:
        anchor = f"#item-{comment.excerpt_id}" if name == "excerpt" else "#code-comments"
        return reverse("review_batch", args=[study.pk, comment.batch_id]) + anchor
    if name == "source":
        return reverse("coding_view", args=[study.pk, pk]) + "#comments"
    if name == "session":
        return reverse("session_detail", args=[study.pk, pk]) + "#comments"
    return reverse("review_list", args=[study.pk])


@study_view()
def review_comment_add(request: HttpRequest, study: Study) -> HttpResponse:
    """A comment or a reply; every member may comment, supervisors included (a comment changes no data)."""
    if request.method != "POST":
        return post_only()
    form = ReviewCommentForm(request.POST, study=study)
    batch_id = request.POST.get("batch", "")
    batch = ReviewBatch.objects.filter(study=study, pk=batch_id).first() if batch_id.isdigit() else None
    back_url = reverse("review_batch", args=[study.pk, batch.pk]) if batch else reverse("review_list", args=[study.pk])
    if not form.is_valid():
        errors = [message for messages_ in form.errors.values() for message in messages_]
        return render(
            request, "interviews/review/refused.html", {"study": study, "back": back_url, "errors": errors}, status=400
        )
    data = form.cleaned_data
    try:
        comment = services.review_comment_add(
            study=study,
            actor=request.user,
            text=data["text"],
            excerpt=data["excerpt"],
            code=data["code"],
            source=data["source"],
            session=data["session"],
            parent=data["parent"],
            batch=batch,
        )
    except ValidationError as error:
        return render(
            request,
            "interviews/review/refused.html",
            {"study": study, "back": back_url, "errors": error.messages},
            status=400,
        )
    messages.success(request, _("Comment added."))
    return redirect(_thread_page(study, comment))


@study_view()
def review_comment_resolve(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    comment = get_object_in_study(ReviewComment.objects.select_related("study"), study, pk)
    if request.method != "POST":
        return post_only()
    back = redirect(_thread_page(study, comment))
    try:
        services.review_comment_resolve(comment=comment, actor=request.user)
    except ValidationError as error:
        return _refused(request, error, back)
    messages.success(request, _("Thread marked resolved."))
    return back
