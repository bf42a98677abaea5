"""Background reports: the history, the request button, the progress partial and the download."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.models import ReportJob
from cases.permissions import Action, get_object_in_study
from cases.selectors import reports_for
from cases.services import reports as services

from .base import study_view


@study_view()
@require_GET
def report_list(request: HttpRequest, study) -> HttpResponse:
    return render(request, "cases/reports/report_list.html", {"study": study, "reports": reports_for(study)})


@study_view(Action.REQUEST_REPORT)
@require_POST
def report_request(request: HttpRequest, study) -> HttpResponse:
    services.report_request(study=study, actor=request.user)
    messages.success(request, _("The method overview is being generated. This page shows its progress."))
    return redirect("report_list", study.pk)


@study_view()
@require_GET
def report_status(request: HttpRequest, study, pk: int) -> HttpResponse:
    """The job's table row; it polls itself while the job is queued or running."""
    job = get_object_in_study(reports_for(study), study, pk)
    return render(request, "cases/reports/report_row.html", {"study": study, "job": job})


@study_view()
@require_GET
def report_download(request: HttpRequest, study, pk: int) -> HttpResponse:
    job = get_object_in_study(reports_for(study), study, pk)
    try:
        handle = services.report_download(job=job, actor=request.user)
    except services.ReportUnavailable:
        # A stale report existed but must no longer be served: 410 says so; anything else was never there.
        status = 410 if job.state == ReportJob.State.STALE else 404
        return render(request, "cases/reports/report_unavailable.html", {"study": study, "job": job}, status=status)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=services.report_filename(job),
        content_type=services.report_content_type(job),
    )
