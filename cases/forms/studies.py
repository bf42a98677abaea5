from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from cases.models import Membership, ResearchQuestion, Study, User

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StudyForm(forms.ModelForm):
    class Meta:
        model = Study
        fields = [
            "title", "working_title", "problem_kind", "problem_statement", "design", "theory_framework",
            "institution", "programme", "year", "language", "start_date", "end_date",
        ]
        widgets = {
            "problem_statement": forms.Textarea(attrs={"rows": 3}),
            "design": forms.Textarea(attrs={"rows": 2}),
            "theory_framework": forms.Textarea(attrs={"rows": 3}),
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
        }


class StudySettingsForm(forms.ModelForm):
    class Meta:
        model = Study
        fields = ["withdrawal_action", "consent_gate", "require_sikt_before_fieldwork", "key_list_access"]
        widgets = {"withdrawal_action": forms.RadioSelect, "consent_gate": forms.RadioSelect, "key_list_access": forms.RadioSelect}


class ResearchQuestionForm(forms.ModelForm):
    class Meta:
        model = ResearchQuestion
        fields = ["label", "text", "colour"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "colour": forms.TextInput(attrs={"type": "color"})}


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Membership.Role.CO_RESEARCHER, Membership.Role.CO_RESEARCHER.label),
                 (Membership.Role.SUPERVISOR, Membership.Role.SUPERVISOR.label)],
        widget=forms.RadioSelect,
        initial=Membership.Role.SUPERVISOR,
    )


class SignupForm(forms.Form):
    """Create an account to accept an invitation; the e-mail address is the invitation's."""

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Repeat the password"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            raise forms.ValidationError(_("The two passwords differ."))
        if cleaned.get("password1"):
            password_validation.validate_password(cleaned["password1"], User(email=self.email, full_name=cleaned.get("full_name", "")))
        return cleaned


class AccountForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "notify_by_email"]
