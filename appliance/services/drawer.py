"""Opening the cash drawer outside a sale (no-sale), always audited."""

from __future__ import annotations

from ..context import TillContext
from ..errors import ValidationError
from .auth import Actor, Override, authorize
from .records import audit
from .sales import require_open_shift


def open_no_sale(ctx: TillContext, actor: Actor, reason: str, override: Override | None = None) -> None:
    """Open the drawer without a sale (give change for a note, check a float...)."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise ValidationError("say why the drawer is opened (1-200 characters)", code="reason_required")
    approver = authorize(ctx, actor, "drawer.no_sale", override)
    shift = require_open_shift(ctx)
    with ctx.transaction():
        audit(ctx, "drawer.no_sale", cashier=actor.cashier, approved_by=approver, subject=shift.uuid,
              reason=reason.strip())
    ctx.events.emit("drawer.kick", reason="no_sale", shift_uuid=shift.uuid)
