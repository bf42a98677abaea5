from django.contrib import admin

from ops.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """Read-only: the rows are written by the worker and read by ``/health/worker/``."""

    list_display = ("name", "beat_at", "hostname")
    readonly_fields = ("name", "beat_at", "hostname")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
