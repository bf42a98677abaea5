"""An informant's withdrawal: a page that says exactly what will happen, then the cascade in one request."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.forms.withdrawal import WithdrawalForm
from cases.models import Informant, Study, WithdrawalTombstone
from cases.permissions import Action, get_object_in_study
from cases.services.consent import consent_current
from cases.services.withdrawal import informant_withdraw as withdraw
from cases.services.withdrawal import withdrawal_plan

from .base import add_service_errors, study_view

# What the success message reports, in this order, from the tombstone's counts.
DONE_PHRASES = {
    "excerpts_deleted": lambda n: ngettext("%(n)d excerpt deleted", "%(n)d excerpts deleted", n),
    "excerpts_unlinked": lambda n: ngettext(
        "%(n)d excerpt no longer linked to them", "%(n)d excerpts no longer linked to them", n
    ),
    "sources_deleted": lambda n: ngettext("%(n)d source deleted", "%(n)d sources deleted", n),
    "sources_redacted": lambda n: ngettext(
        "%(n)d source given a version without their words", "%(n)d sources given a version without their words", n
    ),
    "memos_redacted": lambda n: ngettext("%(n)d memo without their quotes", "%(n)d memos without their quotes", n),
    "files_deleted": lambda n: ngettext("%(n)d file deleted", "%(n)d files deleted", n),
    "reports_invalidated": lambda n: ngettext("%(n)d report no longer served", "%(n)d reports no longer served", n),
    "recordings_marked_deleted": lambda n: ngettext(
        "%(n)d recording marked deleted", "%(n)d recordings marked deleted", n
    ),
}


def tombstone_summary(tombstone: WithdrawalTombstone) -> str:
    """``Withdrawal carried out (…): 5 excerpts deleted, 1 source deleted …`` – numbers only."""
    counts = tombstone.counts
    parts = [phrase(counts[key]) % {"n": counts[key]} for key, phrase in DONE_PHRASES.items() if counts.get(key)]
    head = _("Withdrawal carried out (%(action)s)") % {"action": tombstone.get_action_display()}
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."


@study_view(Action.EDIT)
def informant_withdraw(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """GET: what withdrawing this informant will do under the study's policy. POST: do it."""
    informant = get_object_in_study(Informant, study, pk)
    if informant.anonymised_at is not None:
        messages.info(request, _("This informant's withdrawal has already been carried out."))
        return redirect("consent_list", study.pk)
    current = consent_current(informant)
    initial = {"withdrawn_on": (current.withdrawn_on if current and current.withdrawn_on else timezone.localdate())}
    form = WithdrawalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            tombstone = withdraw(
                informant=informant, actor=request.user, withdrawn_on=form.cleaned_data["withdrawn_on"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if tombstone is None:
                messages.info(request, _("This informant's withdrawal has already been carried out."))
            else:
                messages.success(request, tombstone_summary(tombstone))
            return redirect("consent_list", study.pk)
    plan = withdrawal_plan(informant)
    return render(
        request,
        "cases/withdrawal/confirm.html",
        {
            "study": study,
            "informant": informant,
            "current": current,
            "plan": plan,
            "counts": plan.counts,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
