"""Filter forms of retrieval and the code matrix.

Their choices are built from lists the view loaded once (see
``selectors_analysis.retrieval_lookups``), so validating and rendering a form
costs no queries and offers only the study's own codes, informants, groups,
sites and attributes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import AttributeDefinition
from interviews.models import Session, Source
from interviews.selectors_analysis import RetrievalFilter, RetrievalLookups


def _id_field(label: str, everything: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, empty_value=None, required=False, choices=[("", everything)])


class RetrievalFilterForm(forms.Form):
    code = _id_field(_("Code"), _("All codes"))
    descendants = forms.BooleanField(label=_("Include sub-codes"), required=False)
    q = forms.CharField(label=_("Text contains"), max_length=200, required=False)
    informant = _id_field(_("Informant speaking"), _("Any informant"))
    group = _id_field(_("Speaker's group"), _("Any group"))
    site = _id_field(_("Speaker's site"), _("Any site"))
    attribute = _id_field(_("Speaker's attribute"), _("No attribute filter"))
    attribute_value = forms.CharField(
        label=_("Attribute value"),
        max_length=300,
        required=False,
        help_text=_("For a date attribute: YYYY-MM-DD."),
    )
    attribute_min = forms.DecimalField(label=_("At least"), required=False, help_text=_("Number attributes only."))
    attribute_max = forms.DecimalField(label=_("At most"), required=False, help_text=_("Number attributes only."))
    session_kind = forms.ChoiceField(
        label=_("Session kind"), required=False, choices=[("", _("Any session kind")), *Session.Kind.choices]
    )
    source_kind = forms.ChoiceField(
        label=_("Source kind"), required=False, choices=[("", _("Any source kind")), *Source.Kind.choices]
    )
    flag = forms.ChoiceField(
        label=_("Flag"),
        required=False,
        choices=[
            ("", _("Flagged or not")),
            ("deviant", _("Deviant finding")),
            ("counter", _("Counter-finding")),
            ("identifying", _("Identifying details")),
        ],
    )

    def __init__(self, *args, lookups: RetrievalLookups, **kwargs):
        super().__init__(*args, **kwargs)
        self.lookups = lookups
        self.attributes = {definition.pk: definition for definition in lookups.attributes}
        self._add_choices("code", [(code.pk, "— " * code.depth + code.name) for code in lookups.tree.codes])
        self._add_choices("informant", [(pk, informant.code) for pk, informant in lookups.informants.items()])
        self._add_choices("group", [(group.pk, group.label) for group in lookups.groups])
        self._add_choices("site", [(site.pk, site.pseudonym) for site in lookups.sites])
        self._add_choices(
            "attribute",
            [
                (definition.pk, f"{definition.name} ({definition.get_kind_display()})")
                for definition in lookups.attributes
            ],
        )

    def _add_choices(self, name: str, choices: list[tuple[int, str]]) -> None:
        field = self.fields[name]
        field.choices = [field.choices[0], *choices]

    def clean(self):
        data = super().clean()
        definition = self.attributes.get(data.get("attribute"))
        value = (data.get("attribute_value") or "").strip()
        low, high = data.get("attribute_min"), data.get("attribute_max")
        data["attribute_parsed"] = None
        if definition is None:
            if value or low is not None or high is not None:
                self.add_error("attribute", _("Choose the attribute the value refers to."))
            return data
        if definition.kind != AttributeDefinition.Kind.NUMBER and (low is not None or high is not None):
            self.add_error("attribute_min", _("At least / at most only apply to number attributes."))
        if low is not None and high is not None and low > high:
            self.add_error("attribute_max", _("“At most” must not be smaller than “at least”."))
        if not value:
            return data
        if definition.kind == AttributeDefinition.Kind.NUMBER:
            try:
                data["attribute_parsed"] = Decimal(value.replace(",", "."))
            except InvalidOperation:
                self.add_error("attribute_value", _("Enter a number, e.g. 12 or 3.5."))
        elif definition.kind == AttributeDefinition.Kind.DATE:
            try:
                data["attribute_parsed"] = dt.date.fromisoformat(value)
            except ValueError:
                self.add_error("attribute_value", _("Enter a date as YYYY-MM-DD."))
        else:
            data["attribute_parsed"] = value
        return data

    def to_filter(self) -> RetrievalFilter:
        """The cleaned form as a selector filter; call only on a valid form."""
        data = self.cleaned_data
        code_ids = None
        if data.get("code"):
            code_ids = self.lookups.tree.descendant_ids(data["code"]) if data.get("descendants") else [data["code"]]
        return RetrievalFilter(
            code_ids=code_ids,
            informant_id=data.get("informant"),
            group_id=data.get("group"),
            site_id=data.get("site"),
            attribute=self.attributes.get(data.get("attribute")),
            attribute_value=data.get("attribute_parsed"),
            attribute_min=data.get("attribute_min"),
            attribute_max=data.get("attribute_max"),
            session_kind=data.get("session_kind", ""),
            source_kind=data.get("source_kind", ""),
            flag=data.get("flag", ""),
            text=(data.get("q") or "").strip(),
        )

    @property
    def chosen_code(self):
        if not self.is_valid() or not self.cleaned_data.get("code"):
            return None
        return self.lookups.tree.by_id[self.cleaned_data["code"]]


class MatrixForm(forms.Form):
    by = forms.ChoiceField(label=_("Columns"), required=False)
    rollup = forms.TypedChoiceField(
        label=_("Rows"),
        required=False,
        coerce=lambda value: value != "0",
        empty_value=True,
        choices=[("1", _("Top-level codes, sub-codes counted in their parent")), ("0", _("Every code on its own"))],
    )
    open = forms.IntegerField(required=False, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, attributes: list[AttributeDefinition], **kwargs):
        super().__init__(*args, **kwargs)
        self.attributes = {f"attribute:{definition.pk}": definition for definition in attributes}
        self.fields["by"].choices = [
            ("group", _("Informant groups")),
            ("informant", _("Informants")),
            ("site", _("Sites")),
            *[
                (key, _("Attribute: %(name)s") % {"name": definition.name})
                for key, definition in self.attributes.items()
            ],
        ]

    def columns(self) -> tuple[str, AttributeDefinition | None]:
        """(kind of column, attribute definition or None); call only on a valid form."""
        by = self.cleaned_data.get("by") or "group"
        if by in self.attributes:
            return "attribute", self.attributes[by]
        return by, None
