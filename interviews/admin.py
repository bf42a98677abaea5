from django.contrib import admin

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
    raw_id_fields = ["study", "site", "moderator", "guide_version"]
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
