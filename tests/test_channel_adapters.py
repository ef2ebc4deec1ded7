"""Telegram, email and webhook adapters against real servers on 127.0.0.1."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from servers import FakeTelegram, SmtpSink, WebhookReceiver

from channels import publisher_for
from channels.base import InvalidCredentials, OutgoingImage, OutgoingPost, PublishError

TOKEN = "123456:" + "A" * 35


def png(color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    return out.getvalue()


def image(i=0) -> OutgoingImage:
    return OutgoingImage(data=png((i * 40 % 255, 30, 30)), filename=f"p{i}.png", content_type="image/png",
                         url=f"https://cdn.example.com/p{i}.png", width=40, height=30)


POST = OutgoingPost(text="明前龙井到了 https://sc.example/r/AbC", title="春茶首发", link="https://sc.example/r/AbC",
                    key="pub-7-telegram", extra={"campaign_id": 7, "channel": "webhook"})


@pytest.fixture
def telegram():
    server = FakeTelegram(TOKEN)
    yield server
    server.close()


def tg_credentials(server, **over):
    return publisher_for("telegram").validate({"bot_token": TOKEN, "chat_id": "-1001234", "api_base": server.url(""),
                                            **over}, allow_private=True)


def test_telegram_sends_text_only_posts_with_send_message(telegram):
    result = publisher_for("telegram").publish(POST, tg_credentials(telegram), allow_private=True)
    [call] = telegram.calls
    assert call["method"] == "sendMessage" and call["fields"] == {"chat_id": "-1001234", "text": POST.text}
    assert result.external_id == "101"


def test_telegram_sends_one_image_with_send_photo_and_the_caption(telegram):
    post = OutgoingPost(text=POST.text, images=(image(),))
    publisher_for("telegram").publish(post, tg_credentials(telegram), allow_private=True)
    [call] = telegram.calls
    assert call["method"] == "sendPhoto" and call["fields"]["caption"] == POST.text
    assert call["files"]["photo"]["data"] == post.images[0].data


def test_telegram_sends_an_album_with_send_media_group_caption_on_the_first(telegram):
    import json

    post = OutgoingPost(text=POST.text, images=tuple(image(i) for i in range(12)))
    result = publisher_for("telegram").publish(post, tg_credentials(telegram), allow_private=True)
    [call] = telegram.calls
    media = json.loads(call["fields"]["media"])
    assert call["method"] == "sendMediaGroup" and len(media) == 10 and len(call["files"]) == 10
    assert media[0]["caption"] == POST.text and "caption" not in media[1]
    assert media[3]["media"] == "attach://photo3" and call["files"]["photo3"]["data"] == post.images[3].data
    assert len(result.external_id.split(",")) == 10


def test_telegram_rate_limits_are_retryable_with_the_advised_wait():
    server = FakeTelegram(TOKEN, rate_limit_first=1)
    try:
        with pytest.raises(PublishError) as caught:
            publisher_for("telegram").publish(POST, tg_credentials(server), allow_private=True)
        assert caught.value.retryable and caught.value.retry_after == 7
    finally:
        server.close()


def test_telegram_refusals_are_final_and_never_show_the_token(telegram):
    with pytest.raises(PublishError) as caught:
        publisher_for("telegram").publish(POST, tg_credentials(telegram, chat_id="-1"), allow_private=True)
    assert not caught.value.retryable and "chat not found" in str(caught.value) and TOKEN not in str(caught.value)
    with pytest.raises(PublishError) as caught:
        publisher_for("telegram").publish(POST, {**tg_credentials(telegram), "bot_token": "999:" + "B" * 35},
                                       allow_private=True)
    assert not caught.value.retryable and "401" in str(caught.value)


def test_telegram_unreachable_is_retryable():
    creds = {"bot_token": TOKEN, "chat_id": "1", "api_base": "http://127.0.0.1:1"}
    with pytest.raises(PublishError) as caught:
        publisher_for("telegram").publish(POST, creds, allow_private=True)
    assert caught.value.retryable


def test_telegram_api_base_on_a_private_address_is_refused_unless_allowed(telegram):
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("telegram").validate({"bot_token": TOKEN, "chat_id": "1", "api_base": telegram.url("")},
                                        allow_private=False)
    assert "private" in caught.value.fields["api_base"]
    with pytest.raises(PublishError):
        publisher_for("telegram").publish(POST, tg_credentials(telegram), allow_private=False)
    assert telegram.calls == []


def test_telegram_credentials_are_checked():
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("telegram").validate({"bot_token": "nope", "chat_id": "x y", "extra": 1}, allow_private=False)
    assert set(caught.value.fields) == {"bot_token", "chat_id", "extra"}
    clean = publisher_for("telegram").validate({"bot_token": TOKEN, "chat_id": -100123}, allow_private=False)
    assert clean["api_base"] == "https://api.telegram.org" and clean["chat_id"] == "-100123"


@pytest.fixture
def smtp():
    server = SmtpSink()
    yield server
    server.close()


def test_email_arrives_as_text_and_html_with_inline_images(smtp):
    creds = publisher_for("email").validate({"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "Acme <shop@acme.example>",
                                          "to": ["a@example.com", "b@example.com"]}, allow_private=True)
    post = OutgoingPost(text=POST.text + "\n\n第二段", title=POST.title, images=(image(0), image(1)))
    result = publisher_for("email").publish(post, creds, allow_private=True)
    [message] = smtp.messages
    assert smtp.envelopes[0] == ("shop@acme.example", ["a@example.com", "b@example.com"])
    assert message["Subject"] == "春茶首发" and message["Message-ID"] == result.external_id
    text = message.get_body(("plain",)).get_content()
    html_part = message.get_body(("html",))
    html = html_part.get_content()
    assert "明前龙井到了" in text and "第二段" in text
    assert '<a href="https://sc.example/r/AbC">' in html and "<h1>春茶首发</h1>" in html
    inline = [p for p in message.walk() if p.get_content_maintype() == "image"]
    assert len(inline) == 2 and [p.get_content() for p in inline] == [i.data for i in post.images]
    for part in inline:
        assert f"cid:{part['Content-ID'][1:-1]}" in html and part.get_content_disposition() == "inline"


def test_email_to_a_private_server_is_refused_unless_allowed(smtp):
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("email").validate({"smtp_host": "localhost", "smtp_port": smtp.port, "from": "a@acme.example",
                                      "to": "b@example.com"}, allow_private=False)
    assert "private" in caught.value.fields["smtp_host"]
    creds = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "a@acme.example", "to": ["b@example.com"]}
    with pytest.raises(PublishError):
        publisher_for("email").publish(POST, creds, allow_private=False)
    assert smtp.messages == []


def test_email_credentials_are_checked():
    with pytest.raises(InvalidCredentials) as caught:
        publisher_for("email").validate({"smtp_host": "", "smtp_port": 0, "from": "nobody", "to": ["x"],
                                      "password": "p"}, allow_private=True)
    assert set(caught.value.fields) == {"smtp_host", "smtp_port", "from", "to", "username"}


def test_an_unreachable_smtp_server_is_retryable():
    creds = {"smtp_host": "127.0.0.1", "smtp_port": 1, "from": "a@acme.example", "to": ["b@example.com"]}
    with pytest.raises(PublishError) as caught:
        publisher_for("email").publish(POST, creds, allow_private=True)
    assert caught.value.retryable


def test_the_webhook_channel_posts_the_whole_post_signed():
    receiver = WebhookReceiver()
    try:
        creds = publisher_for("webhook").validate({"url": receiver.url("/posts")}, allow_private=True)
        receiver.secret = creds["secret"]
        assert creds["secret"].startswith("whsec_")
        post = OutgoingPost(text=POST.text, title=POST.title, images=(image(),), link=POST.link, key=POST.key,
                            extra=POST.extra)
        result = publisher_for("webhook").publish(post, creds, allow_private=True)
        [call] = receiver.calls
        assert call["verified"]["type"] == "post.published"
        data = call["verified"]["data"]
        assert data["text"] == POST.text and data["title"] == POST.title and data["campaign_id"] == 7
        assert data["images"] == [{"url": "https://cdn.example.com/p0.png", "width": 40, "height": 30}]
        assert call["headers"]["webhook-id"] == POST.key == result.external_id
    finally:
        receiver.close()


def test_a_failing_webhook_receiver_is_retryable():
    receiver = WebhookReceiver(fail_first=1)
    try:
        creds = publisher_for("webhook").validate({"url": receiver.url("/posts")}, allow_private=True)
        with pytest.raises(PublishError) as caught:
            publisher_for("webhook").publish(POST, creds, allow_private=True)
        assert caught.value.retryable
    finally:
        receiver.close()
