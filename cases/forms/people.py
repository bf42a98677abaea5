"""Forms for sites, groups, attributes, informants, the CSV import and the key list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import AttributeDefinition, AttributeValue, Informant, InformantGroup, Site, Study
from cases.services.informant_import import MAX_BYTES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["pseudonym", "kind", "description", "status", "dropped_reason", "is_own_organisation"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "dropped_reason": forms.Textarea(attrs={"rows": 2}),
            "status": forms.RadioSelect,
        }


class InformantGroupForm(forms.ModelForm):
    class Meta:
        model = InformantGroup
        fields = ["label", "description", "perspective", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "perspective": forms.RadioSelect}


class AttributeDefinitionForm(forms.ModelForm):
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the choice type only: one choice per line, e.g. Woman, Man."),
    )

    class Meta:
        model = AttributeDefinition
        fields = ["name", "kind", "choices", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["choices"] = "\n".join(self.instance.choices)

    def clean_choices(self) -> list[str]:
        choices: list[str] = []
        for line in self.cleaned_data["choices"].splitlines():
            if line.strip() and line.strip() not in choices:
                choices.append(line.strip())
        return choices


def attribute_field_name(definition: AttributeDefinition) -> str:
    return f"attribute_{definition.pk}"


def attribute_form_field(definition: AttributeDefinition) -> forms.Field:
    """The typed form field for one study-defined attribute; every attribute is optional."""
    common = {"label": definition.name, "required": False}
    kind = definition.kind
    if kind == AttributeDefinition.Kind.NUMBER:
        return forms.DecimalField(max_digits=14, decimal_places=4, **common)
    if kind == AttributeDefinition.Kind.DATE:
        return forms.DateField(widget=DATE_WIDGET, **common)
    if kind == AttributeDefinition.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "–")] + [(choice, choice) for choice in definition.choices], **common)
    return forms.CharField(max_length=300, **common)


def attribute_initial(value: AttributeValue) -> Any:
    kind = value.definition.kind
    if kind == AttributeDefinition.Kind.NUMBER:
        return value.value_number
    if kind == AttributeDefinition.Kind.DATE:
        return value.value_date
    return value.value_text


class InformantForm(forms.ModelForm):
    """An informant's research record plus one typed field per attribute of the study. Never a name."""

    class Meta:
        model = Informant
        fields = [
            "code",
            "group",
            "site",
            "role",
            "recruitment_channel",
            "relationship",
            "status",
            "status_reason",
            "notes",
        ]
        widgets = {"status_reason": forms.Textarea(attrs={"rows": 2}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, study: Study, definitions: list[AttributeDefinition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's clean() compares the group's and site's study with the informant's.
        self.instance.study = study
        self.fields["group"].queryset = InformantGroup.objects.filter(study=study)
        self.fields["site"].queryset = Site.objects.filter(study=study)
        self.definitions = definitions
        values = (
            {value.definition_id: value for value in self.instance.attribute_values.all()} if self.instance.pk else {}
        )
        for definition in definitions:
            name = attribute_field_name(definition)
            self.fields[name] = attribute_form_field(definition)
            if definition.pk in values:
                self.initial[name] = attribute_initial(values[definition.pk])

    def informant_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields}

    def attribute_data(self) -> dict[AttributeDefinition, Any]:
        return {definition: self.cleaned_data.get(attribute_field_name(definition)) for definition in self.definitions}


class InformantFilterForm(forms.Form):
    """The list's GET filter. Choices come from lists the view already loaded, so it costs no queries."""

    group = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Group"))
    site = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Site"))
    status = forms.ChoiceField(
        choices=[("", _("Any status")), *Informant.Status.choices], required=False, label=_("Status")
    )

    def __init__(self, *args: Any, groups: list[InformantGroup], sites: list[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All groups"))] + [(group.pk, group.label) for group in groups]
        self.fields["site"].choices = [("", _("All sites"))] + [(site.pk, site.pseudonym) for site in sites]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        names = {"group": "group_id", "site": "site_id", "status": "status"}
        return {names[name]: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class InformantImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Comma- or semicolon-separated, UTF-8 or Windows encoding, at most 1 MB."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB. Split it into smaller files."))
        return upload


class IdentityForm(forms.Form):
    """The key-list entry: who the informant really is. Stored encrypted, apart from the research data."""

    full_name = forms.CharField(label=_("Name"), max_length=300)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    organisation = forms.CharField(label=_("Real organisation / workplace"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
