"""/api/v1/grades: seller grades, their evaluation, and a sharer's grade with its history."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from catalog.schemas import RuleSchema
from plumbing import database
from plumbing.api import Blueprint
from plumbing.database import utcnow
from plumbing.fields import DecimalString, InputSchema
from referrals.grades import evaluate, get_grade, grade_json, list_grades, save_grade, sharer_grade
from referrals.sharers import get_sharer
from workspaces.auth import current, requires
from workspaces.models import Workspace

bp = Blueprint("grades", __name__, url_prefix="/api/v1", description="Seller grades")


class GradeIn(InputSchema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100),
                          metadata={"description": "higher ranks win when several are earned"})
    commission = fields.Nested(RuleSchema, load_default=None, allow_none=True,
                               metadata={"description": "replaces the product's or campaign's rule on own sales"})
    invite_bonus = fields.Nested(RuleSchema, load_default=None, allow_none=True,
                                 metadata={"description": "replaces the campaign's invite bonus as the inviter"})
    min_net_sales = DecimalString(load_default=None, allow_none=True,
                                  metadata={"description": "own net sales over the period that earn it"})
    min_orders = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 1_000_000))
    period_days = fields.Integer(load_default=30, strict=True, validate=validate.Range(1, 366))


class GradePatch(GradeIn):
    """Any subset of a grade's fields."""


class GradeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    rank = fields.Integer()
    commission = fields.Nested(RuleSchema, allow_none=True)
    invite_bonus = fields.Nested(RuleSchema, allow_none=True)
    min_net_sales = fields.String()
    min_orders = fields.Integer()
    period_days = fields.Integer()


class GradeListOut(Schema):
    items = fields.List(fields.Nested(GradeOut))


class GradeChangeOut(Schema):
    from_grade_id = fields.Integer(allow_none=True)
    to_grade_id = fields.Integer(allow_none=True)
    net_sales = fields.String()
    orders = fields.Integer()
    changed_at = fields.String()


class SharerGradeOut(Schema):
    grade = fields.Nested(GradeOut, allow_none=True)
    history = fields.List(fields.Nested(GradeChangeOut))


def _currency() -> str:
    return database.session().get(Workspace, current().workspace_id).currency


@bp.post("/grades")
@requires("owner", "marketer")
@bp.arguments(GradeIn)
@bp.response(201, GradeOut)
def create(data: dict):
    """Add a grade. :raise 409: rank taken. :raise 422: invalid, or over a product's margin ceiling."""
    session = database.session()
    grade = save_grade(session, current().workspace_id, data)
    session.commit()
    return grade_json(grade, _currency())


@bp.get("/grades")
@requires("owner", "marketer")
@bp.response(200, GradeListOut)
def index():
    """The workspace's grades, lowest rank first."""
    return {"items": [grade_json(g, _currency()) for g in list_grades(database.session(), current().workspace_id)]}


@bp.patch("/grades/<int(min=1, max=2147483647):grade_id>")
@requires("owner", "marketer")
@bp.arguments(GradePatch(partial=True))
@bp.response(200, GradeOut)
def update(data: dict, grade_id: int):
    """Change a grade's rates or thresholds (future sales only). :raise 404, 409, 422."""
    session = database.session()
    grade = save_grade(session, current().workspace_id, data, get_grade(session, current().workspace_id, grade_id))
    session.commit()
    return grade_json(grade, _currency())


@bp.post("/grades/evaluate")
@requires("owner", "marketer")
@bp.response(200)
def run_evaluation():
    """Re-grade every sharer now (the periodic job does this every hour): ``changes``."""
    session = database.session()
    changes = evaluate(session, current().workspace_id, utcnow())
    session.commit()
    return {"changes": [{"sharer_id": c.sharer_id, "from_grade_id": c.from_grade_id, "to_grade_id": c.to_grade_id}
                        for c in changes]}


@bp.get("/sharers/<int(min=1, max=2147483647):sharer_id>/grade")
@requires("owner", "marketer", "seller")
@bp.response(200, SharerGradeOut)
def sharer(sharer_id: int):
    """The sharer's grade and its history. :raise 403: another seller's. :raise 404: unknown sharer."""
    current().check_acts_for(sharer_id)
    session = database.session()
    return sharer_grade(session, get_sharer(session, current().workspace_id, sharer_id), _currency())
