"""The programme's settings: holding period, minimum payout, customer binding, enrollment, margin ceiling."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from catalog.rules import parse_rule
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from referrals.grades import check_rule_margin
from workspaces.models import Workspace


def program_json(workspace: Workspace) -> dict:
    return {"holding_days": workspace.holding_days, "currency": workspace.currency,
            "min_payout": format_amount(workspace.min_payout_minor, workspace.currency),
            "binding": {"mode": workspace.binding_mode,
                        "days": workspace.binding_days if workspace.binding_mode == "days" else None,
                        "takeover": workspace.binding_takeover},
            "repeat": {"commission": {"type": workspace.repeat_type, "value": workspace.repeat_value}
                       if workspace.repeat_type else None, "months": workspace.repeat_months},
            "enrollment": workspace.enrollment, "margin_ceiling": workspace.margin_ceiling_percent}


def update_program(session: Session, workspace: Workspace, data: dict) -> None:
    """Apply ``data`` (shaped by ProgramIn; any subset).

    A lower margin ceiling is not re-checked against existing rules here: every
    line is capped at the ceiling when its sale is booked.

    :raise ApiError 422: a binding of ``days`` without days, or a bad amount; nothing changes.
    """
    errors: dict[str, str] = {}
    binding = data.get("binding")
    min_payout = None
    if "min_payout" in data:
        try:
            min_payout = parse_amount(data["min_payout"], workspace.currency)
        except ValueError as exc:
            errors["min_payout"] = str(exc)
    if binding is not None and binding["mode"] == "days" and not (binding.get("days") or workspace.binding_days):
        errors["binding.days"] = "required when the mode is days"
    if "margin_ceiling" in data and not Decimal(0) < Decimal(data["margin_ceiling"]) <= 100:
        errors["margin_ceiling"] = "a percentage above 0 and at most 100"
    repeat = data.get("repeat")
    repeat_rule = None
    if repeat is not None and repeat.get("commission") is not None:
        try:
            repeat_rule = parse_rule(repeat["commission"], workspace.currency)
        except ValueError as exc:
            errors["repeat.commission.value"] = str(exc)
    if errors:
        raise ApiError(422, "validation_error", "The programme settings are invalid.", errors)
    if repeat_rule is not None:
        check_rule_margin(session, workspace, repeat_rule, None, "repeat", "repeat.")
    if "holding_days" in data:
        workspace.holding_days = data["holding_days"]
    if min_payout is not None:
        workspace.min_payout_minor = min_payout
    if binding is not None:
        workspace.binding_mode = binding["mode"]
        workspace.binding_days = binding.get("days") or workspace.binding_days
        workspace.binding_takeover = binding.get("takeover", workspace.binding_takeover)
    if repeat is not None:
        workspace.repeat_type = repeat_rule.type if repeat_rule else None
        workspace.repeat_value = repeat_rule.value if repeat_rule else None
        workspace.repeat_months = repeat.get("months")
    if "enrollment" in data:
        workspace.enrollment = data["enrollment"]
    if "margin_ceiling" in data:
        workspace.margin_ceiling_percent = data["margin_ceiling"]
    session.flush()

