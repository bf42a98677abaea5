"""The confirmation form of an informant's withdrawal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.forms.compliance import ConsentWithdrawForm


class WithdrawalForm(ConsentWithdrawForm):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm that this cannot be undone.")},
    )
