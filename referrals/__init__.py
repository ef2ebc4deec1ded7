"""Links, the /r/<code> hot path, clicks, conversions, attribution, commissions."""
