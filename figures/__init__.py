"""The figures that decide a brand's health: repurchase rate, retention by monthly cohort of first
purchase, customer lifetime value so far, and who brought whom (the invite tree with each node's sales).

All computed in SQL, a fixed handful of statements per answer whatever the data, the same on
SQLite and PostgreSQL. A customer is the buyer a sale enrolled (``conversions.customer_sharer_id``:
the same person across orders, by external id, email or phone); unattributed sales carry no buyer and
are not counted.
"""
