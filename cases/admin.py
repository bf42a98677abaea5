from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cases import models


@admin.register(models.User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "notify_by_email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    raw_id_fields = ["user"]


class ResearchQuestionInline(admin.TabularInline):
    model = models.ResearchQuestion
    extra = 0


@admin.register(models.Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["title", "institution", "year", "language", "end_date", "created_at"]
    search_fields = ["title", "working_title", "institution"]
    list_filter = ["language", "year"]
    inlines = [MembershipInline, ResearchQuestionInline]
    raw_id_fields = ["created_by"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["study", "user", "role", "joined_at"]
    list_filter = ["role"]
    raw_id_fields = ["study", "user"]


@admin.register(models.Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["study", "email", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    exclude = ["token"]
    raw_id_fields = ["study", "invited_by", "accepted_by"]


@admin.register(models.ResearchQuestion)
class ResearchQuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "study", "position", "colour"]
    raw_id_fields = ["study"]


@admin.register(models.Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "study", "status", "is_own_organisation"]
    list_filter = ["status"]
    raw_id_fields = ["study"]


@admin.register(models.InformantGroup)
class InformantGroupAdmin(admin.ModelAdmin):
    list_display = ["label", "study", "perspective", "position"]
    raw_id_fields = ["study"]


@admin.register(models.AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "study", "kind", "position"]
    raw_id_fields = ["study"]


class AttributeValueInline(admin.TabularInline):
    model = models.AttributeValue
    extra = 0


@admin.register(models.Informant)
class InformantAdmin(admin.ModelAdmin):
    list_display = ["code", "study", "group", "site", "role", "status"]
    list_filter = ["status"]
    search_fields = ["code", "role"]
    raw_id_fields = ["study", "group", "site"]
    inlines = [AttributeValueInline]


@admin.register(models.AttributeValue)
class AttributeValueAdmin(admin.ModelAdmin):
    list_display = ["informant", "definition", "value_text"]
    raw_id_fields = ["informant", "definition"]


@admin.register(models.IdentityRecord)
class IdentityRecordAdmin(admin.ModelAdmin):
    """The key list in the admin shows codes only; names are read in the product, where each read is logged."""

    list_display = ["informant", "updated_at"]
    fields = ["informant", "updated_at"]
    readonly_fields = ["informant", "updated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "study", "content_type", "size", "uploaded_at"]
    readonly_fields = ["file", "sha256", "size", "content_type"]
    raw_id_fields = ["study", "uploaded_by"]


class ApprovalConditionInline(admin.TabularInline):
    model = models.ApprovalCondition
    extra = 0


@admin.register(models.Approval)
class ApprovalAdmin(SimpleHistoryAdmin):
    list_display = ["study", "kind", "state", "project_number", "reference", "answered_on"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["study", "site", "letter"]
    inlines = [ApprovalConditionInline]


@admin.register(models.ApprovalCondition)
class ApprovalConditionAdmin(admin.ModelAdmin):
    list_display = ["approval", "text", "is_met"]
    raw_id_fields = ["approval"]


@admin.register(models.InformationLetter)
class InformationLetterAdmin(admin.ModelAdmin):
    list_display = ["version", "study", "dated"]
    raw_id_fields = ["study", "file"]


@admin.register(models.ConsentRecord)
class ConsentRecordAdmin(SimpleHistoryAdmin):
    """Consent records are append-only: the admin may read them, never change them."""

    list_display = ["informant", "mode", "given_on", "withdrawn_on", "recorded_at"]
    list_filter = ["mode"]
    raw_id_fields = ["informant", "letter", "form", "recorded_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GuidePromptInline(admin.TabularInline):
    model = models.GuidePrompt
    extra = 0


@admin.register(models.Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "kind"]
    raw_id_fields = ["study"]


@admin.register(models.InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    list_display = ["instrument", "label", "audience", "created_at"]
    raw_id_fields = ["instrument"]


@admin.register(models.GuideTheme)
class GuideThemeAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "position"]
    raw_id_fields = ["version"]


@admin.register(models.GuideQuestion)
class GuideQuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "text", "theme", "research_question"]
    raw_id_fields = ["theme", "research_question"]
    inlines = [GuidePromptInline]


@admin.register(models.GuidePrompt)
class GuidePromptAdmin(admin.ModelAdmin):
    list_display = ["text", "question", "position"]
    raw_id_fields = ["question"]


@admin.register(models.ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "study", "kind", "state", "attempts", "requested_at", "finished_at"]
    list_filter = ["state", "kind"]
    raw_id_fields = ["study", "requested_by"]
    readonly_fields = ["file", "informant_ids"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "study", "actor", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["action", "target_label"]
    raw_id_fields = ["study", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.SensitiveTerm)
class SensitiveTermAdmin(admin.ModelAdmin):
    """Terms are encrypted; the admin shows their kind only."""

    list_display = ["__str__", "study", "kind", "created_at"]
    fields = ["study", "kind", "created_at"]
    readonly_fields = ["study", "kind", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(models.WithdrawalTombstone)
class WithdrawalTombstoneAdmin(admin.ModelAdmin):
    list_display = ["study", "action", "withdrawn_on", "performed_by", "performed_at"]
    readonly_fields = ["study", "action", "withdrawn_on", "performed_by", "performed_at", "counts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class QuestionnaireSectionInline(admin.TabularInline):
    model = models.QuestionnaireSection
    extra = 0


@admin.register(models.Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "mode", "anonymous"]
    list_filter = ["mode", "anonymous"]
    search_fields = ["title"]
    raw_id_fields = ["study", "session"]


@admin.register(models.QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "questionnaire"]
    raw_id_fields = ["questionnaire"]
    inlines = [QuestionnaireSectionInline]


@admin.register(models.QuestionnaireSection)
class QuestionnaireSectionAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "position"]
    raw_id_fields = ["version"]


class QuestionnaireOptionInline(admin.TabularInline):
    model = models.QuestionnaireOption
    extra = 0


@admin.register(models.QuestionnaireItem)
class QuestionnaireItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "section"]
    list_filter = ["kind"]
    raw_id_fields = ["section"]
    inlines = [QuestionnaireOptionInline]


@admin.register(models.QuestionnaireOption)
class QuestionnaireOptionAdmin(admin.ModelAdmin):
    list_display = ["text", "item", "position"]
    raw_id_fields = ["item"]


class ResponseDataAdmin(admin.ModelAdmin):
    """Responses and their answers are data, entered through the product's entry screen.

    The admin reads them but never edits them: an edit here would bypass the
    validation of the entry screen, and an anonymous response shows no link to
    anyone because it has none.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.QuestionnaireResponse)
class QuestionnaireResponseAdmin(ResponseDataAdmin):
    list_display = ["__str__", "version", "anonymous"]
    list_filter = ["anonymous"]
    readonly_fields = ["version", "anonymous", "informant", "session", "data_quality_note"]


@admin.register(models.QuestionnaireAnswer)
class QuestionnaireAnswerAdmin(ResponseDataAdmin):
    list_display = ["item", "value"]
    readonly_fields = ["response", "item", "value", "text", "comment"]


@admin.register(models.QuestionnaireChoice)
class QuestionnaireChoiceAdmin(ResponseDataAdmin):
    list_display = ["answer", "option", "rank"]
    readonly_fields = ["answer", "option", "rank"]


class SecondaryDatasetRowInline(admin.TabularInline):
    model = models.SecondaryDatasetRow
    extra = 0


@admin.register(models.SecondaryDataset)
class SecondaryDatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "created_at"]
    search_fields = ["title"]
    raw_id_fields = ["study"]
    inlines = [SecondaryDatasetRowInline]


@admin.register(models.SecondaryDatasetRow)
class SecondaryDatasetRowAdmin(admin.ModelAdmin):
    list_display = ["label", "dataset", "position", "is_reference"]
    raw_id_fields = ["dataset"]


@admin.register(models.Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "attribution", "numbered", "updated_at"]
    search_fields = ["title"]
    raw_id_fields = ["study", "created_by"]


@admin.register(models.ChapterSection)
class ChapterSectionAdmin(admin.ModelAdmin):
    list_display = ["title", "chapter", "parent", "position", "feed"]
    raw_id_fields = ["chapter", "parent", "code", "research_question", "group", "site"]
    filter_horizontal = ["guide_questions"]


@admin.register(models.ChapterBlock)
class ChapterBlockAdmin(admin.ModelAdmin):
    list_display = ["section", "position", "kind", "table", "excluded"]
    raw_id_fields = ["section", "excerpt", "questionnaire_version", "dataset"]
