"""Shops and payment platforms that report orders: one module per platform, one registry.

Each adapter verifies the sender exactly as the platform documents it and turns
a notification into sales and refunds (``integrations.base.OrderEvent``); the
inbound service (``integrations.inbound``) records them through the one
conversion service, so a re-delivered notification changes nothing.
"""
from __future__ import annotations

from integrations.alipay import Alipay
from integrations.base import Adapter
from integrations.shopify import Shopify
from integrations.signed_orders import SignedOrders
from integrations.stripe_checkout import StripeCheckout
from integrations.wechatpay import WeChatPay
from integrations.woocommerce import WooCommerce

REGISTRY: dict[str, Adapter] = {a.name: a for a in (
    Shopify(), StripeCheckout(), WeChatPay(), Alipay(), WooCommerce(), SignedOrders())}
