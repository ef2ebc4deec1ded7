"""Baidu Tieba 百度贴吧: a thread (主题帖) in one bar, long-form.

Tieba's user agreement lets each bar's moderators (吧务) delete advertising, and bars' own rules
(吧规) commonly delete threads with links other than Baidu's, or with shop names or QR codes in
their pictures, and some require 【广告】 in the title. So the kit carries no link in the text: the
seller's QR poster comes last, and the code word lets a buyer ask for it in a reply. Baidu
publishes no length or image figures: every figure here is from secondary sources.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="tieba",
    name="Baidu Tieba",
    name_zh="百度贴吧",
    text_limit=10_000,
    title_limit=30,
    hashtag_style="none",
    link_policy="qr_only",
    max_images=10,
    image_sizes=(ImageSize("feed", 1080, 1080), ImageSize("poster", 1080, 1440)),
    timeline_width=343,
    qr_reduces_reach=True,
    personal_voice=True,
    long_form=True,
    publish_kind="kit",
    tone=("Post only in a bar about the product and follow its rules (吧规); write as a member sharing "
          "first-hand experience. Many bars delete links, shop names and QR codes, or want 【广告】 in the title."),
    tone_zh="只在相关的吧发帖并遵守吧规；以吧友身份分享真实体验。很多吧会删除带链接、店名或二维码的帖子，或要求标题注明【广告】。",
    unconfirmed=("text_limit", "title_limit", "max_images", "image_sizes", "timeline_width", "qr_reduces_reach"),
)

CHANNEL = Channel(SPEC)
