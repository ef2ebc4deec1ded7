from __future__ import annotations

from marshmallow import Schema, fields, validate

from plumbing.fields import MAX_ID, AwareDateTime, Id, InputSchema
from plumbing.pagination import OnePageQuery


class PublicationIn(InputSchema):
    channel = fields.String(required=True, validate=validate.Length(1, 32))
    publish_at = AwareDateTime(load_default=None, metadata={"description": "ISO-8601 with offset"})
    slot = fields.String(load_default=None, validate=validate.OneOf(["next"]),
                         metadata={"description": "instead of publish_at: the workspace's next free time slot"})


class ScheduleIn(InputSchema):
    publications = fields.List(fields.Nested(PublicationIn), load_default=list, validate=validate.Length(max=50))
    cancel = fields.List(Id(), load_default=list, validate=validate.Length(max=50),
                         metadata={"description": "ids of scheduled publications to cancel"})


class SlotsIn(InputSchema):
    slots = fields.List(fields.String(), required=True, validate=validate.Length(max=48),
                        metadata={"example": ["09:00", "12:30", "20:00"]})


class SlotsOut(Schema):
    slots = fields.List(fields.String())
    timezone = fields.String()


class LibraryQuery(OnePageQuery):
    channel = fields.String(load_default=None, validate=validate.Length(1, 32))
    campaign_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    state = fields.String(load_default=None, validate=validate.OneOf(["live", "upcoming"]))


class LibraryItemOut(Schema):
    publication_id = fields.Integer()
    campaign_id = fields.Integer()
    campaign_name = fields.String()
    channel = fields.String()
    name = fields.String()
    state = fields.String(metadata={"enum": ["live", "upcoming"]})
    text = fields.String()
    title = fields.String(allow_none=True)
    hashtags = fields.List(fields.String())
    images = fields.List(fields.Dict())
    link = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    publish_at = fields.String()
    published_at = fields.String(allow_none=True)
    content_version = fields.Integer()


class LibraryOut(Schema):
    items = fields.List(fields.Nested(LibraryItemOut))
    next_cursor = fields.String(allow_none=True)


class GrabIn(InputSchema):
    campaign_id = Id(required=True)
    channel = fields.String(required=True, validate=validate.Length(1, 32))
    content_version = Id(load_default=None)


class GrabOut(Schema):
    id = fields.Integer()
    sharer_id = fields.Integer()
    campaign_id = fields.Integer()
    publication_id = fields.Integer()
    channel = fields.String()
    content_version = fields.Integer()
    link_id = fields.Integer(allow_none=True)
    grabbed_at = fields.String()


class FeedOut(Schema):
    url = fields.String(metadata={"description": "the seller's Atom feed; shown once, a new one replaces it"})


class NotificationsIn(InputSchema):
    email = fields.Boolean(metadata={"description": "email a notice of each new post to the seller's address"})
    webhook_url = fields.String(allow_none=True, validate=validate.Length(1, 2000),
                                metadata={"description": "POST a signed notice (Standard Webhooks) of each new "
                                                         "post here; null stops it"})


class NotificationsOut(Schema):
    sharer_id = fields.Integer()
    email = fields.Boolean()
    email_address = fields.Boolean(metadata={"description": "whether the seller has an email address to send to"})
    webhook_url = fields.String(allow_none=True)
    secret = fields.String(metadata={"description": "the webhook's signing secret (whsec_...), shown once "
                                                   "when a URL is set"})
