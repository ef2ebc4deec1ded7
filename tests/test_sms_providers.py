"""SMS providers against their documentation's example signatures and local fakes of their APIs."""
from __future__ import annotations

import hashlib

import pytest
from platform_fakes import FakeAliyunSms, FakeTencentSms

from platforms import aliyun_sms, tencent_sms
from platforms.sms import SmsError, SmsSettings
from plumbing import guarded_http


@pytest.fixture
def http():
    with guarded_http.client(True, timeout=5.0) as client:
        yield client


def test_aliyun_signature_matches_the_sendsms_documentation_example():
    params = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
              "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
              "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}
    assert aliyun_sms.string_to_sign(params).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
        "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C")
    assert aliyun_sms.rpc_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_tencent_tc3_signature_matches_the_documentation_example():
    payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    assert hashlib.sha256(payload.encode()).hexdigest() == \
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    canonical = tencent_sms.canonical_request("cvm.tencentcloudapi.com", "DescribeInstances", payload)
    assert hashlib.sha256(canonical.encode()).hexdigest() == \
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    assert tencent_sms.string_to_sign("cvm.tencentcloudapi.com", "cvm", "DescribeInstances", payload,
                                      1551113065).split("\n")[:3] == \
        ["TC3-HMAC-SHA256", "1551113065", "2019-02-25/cvm/tc3_request"]
    # The documentation's key is shown masked as 32 asterisks; its worked signature is for that key.
    assert tencent_sms.tc3_signature("*" * 32, "cvm.tencentcloudapi.com", "cvm", "DescribeInstances", payload,
                                     1551113065) == "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"


def test_tencent_credential_scope_uses_the_utc_date_not_beijing_time():
    # 1551113065 is 2019-02-26 00:44 in Beijing and still 2019-02-25 in UTC.
    assert tencent_sms.credential_scope(1551113065, "sms") == "2019-02-25/sms/tc3_request"


def _aliyun(fake) -> SmsSettings:
    return SmsSettings(access_key_id="LTAI-test", access_key_secret=fake.secret, sign_name="茶园",
                       template="SMS_1234", endpoint=fake.url("/"))


def test_aliyun_sends_the_code_to_the_bare_mainland_number(http):
    fake = FakeAliyunSms("LTAI-test", "s3cret-" + "x" * 20)
    try:
        message_id = aliyun_sms.AliyunSms().send_code("+8613800138000", "123456", _aliyun(fake), http)
    finally:
        fake.close()
    assert message_id == "biz1"
    assert fake.sent[0]["PhoneNumbers"] == "13800138000"
    assert fake.sent[0]["param"] == {"code": "123456"}
    assert fake.sent[0]["SignName"] == "茶园"


def test_aliyun_wrong_secret_is_signature_does_not_match(http):
    fake = FakeAliyunSms("LTAI-test", "the-real-secret")
    try:
        with pytest.raises(SmsError) as caught:
            aliyun_sms.AliyunSms().send_code("+8613800138000", "123456",
                                             SmsSettings(access_key_id="LTAI-test", access_key_secret="wrong",
                                                         endpoint=fake.url("/")), http)
    finally:
        fake.close()
    assert caught.value.code == "SignatureDoesNotMatch" and not caught.value.retryable


def test_aliyun_flow_control_is_a_retryable_error(http):
    fake = FakeAliyunSms("LTAI-test", "sec", per_number_per_minute=1)
    try:
        aliyun_sms.AliyunSms().send_code("+8613800138000", "111111", _aliyun(fake), http)
        with pytest.raises(SmsError) as caught:
            aliyun_sms.AliyunSms().send_code("+8613800138000", "222222", _aliyun(fake), http)
    finally:
        fake.close()
    assert caught.value.code == "isv.BUSINESS_LIMIT_CONTROL" and caught.value.retryable
    assert len(fake.sent) == 1


def test_aliyun_international_numbers_keep_their_country_code():
    assert aliyun_sms.aliyun_number("+85291234567") == "85291234567"
    assert aliyun_sms.aliyun_number("+8613800138000") == "13800138000"


def _tencent(fake, key=None) -> SmsSettings:
    return SmsSettings(access_key_id=fake.secret_id, access_key_secret=key or fake.secret_key, sign_name="茶园",
                       template="1110", app_id="1400000000", region="ap-guangzhou", endpoint=fake.url("/"))


def test_tencent_sends_the_code_in_e164_with_the_template_parameters(http):
    fake = FakeTencentSms("AKIDtest", "tencent-secret-key")
    try:
        serial = tencent_sms.TencentSms().send_code("+8613800138000", "654321", _tencent(fake), http)
    finally:
        fake.close()
    assert serial == "2433:1"
    sent = fake.sent[0]
    assert sent["PhoneNumberSet"] == ["+8613800138000"]
    assert sent["TemplateParamSet"] == ["654321", "5"]
    assert (sent["SmsSdkAppId"], sent["SignName"], sent["TemplateId"]) == ("1400000000", "茶园", "1110")


def test_tencent_wrong_key_is_an_auth_failure(http):
    fake = FakeTencentSms("AKIDtest", "tencent-secret-key")
    try:
        with pytest.raises(SmsError) as caught:
            tencent_sms.TencentSms().send_code("+8613800138000", "654321", _tencent(fake, key="nope"), http)
    finally:
        fake.close()
    assert caught.value.code == "AuthFailure.SignatureFailure" and not caught.value.retryable
    assert fake.sent == []


def test_tencent_per_number_limit_is_reported_per_number_and_retryable(http):
    fake = FakeTencentSms("AKIDtest", "k", per_number_per_hour=1)
    try:
        tencent_sms.TencentSms().send_code("+8613800138000", "1", _tencent(fake), http)
        with pytest.raises(SmsError) as caught:
            tencent_sms.TencentSms().send_code("+8613800138000", "2", _tencent(fake), http)
    finally:
        fake.close()
    assert caught.value.code == "LimitExceeded.PhoneNumberOneHourLimit" and caught.value.retryable


def test_an_unreachable_provider_is_retryable(http):
    with pytest.raises(SmsError) as caught:
        aliyun_sms.AliyunSms().send_code("+8613800138000", "1", SmsSettings(endpoint="http://127.0.0.1:9/"), http)
    assert caught.value.code == "unreachable" and caught.value.retryable
