"""Every model, imported once so Base.metadata knows all tables (Alembic, tests)."""
from accounts.models import SellerPass, User, WebSession  # noqa: F401
from credentials.models import ChannelCredential  # noqa: F401
from publishing.models import Campaign  # noqa: F401
from referrals.models import (Click, ClickRollup, Commission, Conversion, LedgerEntry, Link, Payout,  # noqa: F401
                              LinkClickTotal, Sharer, VisitorHour)
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: F401
from workspaces.models import ApiKey, Workspace  # noqa: F401
from scheduling.models import FeedToken, Grab, Publication, SellerNotice, TimeSlot  # noqa: F401
