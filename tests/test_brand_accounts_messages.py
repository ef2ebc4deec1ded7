"""A brand post's failure is said in the marketer's language, with the reset time of a rate limit,
never an API path."""
from __future__ import annotations

import pytest
from social_fakes import FakeWechat
from test_brand_accounts import image
from test_brand_accounts_wechat import with_token
from test_webhooks import local_targets  # noqa: F401 - a fixture

from channels import publisher_for
from channels.base import OutgoingPost, PublishError
from channels.remote import rate_limited
from web.console.campaign_messages import explain


def said(app, message: str, language: str) -> str:
    with app.test_request_context(headers={"Accept-Language": language}):
        return explain(message)


def test_a_rate_limit_says_when_it_resets_in_both_languages(app):
    error = f"x: {rate_limited('X', 600, 429).message}"
    zh, en = said(app, error, "zh-CN"), said(app, error, "en")
    assert zh.startswith("已达到 X 的频率限制") and "429" not in zh
    assert en.startswith("X's rate limit was reached") and "(" in en and "T" not in en.split("(")[1]


@pytest.mark.parametrize("error, zh, en", [
    ("x: the x account needs connecting again (x token request refused (400: invalid_request))",
     "请到“账号”页面重新连接", "open Accounts and connect it"),
    ("weibo: Weibo refused the access token (21327 expired_token)", "Weibo 拒绝了账号授权",
     "Weibo refused the account's access"),
    ("weibo: Weibo refused the post: Repeat content! (20019)", "Weibo 拒绝发布：Repeat content! (20019)",
     "Weibo refused the post: Repeat content! (20019)"),
    ("weibo: Weibo's share API only takes posts with a link on the app's secure domain (shop.example.com); "
     "this post's link is evil.example", "shop.example.com", "this post links to evil.example"),
    ("wechat_official: an Official Account article needs a cover image", "公众号文章需要封面图", "needs a cover image"),
    ("facebook: the facebook account waits for the choice of the page it posts as; choose it on the Accounts page",
     "请到“账号”页面选择", "open Accounts and choose it"),
    ("instagram: Instagram refused the post: The image format is not supported. (2207004)",
     "Instagram 拒绝发布", "Instagram refused the post: The image format is not supported. (2207004)"),
    ("instagram: an Instagram post needs at least one image", "至少需要一张图片", "at least one image"),
])
def test_brand_account_failures_are_explained(app, error, zh, en):
    assert zh in said(app, error, "zh-CN")
    assert en in said(app, error, "en")


def test_wechat_refusals_name_no_api_path(app, local_targets):  # noqa: F811
    server = FakeWechat()
    try:
        post = OutgoingPost(text="标题过长", title="长" * 40, images=(image(1),))
        credentials = with_token(app, server)
        # A title over 32 characters is cut by the adapter, so WeChat accepts it.
        assert publisher_for("wechat_official").publish(post, credentials, True).external_id
        server.quota = server.api_calls + 1  # the next call passes, the one after hits the minute quota
        with pytest.raises(PublishError) as caught:
            publisher_for("wechat_official").publish(post, credentials, True)
        assert "cgi-bin" not in caught.value.message and "/" not in caught.value.message.split("resets at")[0]
        assert caught.value.retry_after == 60
    finally:
        server.close()
