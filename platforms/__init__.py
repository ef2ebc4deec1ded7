"""Border code for third-party platforms (SMS providers, WeChat), built from their published docs.

Nothing here touches the database or Flask: each module takes its settings and
an HTTP client (from ``plumbing.guarded_http``) and speaks one platform's API.
"""
