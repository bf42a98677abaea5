import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .people import Site
from .study import Study


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    # A random name: the original file name may identify a person or a site.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"uploads/{instance.study_id}/{uuid.uuid4().hex}{suffix}"


class StoredFile(models.Model):
    """An uploaded file (letter, form, agenda); served only through a permission-checked view."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=stored_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.original_name


class Approval(models.Model):
    """A permission the study depends on: Sikt notification, the organisation, a site gatekeeper."""

    class Kind(models.TextChoices):
        SIKT = "sikt", _("Sikt/NSD notification")
        ORGANISATION = "organisation", _("Organisational permission")
        GATEKEEPER = "gatekeeper", _("Site gatekeeper")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        PLANNED = "planned", _("Not yet sent")
        SUBMITTED = "submitted", _("Submitted, awaiting answer")
        APPROVED = "approved", _("Approved")
        NOT_SUBJECT = "not_subject", _("Not subject to notification")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    ANSWERED_STATES = {State.APPROVED, State.NOT_SUBJECT, State.CHANGES_REQUESTED, State.REJECTED, State.EXPIRED}
    CLEARED_STATES = {State.APPROVED, State.NOT_SUBJECT}

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLANNED)
    authority = models.CharField(
        _("authority or organisation"), max_length=200, blank=True, help_text=_("E.g. Sikt, the county office.")
    )
    site = models.ForeignKey(Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="approvals", verbose_name=_("site"))
    project_number = models.CharField(_("project number"), max_length=50, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    submitted_on = models.DateField(_("submitted"), null=True, blank=True)
    answered_on = models.DateField(_("answered"), null=True, blank=True)
    valid_until = models.DateField(_("valid until / project end"), null=True, blank=True)
    letter = models.ForeignKey(
        StoredFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("letter")
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.get_state_display()}"

    @property
    def is_cleared(self) -> bool:
        return self.state in self.CLEARED_STATES

    def clean(self):
        if self.submitted_on and self.answered_on and self.answered_on < self.submitted_on:
            raise ValidationError({"answered_on": _("The answer cannot come before the submission.")})
        if self.answered_on and self.valid_until and self.valid_until < self.answered_on:
            raise ValidationError({"valid_until": _("The end date cannot be before the answer.")})
        if self.site_id and self.site.study_id != self.study_id:
            raise ValidationError({"site": _("The site belongs to another study.")})


class ApprovalCondition(models.Model):
    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="conditions")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(_("condition"))
    is_met = models.BooleanField(_("met"), default=False)

    class Meta:
        verbose_name = _("approval condition")
        verbose_name_plural = _("approval conditions")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]
