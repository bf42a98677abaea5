"""Codebook sign-off: the approved versions, the frozen tree of one, and the diff of later edits."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases.permissions import Action, get_object_in_study
from cases.views.base import post_only, study_view
from interviews.models import Code, CodebookSnapshot
from interviews.services import signoff as services
from interviews.services.review import open_codebook_batch


@study_view(Action.VIEW)
def codebook_versions(request: HttpRequest, study) -> HttpResponse:
    versions = list(CodebookSnapshot.objects.filter(study=study).select_related("approved_by").defer("codes"))
    latest = CodebookSnapshot.objects.filter(study=study).order_by("-version").first() if versions else None
    return render(
        request,
        "interviews/signoff/versions.html",
        {
            "study": study,
            "versions": versions,
            "latest": latest,
            "diff": services.codebook_diff(study, latest) if latest else None,
            "can_sign_off": services.can_sign_off(study, request.user),
            "open_review": open_codebook_batch(study),
        },
    )


@study_view(Action.VIEW)
def codebook_signoff(request: HttpRequest, study) -> HttpResponse:
    """Reviewers only: the service refuses everyone else (403)."""
    if request.method != "POST":
        return post_only()
    snapshot = services.codebook_signoff(study=study, reviewer=request.user)
    messages.success(request, _("Codebook version %(version)s is approved and frozen.") % {"version": snapshot.version})
    return redirect("codebook_version", study.pk, snapshot.pk)


@study_view(Action.VIEW)
def codebook_version(request: HttpRequest, study, pk: int) -> HttpResponse:
    snapshot = get_object_in_study(CodebookSnapshot.objects.select_related("approved_by"), study, pk)
    status_labels = dict(Code.Status.choices)
    depth: dict[int, int] = {}
    rows = []
    for row in snapshot.codes:  # depth-first, so a parent always comes before its children
        depth[row["id"]] = depth.get(row["parent_id"], -1) + 1 if row["parent_id"] else 0
        rows.append(
            dict(row, depth=min(depth[row["id"]], 5), status_label=status_labels.get(row["status"], row["status"]))
        )
    return render(request, "interviews/signoff/version.html", {"study": study, "snapshot": snapshot, "rows": rows})
