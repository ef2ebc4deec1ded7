"""The programme's settings in the console (owners): holding period, minimum payout, binding, enrollment."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from plumbing import database
from plumbing.errors import ApiError
from referrals.program import program_json, update_program
from web.console.blueprint import NAV, bp
from web.console.campaign_messages import explain
from web.session import staff_required
from workspaces.models import Workspace

NAV.append(("console.programme", _l("Programme")))


class ProgrammeForm(FlaskForm):
    holding_days = IntegerField(_l("Holding period (days)"), validators=[InputRequired(), NumberRange(0, 365)])
    min_payout = StringField(_l("Minimum payout"), validators=[InputRequired(), Length(max=20)])
    binding_mode = SelectField(_l("Customer binding"), choices=[
        SelectChoice("none", _l("None: every sale needs a click or code")),
        SelectChoice("days", _l("For a number of days after each order")),
        SelectChoice("permanent", _l("Permanent"))])
    binding_days = IntegerField(_l("Binding days"), validators=[InputRequired(), NumberRange(1, 3650)])
    takeover = BooleanField(_l("A newer sharer's link takes a bound customer over"))
    enrollment = SelectField(_l("Who may join"), choices=[
        SelectChoice("invite", _l("By invitation only")), SelectChoice("approval", _l("By approval")),
        SelectChoice("open", _l("Open: anyone with the join page"))])


@bp.route("/programme", methods=["GET", "POST"])
@staff_required("owner")
def programme():
    """Show and change the programme's settings; bad input: 422 with the form re-shown."""
    session = database.session()
    workspace = session.get(Workspace, g.key.workspace_id)
    current = program_json(workspace)
    form = ProgrammeForm(data={"holding_days": current["holding_days"], "min_payout": current["min_payout"],
                               "binding_mode": workspace.binding_mode, "binding_days": workspace.binding_days,
                               "takeover": workspace.binding_takeover, "enrollment": workspace.enrollment})
    if form.validate_on_submit():
        try:
            update_program(session, workspace, {
                "holding_days": form.holding_days.data, "min_payout": form.min_payout.data.strip(),
                "binding": {"mode": form.binding_mode.data, "days": form.binding_days.data,
                            "takeover": form.takeover.data},
                "enrollment": form.enrollment.data})
        except ApiError as exc:
            session.rollback()
            for name, message in exc.fields.items():  # each next to its field, in the page's language
                target = form.binding_days if name.startswith("binding") else form.min_payout
                target.errors = [*target.errors, explain(message)]
        else:
            session.commit()
            flash(_("The programme's settings were saved."))
            return redirect(url_for("console.programme"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/programme.html", form=form, workspace=workspace), status
