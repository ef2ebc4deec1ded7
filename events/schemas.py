from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.emit import EVENTS
from plumbing.fields import Id, InputSchema


class EndpointIn(InputSchema):
    url = fields.String(required=True, validate=validate.Length(1, 2000))
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True,
                         validate=validate.Length(1, len(EVENTS)))


class EndpointOut(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    created_at = fields.DateTime()


class EndpointCreated(EndpointOut):
    secret = fields.String(metadata={"description": "the signing secret (whsec_...), shown once"})


class EndpointList(Schema):
    items = fields.List(fields.Nested(EndpointOut))
    next_cursor = fields.String(allow_none=True)


class AttemptOut(Schema):
    number = fields.Integer()
    started_at = fields.DateTime()
    duration_ms = fields.Integer()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


class DeliveryOut(Schema):
    id = fields.Integer()
    event = fields.String()
    message_id = fields.String(metadata={"description": "the webhook-id header, the same on every attempt"})
    status = fields.String(metadata={"description": "pending, sending, retrying, succeeded, failed or cancelled"})
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    attempt_log = fields.List(fields.Nested(AttemptOut))


class DeliveryList(Schema):
    items = fields.List(fields.Nested(DeliveryOut))
    next_cursor = fields.String(allow_none=True)


class DeliveryQuery(InputSchema):
    cursor = Id(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
