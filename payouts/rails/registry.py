"""The payout rails behind one interface (``base.Rail``) and one registry.

A rail sends one transfer and answers what became of it; it never touches the
database. ``send`` and ``query`` are both safe to repeat: every call carries the
withdrawal's ``out_no`` (WeChat Pay's out_batch_no / out_detail_no, Alipay's
out_biz_no, PayPal's sender_batch_id), and the platform pays one request id once.
"""
from __future__ import annotations

from payouts.rails.alipay import Alipay
from payouts.rails.bank import BankCsv
from payouts.rails.base import Rail
from payouts.rails.paypal import PayPal
from payouts.rails.wechatpay import WeChatPay

RAILS: dict[str, Rail] = {rail.name: rail for rail in (WeChatPay(), Alipay(), PayPal(), BankCsv())}
