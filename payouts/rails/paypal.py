"""PayPal Payouts (REST v1), for sellers paid outside China.

From the published docs (developer.paypal.com, Payouts API and Authentication):
- ``POST /v1/oauth2/token`` with HTTP Basic ``client_id:secret`` and
  ``grant_type=client_credentials`` gives a Bearer ``access_token``.
- ``POST /v1/payments/payouts`` with ``sender_batch_header`` (``sender_batch_id``,
  ``email_subject``, ``recipient_type``) and ``items`` (``recipient_type``, ``amount``
  ``{value, currency}``, ``receiver``, ``note``, ``sender_item_id``) answers 201 with
  ``batch_header`` (``payout_batch_id``, ``batch_status`` PENDING). PayPal pays one
  ``sender_batch_id`` once in 30 days: a repeat is refused with an error that carries a
  link to the original payout, and after a 5xx the same request may be sent again.
  The ``PayPal-Request-Id`` header (the same id) makes a repeat answer like the first.
- ``GET /v1/payments/payouts/{payout_batch_id}`` answers the batch and its ``items``,
  each with a ``transaction_status``: SUCCESS is paid; FAILED, RETURNED, REFUNDED,
  REVERSED, BLOCKED and DENIED are final failures (the money is back with the sender);
  PENDING, UNCLAIMED, ONHOLD and NEW are not settled yet.
- Webhooks ``PAYMENT.PAYOUTSBATCH.*`` and ``PAYMENT.PAYOUTS-ITEM.*`` carry the
  ``PAYPAL-TRANSMISSION-ID``, ``-TIME``, ``-SIG``, ``PAYPAL-CERT-URL`` and
  ``PAYPAL-AUTH-ALGO`` headers; ``POST /v1/notifications/verify-webhook-signature``
  with those, the brand's ``webhook_id`` and the event answers ``verification_status``
  SUCCESS or FAILURE. (Asking PayPal, rather than fetching the certificate the
  request names, keeps a forged request from making us fetch an address it chose.)

Every withdrawal is one batch of one item; its ``out_no`` is both the
``sender_batch_id`` and the ``sender_item_id``. No SDK: PayPal's Python Payouts SDK is
archived, and it calls out past the SSRF guard every outgoing call must take.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import httpx

from payouts.rails.base import Outcome, RailError, Transfer, checked_url, require_text
from payouts.rails.masking import mask_middle
from plumbing import guarded_http
from plumbing.money import format_amount

API_BASE = "https://api-m.paypal.com"
PAID = {"SUCCESS"}
FAILED = {"FAILED", "RETURNED", "REFUNDED", "REVERSED", "BLOCKED", "DENIED", "CANCELED"}
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9]{6,16}$")
_PAYER_ID = re.compile(r"^[A-Z0-9]{13}$")
_WEBHOOK_ID = re.compile(r"^[A-Za-z0-9]{1,50}$")
WEBHOOK_HEADERS = {"transmission_id": "PAYPAL-TRANSMISSION-ID", "transmission_time": "PAYPAL-TRANSMISSION-TIME",
                   "transmission_sig": "PAYPAL-TRANSMISSION-SIG", "cert_url": "PAYPAL-CERT-URL",
                   "auth_algo": "PAYPAL-AUTH-ALGO"}


class PayPalUnreachable(Exception):
    """No usable answer from PayPal (network, an outage, refused credentials): ask again later."""


def recipient_type(receiver: str) -> str | None:
    if _EMAIL.match(receiver):
        return "EMAIL"
    if _PAYER_ID.match(receiver):
        return "PAYPAL_ID"
    if _PHONE.match(receiver):
        return "PHONE"
    return None


def _batch_id_from_links(data: dict) -> str | None:
    """The original payout's id from a refused repeat's HATEOAS link (``.../payouts/{id}``)."""
    for link in data.get("links") or []:
        href = str(link.get("href", "")) if isinstance(link, dict) else ""
        found = re.search(r"/v1/payments/payouts/([A-Za-z0-9]+)(?:[/?]|$)", href)
        if found:
            return found.group(1)
    return None


def item_outcome(item: dict, batch_id: str | None) -> Outcome:
    """What one payout item's ``transaction_status`` means for the withdrawal."""
    status = str(item.get("transaction_status", ""))
    if status in PAID:
        return Outcome("paid", status, batch_id)
    if status in FAILED:
        errors = item.get("errors") if isinstance(item.get("errors"), dict) else {}
        return Outcome("failed", status, batch_id, str(errors.get("message") or errors.get("name") or status)[:500])
    return Outcome("pending", status or "UNKNOWN", batch_id)


class PayPal:
    name = "paypal"
    automatic = True
    account_fields = ("receiver",)

    def clean_credentials(self, given: dict, allow_private: bool) -> dict:
        """client_id, client_secret (a REST app's), webhook_id? (the app's webhook for this
        brand's notify URL: with it, notifications are believed once PayPal verifies them),
        api_base? (default the live API; https://api-m.sandbox.paypal.com for the sandbox)."""
        require_text(given, ("client_id", "client_secret"), "PayPal credentials")
        webhook_id = given.get("webhook_id")
        if webhook_id is not None and (not isinstance(webhook_id, str) or not _WEBHOOK_ID.match(webhook_id)):
            raise RailError("The webhook id is letters and digits.", {"webhook_id": "letters and digits, up to 50"})
        api_base = checked_url((given.get("api_base") or API_BASE).rstrip("/"), "api_base", allow_private)
        return {"client_id": given["client_id"].strip(), "client_secret": given["client_secret"].strip(),
                "webhook_id": webhook_id, "api_base": api_base}

    def clean_account(self, given: dict) -> dict:
        receiver = given.get("receiver")
        receiver = receiver.strip() if isinstance(receiver, str) else ""
        kind = recipient_type(receiver.replace(" ", "").replace("-", "") if "@" not in receiver else receiver)
        if kind is None:
            raise RailError("A PayPal account is required.",
                            {"receiver": "the PayPal email, mobile number or PayPal account id"})
        if kind != "EMAIL":
            receiver = receiver.replace(" ", "").replace("-", "")
        return {"receiver": receiver, "recipient_type": kind}

    def mask(self, account: dict) -> str:
        receiver = account["receiver"]
        if account["recipient_type"] == "EMAIL":
            user, _, domain = receiver.partition("@")
            return f"PayPal {user[:2]}****@{domain}"
        return f"PayPal {mask_middle(receiver, 3, 4)}"

    # --- calls -------------------------------------------------------------------------------

    def _token(self, http: httpx.Client, credentials: dict) -> str:
        """:raise PayPalUnreachable: no token (refused credentials, an outage)."""
        answer = http.post(credentials["api_base"] + "/v1/oauth2/token", data={"grant_type": "client_credentials"},
                           auth=(credentials["client_id"], credentials["client_secret"]),
                           headers={"Accept": "application/json"})
        try:
            token = answer.json().get("access_token") if answer.status_code == 200 else None
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise PayPalUnreachable(f"TOKEN_HTTP_{answer.status_code}")
        return token

    @staticmethod
    def _json(answer: httpx.Response) -> dict:
        try:
            data = answer.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _payload(self, transfer: Transfer) -> dict:
        kind = transfer.account["recipient_type"]
        return {"sender_batch_header": {"sender_batch_id": transfer.out_no, "recipient_type": kind,
                                        "email_subject": transfer.remark[:255]},
                "items": [{"recipient_type": kind, "receiver": transfer.account["receiver"],
                           "amount": {"value": format_amount(transfer.amount_minor, transfer.currency),
                                      "currency": transfer.currency},
                           "note": transfer.remark[:1000], "sender_item_id": transfer.out_no}]}

    def _create(self, http: httpx.Client, token: str, credentials: dict, transfer: Transfer) -> Outcome:
        answer = http.post(credentials["api_base"] + "/v1/payments/payouts", json=self._payload(transfer),
                           headers={"Authorization": f"Bearer {token}", "PayPal-Request-Id": transfer.out_no,
                                    "Accept": "application/json"})
        data = self._json(answer)
        header = data.get("batch_header") if isinstance(data.get("batch_header"), dict) else {}
        if answer.status_code in (200, 201) and header.get("payout_batch_id"):
            status = str(header.get("batch_status", "PENDING"))
            if status == "DENIED":
                return Outcome("failed", status, header["payout_batch_id"], "PayPal denied the payout")
            return Outcome("pending", status, header["payout_batch_id"])
        original = _batch_id_from_links(data)
        if original:  # a repeat of a batch PayPal already has: it was sent, follow that one
            return Outcome("pending", "DUPLICATE", original)
        name = str(data.get("name") or f"HTTP_{answer.status_code}")
        if answer.status_code in (400, 422) and name not in ("RATE_LIMIT_REACHED", "INTERNAL_SERVER_ERROR"):
            return Outcome("failed", name[:32], reason=str(data.get("message") or name)[:500])  # never accepted
        return Outcome("pending", name[:32], reason=str(data.get("message") or "")[:500])  # 401, 429, 5xx: again later

    def _status(self, http: httpx.Client, token: str, credentials: dict, batch_id: str, out_no: str) -> Outcome:
        answer = http.get(f"{credentials['api_base']}/v1/payments/payouts/{quote(batch_id, safe='')}",
                          headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        data = self._json(answer)
        if answer.status_code != 200:
            return Outcome("pending", str(data.get("name") or f"HTTP_{answer.status_code}")[:32], batch_id)
        header = data.get("batch_header") if isinstance(data.get("batch_header"), dict) else {}
        items = [i for i in data.get("items") or [] if isinstance(i, dict)
                 and (i.get("payout_item") or {}).get("sender_item_id") == out_no]
        if items:
            return item_outcome(items[0], batch_id)
        status = str(header.get("batch_status", ""))
        if status in ("DENIED", "CANCELED"):
            return Outcome("failed", status, batch_id, f"PayPal {status.lower()} the payout")
        return Outcome("pending", status or "UNKNOWN", batch_id)

    def send(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        try:
            with guarded_http.client(allow_private) as http:
                return self._create(http, self._token(http, credentials), credentials, transfer)
        except PayPalUnreachable as exc:
            return Outcome("pending", str(exc)[:32])
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", reason=str(exc)[:200])

    def query(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        """The item's status by its batch id; with none known (the first answer was lost), the same
        request again, which PayPal answers with the original batch instead of paying twice."""
        try:
            with guarded_http.client(allow_private) as http:
                token = self._token(http, credentials)
                batch_id = transfer.rail_ref
                if not batch_id:
                    created = self._create(http, token, credentials, transfer)
                    if created.state == "failed" or not created.rail_ref:
                        return created
                    batch_id = created.rail_ref
                return self._status(http, token, credentials, batch_id, transfer.out_no)
        except PayPalUnreachable as exc:
            return Outcome("pending", str(exc)[:32], transfer.rail_ref)
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", transfer.rail_ref, reason=str(exc)[:200])

    def verify_notification(self, credentials: dict, headers, body: str, allow_private: bool) -> dict | None:
        """The webhook event if PayPal says it sent it (``verification_status`` SUCCESS), else None."""
        if not credentials.get("webhook_id"):
            return None
        try:
            event = json.loads(body)
        except ValueError:
            return None
        fields = {name: headers.get(header, "") for name, header in WEBHOOK_HEADERS.items()}
        if not isinstance(event, dict) or not all(fields.values()):
            return None
        try:
            with guarded_http.client(allow_private) as http:
                token = self._token(http, credentials)
                answer = http.post(credentials["api_base"] + "/v1/notifications/verify-webhook-signature",
                                   json={**fields, "webhook_id": credentials["webhook_id"], "webhook_event": event},
                                   headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except (PayPalUnreachable, httpx.HTTPError):
            return None
        return event if self._json(answer).get("verification_status") == "SUCCESS" else None
