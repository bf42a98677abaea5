"""Forms for the data lifecycle and the re-identification check. They shape input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import SensitiveTerm, Study


class LifecycleSettingsForm(forms.ModelForm):
    class Meta:
        model = Study
        fields = ["end_action"]
        widgets = {"end_action": forms.RadioSelect}
        help_texts = {"end_action": _("Choose what the information letter promised happens at the project end date.")}


class SensitiveTermForm(forms.Form):
    term = forms.CharField(
        label=_("Term"),
        max_length=200,
        help_text=_("A place, project or organisation name that would identify someone, e.g. a named local project."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SensitiveTerm.Kind.choices, initial=SensitiveTerm.Kind.PLACE)


class SiteRealNameForm(forms.Form):
    real_name = forms.CharField(
        label=_("Real name"),
        max_length=300,
        required=False,
        help_text=_(
            "Kept encrypted with the key list and used only to warn when a text names the site. Leave empty to remove it."
        ),
    )
