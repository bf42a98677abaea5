from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .study import Study


def report_path(instance: "ReportJob", filename: str = "") -> str:
    """One name per job, whatever the attempt: a re-render replaces the file instead of adding one."""
    return f"reports/{instance.study_id}/{instance.pk}-{instance.kind.replace('_', '-')}.{instance.file_extension}"


class ReportJob(models.Model):
    """A background report. This row, not Celery, is the source of truth for the job.

    queued → running → done | failed; done → stale when the data it shows changes
    in a way that must stop it from being served (a withdrawal, a consent change).
    """

    class Kind(models.TextChoices):
        METHOD_OVERVIEW = "method_overview", _("Method overview")
        CHAPTER_PDF = "chapter_pdf", _("Chapter (PDF)")
        CHAPTER_DOCX = "chapter_docx", _("Chapter (Word)")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        STALE = "stale", _("Stale")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    chapter = models.ForeignKey(
        "cases.Chapter", on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    language = models.CharField(max_length=2, choices=Study.Language.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Refreshed while a worker renders.")
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    file = models.FileField(upload_to=report_path, blank=True, max_length=300)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    informant_ids = models.JSONField(default=list, blank=True, help_text="Informants whose data the file contains.")

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    @property
    def file_extension(self) -> str:
        """The generated file's type: "docx" for a chapter in Word, "pdf" for every other kind."""
        return "docx" if self.kind == self.Kind.CHAPTER_DOCX else "pdf"

    @property
    def is_active(self) -> bool:
        return self.state in {self.State.QUEUED, self.State.RUNNING}
