"""Sending a sign-in code by SMS: one small interface, one registry of providers.

A provider takes a phone number in E.164 and the code, and either returns the
provider's message id or raises :class:`SmsError`. Providers: ``log`` (for
development: the code goes to the log), ``aliyun`` (Aliyun SMS ``SendSms``)
and ``tencent`` (Tencent Cloud SMS ``SendSms``); see their modules.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached; ``code`` is its error code, ``retryable`` whether to try again."""

    def __init__(self, code: str, message: str, retryable: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.retryable = code, message, retryable


@dataclass(frozen=True)
class SmsSettings:
    """A deployment's SMS account: keys, the approved signature and code template, the endpoint."""

    access_key_id: str = ""
    access_key_secret: str = ""
    sign_name: str = ""
    template: str = ""
    app_id: str = ""  # Tencent's SmsSdkAppId
    region: str = ""
    endpoint: str = ""  # empty: the provider's documented public endpoint
    extra: dict = field(default_factory=dict)


class SmsProvider(Protocol):
    name: str

    def send_code(self, phone: str, code: str, settings: SmsSettings, client: httpx.Client) -> str:
        """Send ``code`` to ``phone`` (E.164); the provider's message id. :raise SmsError: refused or unreachable."""


class LogSms:
    """Development: writes the code to the log instead of sending it."""

    name = "log"

    def send_code(self, phone: str, code: str, settings: SmsSettings, client: httpx.Client) -> str:
        log.warning("SMS sign-in code for %s: %s (development provider: nothing was sent)", phone, code)
        return "log"


def json_answer(response: httpx.Response) -> dict:
    """The JSON object of a provider's answer. :raise SmsError: not JSON (a proxy page, an outage)."""
    try:
        body = response.json()
    except ValueError:
        raise SmsError(f"http_{response.status_code}", "the provider answered with something else than JSON",
                       retryable=response.status_code >= 500) from None
    if not isinstance(body, dict):
        raise SmsError(f"http_{response.status_code}", "unexpected answer", retryable=False)
    return body
