from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .study import Study


class AuditEvent(models.Model):
    """Who did what, when, to which record of a study.

    Written by services in the same transaction as the change. ``data`` holds
    identifiers and field names, never personal data (no names, no transcript text).
    """

    # Indexed by audit_study_recent, which begins with it.
    study = models.ForeignKey(
        Study, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["study", "-created_at"], name="audit_study_recent")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"
