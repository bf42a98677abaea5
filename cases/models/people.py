from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cases.fields import EncryptedTextField

from .study import Study


class Site(models.Model):
    """An organisation or place where fieldwork happens, known in publications by a pseudonym."""

    class Status(models.TextChoices):
        INCLUDED = "included", _("Included")
        DROPPED = "dropped", _("Dropped")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sites")
    pseudonym = models.CharField(_("publication pseudonym"), max_length=100, help_text=_("E.g. Kommune A."))
    kind = models.CharField(_("kind of organisation"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Size, structure; no real name."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INCLUDED)
    dropped_reason = models.TextField(_("reason for dropping"), blank=True)
    is_own_organisation = models.BooleanField(_("the researcher's own organisation"), default=False)
    real_name = EncryptedTextField(
        _("real name"), blank=True,
        help_text=_("Kept encrypted with the key list; used only to warn when a text names the site."),
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["pseudonym"]
        constraints = [models.UniqueConstraint(fields=["study", "pseudonym"], name="site_unique_pseudonym")]

    def __str__(self) -> str:
        return self.pseudonym

    def clean(self):
        if self.status == self.Status.DROPPED and not self.dropped_reason.strip():
            raise ValidationError({"dropped_reason": _("Say why the site was dropped.")})


class InformantGroup(models.Model):
    class Perspective(models.TextChoices):
        SELF = "self", _("Speaks for themselves")
        PROXY = "proxy", _("Speaks for others (proxy)")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="groups")
    label = models.CharField(_("publication label"), max_length=100, help_text=_("E.g. Arbeidsgiver, Fokusgruppe 2."))
    description = models.TextField(_("description"), blank=True)
    perspective = models.CharField(_("perspective"), max_length=10, choices=Perspective.choices, default=Perspective.SELF)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("informant group")
        verbose_name_plural = _("informant groups")
        ordering = ["position", "label"]
        constraints = [models.UniqueConstraint(fields=["study", "label"], name="group_unique_label")]

    def __str__(self) -> str:
        return self.label


class AttributeDefinition(models.Model):
    """A study-defined, typed property of informants (gender, years of experience …)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        CHOICE = "choice", _("Choice")
        DATE = "date", _("Date")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="attribute_definitions")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For the choice type."))
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("informant attribute")
        verbose_name_plural = _("informant attributes")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["study", "name"], name="attribute_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind == self.Kind.CHOICE and not self.choices:
            raise ValidationError({"choices": _("A choice attribute needs at least one choice.")})
        if self.kind != self.Kind.CHOICE and self.choices:
            raise ValidationError({"choices": _("Only a choice attribute has choices.")})


class Informant(models.Model):
    """A research participant, known here only by a code. Names live in ``IdentityRecord``."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        INVITED = "invited", _("Invited")
        RECRUITED = "recruited", _("Recruited")
        DECLINED = "declined", _("Declined")
        DROPPED_OUT = "dropped_out", _("Dropped out")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Relationship(models.TextChoices):
        NONE = "none", _("No prior relationship")
        COLLEAGUE = "colleague", _("Colleague")
        SUBORDINATE = "subordinate", _("Reports to the researcher")
        MANAGER = "manager", _("The researcher's manager")
        CUSTOMER = "customer", _("Customer or client")
        ACQUAINTANCE = "acquaintance", _("Acquaintance")
        OTHER = "other", _("Other")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="informants")
    code = models.CharField(
        _("code"), max_length=30, help_text=_("A pseudonymous code such as I3 or AG1 – never a name.")
    )
    group = models.ForeignKey(
        InformantGroup, on_delete=models.RESTRICT, null=True, blank=True, related_name="informants", verbose_name=_("group")
    )
    site = models.ForeignKey(
        Site, on_delete=models.RESTRICT, null=True, blank=True, related_name="informants", verbose_name=_("site")
    )
    role = models.CharField(_("role"), max_length=200, blank=True, help_text=_("E.g. personalleder, verneombud."))
    recruitment_channel = models.CharField(_("recruitment channel"), max_length=300, blank=True)
    relationship = models.CharField(
        _("relationship to the researcher"), max_length=20, choices=Relationship.choices, default=Relationship.NONE
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECRUITED)
    status_reason = models.TextField(_("reason"), blank=True, help_text=_("Why declined or dropped out."))
    notes = models.TextField(_("notes"), blank=True, help_text=_("Research notes; no names or contact details."))
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("informant")
        verbose_name_plural = _("informants")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="informant_unique_code")]

    def __str__(self) -> str:
        return self.code

    def clean(self):
        for related, label in ((self.group, _("group")), (self.site, _("site"))):
            if related is not None and related.study_id != self.study_id:
                raise ValidationError(_("The %(what)s belongs to another study.") % {"what": label})


class AttributeValue(models.Model):
    informant = models.ForeignKey(Informant, on_delete=models.CASCADE, related_name="attribute_values")
    definition = models.ForeignKey(AttributeDefinition, on_delete=models.CASCADE, related_name="values")
    value_text = models.CharField(max_length=300, blank=True)
    value_number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("attribute value")
        verbose_name_plural = _("attribute values")
        constraints = [
            models.UniqueConstraint(fields=["informant", "definition"], name="attribute_value_unique")
        ]

    def __str__(self) -> str:
        return f"{self.definition}: {self.display}"

    @property
    def display(self) -> str:
        kind = self.definition.kind
        if kind == AttributeDefinition.Kind.NUMBER and self.value_number is not None:
            return f"{self.value_number.normalize():f}"
        if kind == AttributeDefinition.Kind.DATE and self.value_date is not None:
            return self.value_date.isoformat()
        return self.value_text


class IdentityRecord(models.Model):
    """The key list entry (koblingsnøkkel) for one informant.

    Kept in its own table, encrypted at rest, readable only by the roles the
    study allows; every read is written to the audit log.
    """

    informant = models.OneToOneField(Informant, on_delete=models.CASCADE, related_name="identity")
    full_name = EncryptedTextField(_("name"))
    email = EncryptedTextField(_("e-mail"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    organisation = EncryptedTextField(_("real organisation / workplace"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("identity record")
        verbose_name_plural = _("identity records (key list)")

    def __str__(self) -> str:
        # Never the name: this string shows up in logs and admin breadcrumbs.
        return f"Identity of {self.informant.code}"


class SensitiveTerm(models.Model):
    """A place, project or other name that would identify someone if it reached a publication."""

    class Kind(models.TextChoices):
        PLACE = "place", _("Place")
        PROJECT = "project", _("Project or initiative")
        ORGANISATION = "organisation", _("Organisation")
        OTHER = "other", _("Other")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="sensitive_terms")
    term = EncryptedTextField(_("term"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices, default=Kind.PLACE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sensitive term")
        verbose_name_plural = _("sensitive terms")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class WithdrawalTombstone(models.Model):
    """That a withdrawal happened, when and by whom – and nothing about the person."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="withdrawals")
    action = models.CharField(max_length=20, choices=Study.WithdrawalAction.choices)
    withdrawn_on = models.DateField(_("withdrawn on"))
    performed_by = models.ForeignKey(
        "cases.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("performed by")
    )
    performed_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict, blank=True, help_text="How many rows and files were removed or anonymised.")

    class Meta:
        verbose_name = _("withdrawal tombstone")
        verbose_name_plural = _("withdrawal tombstones")
        ordering = ["-performed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.withdrawn_on}"
