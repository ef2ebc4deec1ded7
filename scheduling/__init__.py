"""Scheduling and the sellers' library: publications, time slots, publish jobs, grabs, feeds.

A publication is one campaign going live on one channel at one time. RQ's
scheduler runs :func:`scheduling.jobs.publish` at ``publish_at``; the job
claims the row with a conditional UPDATE, so it happens exactly once however
many workers race or die. Once published, every seller's library shows the
post in their own voice (rendered lazily, cached by content version).
"""
