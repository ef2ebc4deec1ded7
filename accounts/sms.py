"""Sending sign-in codes by SMS, as an RQ job so the page answers at once and alike for every number.

The provider and its account come from the deployment's configuration
(``SHARECAST_SMS_*``); the call goes through the SSRF guard like every
outgoing call. A retried job sends the same code again, which is harmless.
"""
from __future__ import annotations

import logging

from flask import current_app
from rq import Retry

from platforms import aliyun_sms, tencent_sms
from platforms.sms import LogSms, SmsError, SmsProvider, SmsSettings
from plumbing import guarded_http, redis_client
from referrals.identity import mask_phone

log = logging.getLogger(__name__)
PROVIDERS: dict[str, SmsProvider] = {"log": LogSms(), "aliyun": aliyun_sms.AliyunSms(),
                                     "tencent": tencent_sms.TencentSms()}


def settings_from(config) -> SmsSettings:
    return SmsSettings(access_key_id=config["SMS_ACCESS_KEY_ID"], access_key_secret=config["SMS_ACCESS_KEY_SECRET"],
                       sign_name=config["SMS_SIGN_NAME"], template=config["SMS_TEMPLATE"],
                       app_id=config["SMS_APP_ID"], region=config["SMS_REGION"], endpoint=config["SMS_ENDPOINT"])


def provider_from(config) -> SmsProvider:
    """:raise KeyError: an unknown provider name (a configuration error, said at start-up)."""
    return PROVIDERS[config["SMS_PROVIDER"]]


def send_sign_in_code(phone: str, code: str) -> str:
    """Send the code; ``sent <id>``, or ``failed: …`` (a retryable failure raises so RQ tries again)."""
    config = current_app.config
    with guarded_http.client(config["ALLOW_PRIVATE_TARGETS"], timeout=10.0) as client:
        try:
            message_id = provider_from(config).send_code(phone, code, settings_from(config), client)
        except SmsError as exc:
            log.warning("sign-in code to %s not sent: %s", mask_phone(phone), exc)
            if exc.retryable:
                raise
            return f"failed: {exc.code}"
    return f"sent {message_id}"


def enqueue_sign_in_code(phone: str, code: str) -> None:
    redis_client.queue().enqueue(send_sign_in_code, phone, code, description="seller sign-in code",
                                 retry=Retry(max=2, interval=[10, 30]), result_ttl=600, failure_ttl=600)
