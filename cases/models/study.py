from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f77b4."))


class Study(models.Model):
    """A master's case study: the workspace every other record belongs to."""

    class Language(models.TextChoices):
        NORWEGIAN = "nb", _("Norwegian bokmål")
        ENGLISH = "en", _("English")

    class ProblemKind(models.TextChoices):
        QUESTION = "question", _("Question")
        CLAIM = "claim", _("Claim to be supported")
        HYPOTHESIS = "hypothesis", _("Hypothesis")

    class WithdrawalAction(models.TextChoices):
        DELETE = "delete", _("Delete the informant's data")
        ANONYMISE = "anonymise", _("Anonymise the informant's data")

    class EndAction(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise: delete the key list and recordings, clear identifying fields")
        DELETE = "delete", _("Delete the study's research data")

    class Gate(models.TextChoices):
        BLOCK = "block", _("Block")
        WARN = "warn", _("Warn only")

    class KeyListAccess(models.TextChoices):
        OWNER = "owner", _("Project owner only")
        RESEARCHERS = "researchers", _("Researchers (owner and co-researchers)")
        RESEARCHERS_AND_SUPERVISOR = "researchers_supervisor", _("Researchers and supervisor")

    title = models.CharField(_("title"), max_length=300)
    working_title = models.CharField(_("working title"), max_length=300, blank=True)
    problem_statement = models.TextField(_("problem statement"), blank=True)
    problem_kind = models.CharField(
        _("problem statement is a"), max_length=20, choices=ProblemKind.choices, default=ProblemKind.QUESTION
    )
    design = models.TextField(_("design"), blank=True, help_text=_("E.g. single case study, paired multi-site design."))
    theory_framework = models.TextField(_("theory framework"), blank=True)
    institution = models.CharField(_("institution"), max_length=300, blank=True)
    programme = models.CharField(_("programme"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    language = models.CharField(_("language of the study"), max_length=2, choices=Language.choices, default=Language.NORWEGIAN)
    start_date = models.DateField(_("project start date"), null=True, blank=True)
    end_date = models.DateField(_("project end date"), null=True, blank=True)

    withdrawal_action = models.CharField(
        _("on withdrawal"), max_length=20, choices=WithdrawalAction.choices, default=WithdrawalAction.DELETE,
        help_text=_("What the information letter promised happens to an informant's data on withdrawal."),
    )
    consent_gate = models.CharField(
        _("data entry without consent"), max_length=10, choices=Gate.choices, default=Gate.WARN,
    )
    require_sikt_before_fieldwork = models.BooleanField(
        _("no session may be marked held before Sikt has answered"), default=False
    )
    end_action = models.CharField(
        _("at the project end date"), max_length=20, choices=EndAction.choices, default=EndAction.ANONYMISE
    )
    end_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    end_action_done_at = models.DateTimeField(null=True, blank=True, editable=False)
    key_list_access = models.CharField(
        _("who may read the key list"), max_length=30, choices=KeyListAccess.choices, default=KeyListAccess.RESEARCHERS
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class Membership(models.Model):
    """A person's role in one study. Roles are a declared policy: see ``cases.permissions``."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Researcher (project owner)")
        CO_RESEARCHER = "co_researcher", _("Co-researcher")
        SUPERVISOR = "supervisor", _("Supervisor")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["study", "user"], name="membership_unique_user_per_study")]
        ordering = ["role", "joined_at"]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class Invitation(models.Model):
    """An e-mailed invitation to join a study in a role; accepted once."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def is_open(self) -> bool:
        from django.utils import timezone

        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class ResearchQuestion(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="research_questions")
    position = models.PositiveIntegerField(_("order"), default=0)
    label = models.CharField(_("short label"), max_length=20, help_text=_("E.g. RQ1."))
    text = models.TextField(_("question"))
    colour = models.CharField(_("colour"), max_length=7, default="#1f77b4", validators=[colour_validator])

    class Meta:
        verbose_name = _("research question")
        verbose_name_plural = _("research questions")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "label"], name="rq_unique_label_per_study")]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:60]}"
