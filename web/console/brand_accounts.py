"""The console's Accounts page: the brand's own accounts, connected once, their state, reconnect, disconnect."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from brand_accounts.tokens import accounts, choose, disconnect, start_connect
from plumbing import database
from plumbing.errors import ApiError
from publishing.approvals import approval_required
from web.console.blueprint import NAV, bp
from web.console.forms import channel_label
from web.session import staff_required

NAV.append(("console.accounts_page", _l("Accounts")))

# What each platform asks of the brand before posting works; shown beside its account.
RULES = {
    "x": _l("Posts go out with up to 4 images; text is measured as X counts it (CJK characters count 2)."),
    "weibo": _l("Weibo takes at most 140 characters, one picture and no #topics#, and only links on the app's "
                "secure domain (%(domain)s). Weibo gives no refresh token: reconnect when the connection ends."),
    "facebook": _l("Posts go out on the Facebook Page the person connecting can post on (with several, you "
                   "choose one here), with up to 10 photos described for screen readers. Reconnect if Facebook "
                   "stops accepting the connection."),
    "instagram": _l("The brand's Instagram professional account must be linked to its Facebook Page; connect with "
                    "a person who can post on that Page. Posts need at least one image (several make a carousel, "
                    "up to 10), at most 2,200 characters and 30 hashtags, and 50 posts a day. Instagram downloads "
                    "the images from Sharecast, so Sharecast must be reachable from the internet."),
    "linkedin": _l("Posts go out as the LinkedIn page the connecting member administers (with several, you "
                   "choose one here), with up to 9 images described for screen readers."),
    "mastodon": _l("The account may be on any Mastodon instance: enter its address and Sharecast registers "
                   "itself there the first time. Posts go out with up to 4 images, each described for screen "
                   "readers; at most 500 characters."),
}


@bp.get("/accounts")
@staff_required()
def accounts_page():
    """Each channel connected by OAuth: who is connected and until when."""
    connected, declined = request.args.get("connected"), request.args.get("declined")
    refused, expired = request.args.get("refused"), request.args.get("expired")
    if connected:
        flash(_("The %(channel)s account is connected.", channel=channel_label(connected)))
    if declined:
        flash(_("The %(channel)s account was not connected.", channel=channel_label(declined)), "error")
    if refused:
        flash(_("%(channel)s did not accept the connection, so the account was not connected. Try again; if it "
                "fails again, check on the platform that the person connecting manages the brand's page.",
                channel=channel_label(refused)), "error")
    if expired:
        flash(_("This connect link has expired or was already used, so the %(channel)s account was not connected. "
                "Connect it again from this page.", channel=channel_label(expired)), "error")
    if connected or declined or refused or expired:
        return redirect(url_for("console.accounts_page"), 303)
    domain = current_app.config.get("WEIBO_SECURE_DOMAIN") or request.host.split(":")[0]
    where = {"domain": domain, "instance": urlsplit(current_app.config["MASTODON_API_BASE"]).hostname}
    items = [{**a, "name": channel_label(a["channel"]),
              "rule": RULES[a["channel"]] % where if a["channel"] in RULES else None}
             for a in accounts(database.session(), g.key.workspace_id)]
    return render_template("console/accounts.html", items=items,
                           approval_required=approval_required(database.session(), g.key.workspace_id))


@bp.route("/accounts/<channel>/connect", methods=["GET", "POST"])
@staff_required("owner")
def connect_account(channel: str):
    """Send the browser to the platform to approve; it comes back here. :raise 404: unknown channel.

    A link, not a form: the page's CSP (``form-action 'self'``) stops a form's redirect to another
    site, and starting a connect changes nothing until the owner approves at the platform. Mastodon's
    instance is typed in a form posted here (CSRF-checked) and answered with a page linking on."""
    # The instance comes only from the page's form (a POST with its CSRF token): naming one makes Sharecast
    # call that server and send the owner there, which another site's link must not be able to do.
    instance = request.form.get("instance") if channel == "mastodon" and request.method == "POST" else None
    if instance is not None:
        # Registering on the instance writes in a session of its own: end this request's transaction first
        # (on SQLite every transaction holds the one write lock, and the registration would wait it out).
        database.session().rollback()
    try:
        url = start_connect(current_app, g.key.workspace_id, channel, request.remote_addr,
                            return_to=url_for("console.accounts_page"), instance=instance)
    except ApiError as exc:
        if exc.status == 404:
            raise
        flash(_connect_refusal(exc), "error")
        return redirect(url_for("console.accounts_page"), 303)
    if instance is not None:
        # Typed in a form: the page's CSP (form-action 'self') would stop the form's redirect to the
        # instance, so the owner follows a link to it instead.
        return render_template("console/accounts_continue.html", url=url, host=urlsplit(url).netloc)
    return redirect(url, 303)


def _connect_refusal(exc: ApiError) -> str:
    """Why a connect could not start, in the console's language."""
    if exc.code == "instance_required":
        return _("Enter the Mastodon instance the brand's account is on, e.g. mastodon.social.")
    if exc.code == "invalid_instance" and exc.fields.get("instance") == "refused":
        return _("That server could not be reached or would not register Sharecast: check that it is a "
                 "Mastodon instance and try again.")
    if exc.code == "invalid_instance":
        return _("That is not an instance's address: enter it as mastodon.social (https, no path).")
    return _("This account cannot be connected: Sharecast has no app registered on the platform yet.")


@bp.post("/accounts/<channel>/choose")
@staff_required("owner")
def choose_account_page(channel: str):
    """Keep the Page or organisation the owner chose for an account connected with several."""
    session = database.session()
    try:
        choose(current_app, session, g.key.workspace_id, channel, request.form.get("id", ""))
    except ApiError as exc:
        session.rollback()
        if exc.status == 404:
            flash(_("No account was connected."), "error")
        elif exc.status == 409:
            flash(_("This account has no page waiting to be chosen: connect it again to post as another page."),
                  "error")
        else:
            flash(_("Choose one of the listed pages."), "error")
        return redirect(url_for("console.accounts_page"), 303)
    session.commit()
    flash(_("The %(channel)s account now posts as the page you chose.", channel=channel_label(channel)))
    return redirect(url_for("console.accounts_page"), 303)


@bp.post("/accounts/<channel>/disconnect")
@staff_required("owner")
def disconnect_account(channel: str):
    """Forget the account's tokens. :raise 404: none connected."""
    session = database.session()
    try:
        disconnect(session, g.key.workspace_id, channel)
    except ApiError:
        session.rollback()
        flash(_("No account was connected."), "error")
        return redirect(url_for("console.accounts_page"), 303)
    session.commit()
    flash(_("The %(channel)s account is disconnected.", channel=channel_label(channel)))
    return redirect(url_for("console.accounts_page"), 303)
