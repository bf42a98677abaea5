from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from interviews import models


class AttendanceInline(admin.TabularInline):
    model = models.Attendance
    extra = 0
    raw_id_fields = ["informant", "substitute_for"]


class RecordingInline(admin.TabularInline):
    model = models.Recording
    extra = 0


@admin.register(models.Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["code", "study", "kind", "status", "date", "mode"]
    list_filter = ["kind", "status", "mode"]
    search_fields = ["code", "title"]
    raw_id_fields = ["study", "site", "moderator", "guide_version", "agenda"]
    filter_horizontal = ["observers"]
    inlines = [AttendanceInline, RecordingInline]


@admin.register(models.Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "informant", "status"]
    list_filter = ["status"]
    raw_id_fields = ["session", "informant", "substitute_for"]


@admin.register(models.Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = ["session", "device", "deletion_due", "deleted_on", "encrypted"]
    raw_id_fields = ["session"]


class SpeakerLabelInline(admin.TabularInline):
    model = models.SpeakerLabel
    extra = 0
    raw_id_fields = ["informant"]


@admin.register(models.Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "kind", "session", "version", "is_current", "length"]
    list_filter = ["kind", "is_current"]
    search_fields = ["title"]
    raw_id_fields = ["study", "session", "observer", "previous_version", "created_by"]
    readonly_fields = ["length", "detected_encoding", "imported_from", "original_filename"]
    inlines = [SpeakerLabelInline]


@admin.register(models.SourceEdit)
class SourceEditAdmin(admin.ModelAdmin):
    list_display = ["source", "description", "actor", "length_before", "length_after", "created_at"]
    raw_id_fields = ["source", "actor"]


@admin.register(models.SpeakerLabel)
class SpeakerLabelAdmin(admin.ModelAdmin):
    list_display = ["label", "source", "role", "informant"]
    raw_id_fields = ["source", "informant"]


@admin.register(models.SpeakerTurn)
class SpeakerTurnAdmin(admin.ModelAdmin):
    list_display = ["source", "speaker", "start", "end"]
    raw_id_fields = ["source", "speaker"]


@admin.register(models.Code)
class CodeAdmin(admin.ModelAdmin):
    list_display = ["name", "study", "parent", "origin", "status", "position"]
    list_filter = ["origin", "status"]
    search_fields = ["name"]
    raw_id_fields = ["study", "parent", "merged_into", "research_question", "created_by"]
    filter_horizontal = ["guide_questions"]


class CodingInline(admin.TabularInline):
    model = models.Coding
    extra = 0
    raw_id_fields = ["code", "created_by"]


@admin.register(models.Excerpt)
class ExcerptAdmin(SimpleHistoryAdmin):
    list_display = ["id", "source", "start", "end", "is_deviant", "is_counter_finding", "needs_reanchor"]
    list_filter = ["is_deviant", "is_counter_finding", "has_identifying_details", "needs_reanchor"]
    raw_id_fields = ["study", "source", "created_by"]
    filter_horizontal = ["speakers", "corroborates"]
    inlines = [CodingInline]


@admin.register(models.Coding)
class CodingAdmin(admin.ModelAdmin):
    list_display = ["excerpt", "code", "created_by", "created_at"]
    raw_id_fields = ["excerpt", "code", "created_by"]


@admin.register(models.Memo)
class MemoAdmin(admin.ModelAdmin):
    list_display = ["title", "study", "code", "source", "updated_at"]
    raw_id_fields = ["study", "code", "source", "created_by"]


@admin.register(models.CodingAction)
class CodingActionAdmin(admin.ModelAdmin):
    list_display = ["kind", "study", "actor", "source", "excerpt_id", "created_at", "undone_at"]
    raw_id_fields = ["study", "actor", "source"]


class SupervisionDecisionInline(admin.TabularInline):
    model = models.SupervisionDecision
    extra = 0
    raw_id_fields = ["research_question", "code", "session", "instrument"]


@admin.register(models.SupervisionMeeting)
class SupervisionMeetingAdmin(admin.ModelAdmin):
    list_display = ["held_on", "study", "created_by"]
    raw_id_fields = ["study", "created_by"]
    filter_horizontal = ["attendees"]
    inlines = [SupervisionDecisionInline]


@admin.register(models.SupervisionDecision)
class SupervisionDecisionAdmin(admin.ModelAdmin):
    list_display = ["text", "meeting", "area", "is_done"]
    raw_id_fields = ["meeting", "research_question", "code", "session", "instrument"]


class ReviewItemInline(admin.TabularInline):
    model = models.ReviewItem
    extra = 0
    raw_id_fields = ["excerpt", "decided_by"]


@admin.register(models.ReviewBatch)
class ReviewBatchAdmin(SimpleHistoryAdmin):
    list_display = ["title", "study", "kind", "state", "round", "submitted_at", "decided_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["study", "code", "created_by", "decided_by"]
    inlines = [ReviewItemInline]


@admin.register(models.ReviewItem)
class ReviewItemAdmin(SimpleHistoryAdmin):
    list_display = ["batch", "excerpt", "decision", "decided_at"]
    raw_id_fields = ["batch", "excerpt", "decided_by"]


@admin.register(models.ReviewComment)
class ReviewCommentAdmin(admin.ModelAdmin):
    list_display = ["study", "author", "created_at", "resolved_at"]
    raw_id_fields = ["study", "excerpt", "code", "source", "session", "batch", "parent", "author", "resolved_by"]


@admin.register(models.CodebookSnapshot)
class CodebookSnapshotAdmin(admin.ModelAdmin):
    list_display = ["study", "version", "approved_by", "approved_at"]
    raw_id_fields = ["study", "batch", "approved_by"]
    readonly_fields = ["codes"]


@admin.register(models.OtherAttendee)
class OtherAttendeeAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "role", "count"]
    list_filter = ["kind"]
    raw_id_fields = ["session"]


@admin.register(models.ChecklistTick)
class ChecklistTickAdmin(admin.ModelAdmin):
    list_display = ["session", "question", "answer"]
    list_filter = ["answer"]
    raw_id_fields = ["session", "question", "ticked_by"]


@admin.register(models.ObservationNote)
class ObservationNoteAdmin(admin.ModelAdmin):
    list_display = ["session", "observer", "note_type", "created_at"]
    list_filter = ["note_type"]
    raw_id_fields = ["session", "observer"]


@admin.register(models.FieldNoteDisagreement)
class FieldNoteDisagreementAdmin(admin.ModelAdmin):
    list_display = ["session", "topic", "created_at"]
    raw_id_fields = ["session", "first_source", "second_source", "created_by"]
