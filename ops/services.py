"""Writes of the operations app: heartbeats."""

import socket

from django.utils import timezone

from ops.models import Heartbeat

WORKER = "worker"


def heartbeat_record(*, name: str = WORKER) -> Heartbeat:
    """Overwrite the heartbeat ``name`` with now and this host (one upsert; nothing to audit: no research data)."""
    beat, _created = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()[:200]}
    )
    return beat
