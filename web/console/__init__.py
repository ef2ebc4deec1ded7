"""The marketer console: campaigns, previews, schedule, dashboard, sharers, commissions, payouts."""
