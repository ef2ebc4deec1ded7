"""/api/v1/program (the workspace's programme settings) and each sharer's customers."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from catalog.schemas import RuleSchema
from plumbing import database
from plumbing.api import Blueprint
from plumbing.fields import DecimalString, InputSchema
from plumbing.pagination import PageQuery, page_schema
from referrals.binding import MODES
from referrals.customers import list_customers
from referrals.enrollment import MODES as ENROLLMENT_MODES
from referrals.enrollment import application_json, decide, get_application, list_applications, tell_applicant
from referrals.program import program_json, update_program
from referrals.sharers import get_sharer
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("program", __name__, url_prefix="/api/v1", description="Programme settings and customers")


class BindingIn(InputSchema):
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 3650))
    takeover = fields.Boolean(load_default=False,
                              metadata={"description": "may a newer sharer's link take a bound customer over"})


class RepeatIn(InputSchema):
    commission = fields.Nested(RuleSchema, load_default=None, allow_none=True,
                               metadata={"description": "the seller's rule on a bound customer's repeat purchases"})
    months = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 120),
                            metadata={"description": "repeat purchases pay for this many months from the binding"})


class RepeatOut(Schema):
    commission = fields.Nested(RuleSchema, allow_none=True)
    months = fields.Integer(allow_none=True)


class ProgramIn(InputSchema):
    holding_days = fields.Integer(strict=True, validate=validate.Range(0, 365))
    min_payout = DecimalString()
    binding = fields.Nested(BindingIn)
    repeat = fields.Nested(RepeatIn)
    enrollment = fields.String(validate=validate.OneOf(ENROLLMENT_MODES),
                               metadata={"description": "open: /join makes a sharer at once; approval: requests wait "
                                                        "for a marketer; invite: only sharers you add"})
    margin_ceiling = DecimalString(metadata={"description": "percent of (price − cost) both paid levels may take"})


class ProgramBindingOut(Schema):
    mode = fields.String()
    days = fields.Integer(allow_none=True)
    takeover = fields.Boolean()


class ProgramOut(Schema):
    holding_days = fields.Integer()
    currency = fields.String()
    min_payout = fields.String()
    binding = fields.Nested(ProgramBindingOut)
    repeat = fields.Nested(RepeatOut)
    enrollment = fields.String()
    margin_ceiling = fields.String()


class CustomerOut(Schema):
    id = fields.Integer()
    contact = fields.String(metadata={"description": "masked: 138****8000, l***@example.com"})
    first_order_at = fields.String()
    last_order_at = fields.String()
    orders = fields.Integer()
    net_sales = fields.String()
    currency = fields.String()
    bound = fields.Boolean(metadata={"description": "the binding holds now"})
    expires_at = fields.String(allow_none=True)


class CustomerPage(page_schema(CustomerOut, "CustomerItems")):
    customers = fields.Integer()
    repeat_customers = fields.Integer(metadata={"description": "customers with two orders or more"})
    repeat_rate = fields.String(metadata={"description": "复购率: repeat_customers / customers, a decimal string"})


@bp.get("/program")
@requires("owner")
@bp.response(200, ProgramOut)
def read():
    """The workspace's programme settings."""
    return program_json(database.session().get(Workspace, current().workspace_id))


@bp.put("/program")
@requires("owner")
@bp.arguments(ProgramIn)
@bp.response(200, ProgramOut)
def update(data: dict):
    """Change any of the programme settings. :raise 422: invalid settings; nothing changes."""
    session = database.session()
    workspace = session.get(Workspace, current().workspace_id)
    update_program(session, workspace, data)
    session.commit()
    return program_json(workspace)


@bp.get("/sharers/<int(min=1, max=2147483647):sharer_id>/customers")
@requires("owner", "marketer", "seller")
@bp.arguments(PageQuery, location="query")
@bp.response(200, CustomerPage)
def customers(query: dict, sharer_id: int):
    """The sharer's customers (bound now or before), newest first, with the repeat rate.

    :raise 403: another seller's. :raise 404: unknown sharer.
    """
    current().check_acts_for(sharer_id)
    session = database.session()
    get_sharer(session, current().workspace_id, sharer_id)
    return list_customers(session, sharer_id, query["cursor"], query["limit"])


class ApplicationOut(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": ["join_page", "sale"]})
    invited_by = fields.Integer(allow_none=True)
    status = fields.String(metadata={"enum": ["pending", "approved", "refused"]})
    reason = fields.String(allow_none=True)
    sharer_id = fields.Integer(allow_none=True)
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)


class ApplicationQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(["pending", "approved", "refused"]))


class ApplicationRefuseIn(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(1, 1000), metadata={"description": "told to the applicant"})


ApplicationList = page_schema(ApplicationOut, "ApplicationList")


@bp.get("/applications")
@requires("owner", "marketer")
@bp.arguments(ApplicationQuery, location="query")
@bp.response(200, ApplicationList)
def applications(query: dict):
    """Requests to join (enrollment by approval), newest first; ``status`` filters."""
    return list_applications(database.session(), current().workspace_id, query["status"], query["cursor"],
                             query["limit"])


def _decide(application_id: int, approve: bool, reason: str = "") -> dict:
    session = database.session()
    application = get_application(session, current().workspace_id, application_id)
    decide(session, application, approve, reason)
    session.commit()
    tell_applicant(application, f"{current_app.config['PUBLIC_URL']}/seller/sign-in")
    return application_json(application)


@bp.post("/applications/<int(min=1, max=2147483647):application_id>/approve")
@requires("owner", "marketer")
@bp.response(200, ApplicationOut)
def approve(application_id: int):
    """Approve: the applicant becomes a sharer. :raise 404. :raise 409: decided already."""
    return _decide(application_id, True)


@bp.post("/applications/<int(min=1, max=2147483647):application_id>/refuse")
@requires("owner", "marketer")
@bp.arguments(ApplicationRefuseIn)
@bp.response(200, ApplicationOut)
def refuse(data: dict, application_id: int):
    """Refuse with a reason the applicant is told. :raise 404. :raise 409: decided already."""
    return _decide(application_id, False, data["reason"])
