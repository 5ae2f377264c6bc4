from __future__ import annotations

from typing import Any

from hoptac.core.models import AuditEvent


def audit_record(
    *, action: str, actor=None, cooperative=None, obj=None, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Write one audit row; call it inside the service's transaction."""
    return AuditEvent.objects.create(
        cooperative=cooperative,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        data=data or {},
    )
