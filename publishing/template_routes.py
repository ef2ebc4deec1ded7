"""/api/v1/templates: a brand's own poster templates; routes validate, call one service function, answer."""
from __future__ import annotations

from plumbing import database
from plumbing.api import Blueprint
from plumbing.pagination import OnePageQuery
from publishing import storage
from publishing.images import MAX_BYTES
from publishing.template_schemas import BackgroundIn, TemplateIn, TemplateList, TemplateOut
from publishing.templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    set_background,
    template_json,
    update_template,
)
from publishing.versions import record_version
from workspaces.auth import current, requires

bp = Blueprint("templates", __name__, url_prefix="/api/v1/templates", description="Poster templates")
TEMPLATE_ID = "/<int(min=1, max=2147483647):template_id>"


@bp.post("")
@requires("owner", "marketer")
@bp.arguments(TemplateIn)
@bp.response(201, TemplateOut)
def create(data: dict):
    """Create a template: a layout of boxes per aspect (the background is uploaded apart).

    :raise 422: a field out of range, a box leaving the canvas, or a layout that would clip the
        title or the price, overlap or shrink the code at some size: ``error.fields`` names the box
        (``layouts.square.boxes.qr``).
    """
    session = database.session()
    template = create_template(session, current().workspace_id, data)
    session.commit()
    return template_json(session, template)


@bp.get("")
@requires("owner", "marketer")
@bp.arguments(OnePageQuery, location="query")
@bp.response(200, TemplateList)
def index(_query: dict):
    """The workspace's templates, oldest first (one page: a brand keeps a few)."""
    session = database.session()
    return {"items": [template_json(session, t) for t in list_templates(session, current().workspace_id)],
            "next_cursor": None}


@bp.get(TEMPLATE_ID)
@requires("owner", "marketer")
@bp.response(200, TemplateOut)
def read(template_id: int):
    """A template. :raise 404: not in this workspace."""
    session = database.session()
    return template_json(session, get_template(session, current().workspace_id, template_id))


@bp.put(TEMPLATE_ID)
@requires("owner", "marketer")
@bp.arguments(TemplateIn)
@bp.response(200, TemplateOut)
def update(data: dict, template_id: int):
    """Replace a template's name and layouts; the campaigns using it get a new content version.

    :raise 404: not in this workspace. :raise 422: as on create, and against the title and price of
        every campaign using it; nothing changes.
    """
    session = database.session()
    template = get_template(session, current().workspace_id, template_id)
    for campaign in update_template(session, template, data):
        record_version(session, campaign)
    session.commit()
    return template_json(session, template)


@bp.post(TEMPLATE_ID + "/background")
@requires("owner", "marketer")
@bp.arguments(BackgroundIn, location="files")
@bp.response(200, TemplateOut)
def upload_background(files: dict, template_id: int):
    """Upload the background image (PNG, JPEG or WebP), cropped to fill each poster.

    :raise 404: not in this workspace. :raise 413: too many bytes. :raise 415: not PNG, JPEG or
        WebP. :raise 422: too many pixels or corrupt.
    """
    session = database.session()
    template = get_template(session, current().workspace_id, template_id)
    for campaign in set_background(session, storage.storage(), template, files["file"].read(MAX_BYTES + 1)):
        record_version(session, campaign)
    session.commit()
    return template_json(session, template)


@bp.delete(TEMPLATE_ID)
@requires("owner", "marketer")
@bp.response(204)
def delete(template_id: int):
    """Delete a template. :raise 404: not in this workspace. :raise 409: campaigns use it."""
    session = database.session()
    delete_template(session, get_template(session, current().workspace_id, template_id))
    session.commit()
    return ""
