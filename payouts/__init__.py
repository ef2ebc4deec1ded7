"""Money out: payout methods, withdrawal requests and the payout rails (WeChat Pay, Alipay, bank CSV)."""
