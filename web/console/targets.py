"""Individual targets in the console: the list, each target's progress (who reached it, and once final,
each bonus and its state), and setting one up: name, measure, threshold, bonus, window and who it is for.

The form checks what a person can get wrong while typing; the target's rules (a start in the future,
a positive threshold and bonus, sharers and grades of this workspace) stay in
``teams.targets.create_target``, whose errors the page shows next to the fields. Bad input: 422 with
the form again, nothing stored.
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateTimeLocalField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.models import Campaign
from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from referrals.models import Grade
from teams.targets import create_target, get_target, list_targets, target_json
from web.console.blueprint import NAV, bp
from web.console.campaign_fields import aware
from web.console.forms import LOCAL_TIME
from web.console.sharers import NO_CONTROL
from web.session import staff_required

NAV.append(("console.targets", _l("Targets")))
MEASURE_CHOICES = [SelectChoice("orders", _l("Orders")), SelectChoice("net_sales", _l("Net sales"))]


class TargetForm(FlaskForm):
    name = StringField(_l("Target name"), validators=[DataRequired(_l("Enter the target's name.")),
                                                     Length(max=200), NO_CONTROL])
    measure = SelectField(_l("Measure"), choices=MEASURE_CHOICES)
    threshold = StringField(_l("Threshold"), validators=[DataRequired(_l("Enter the threshold.")), Length(max=20)],
                            render_kw={"inputmode": "decimal", "autocomplete": "off"})
    bonus = StringField(_l("Bonus"), validators=[DataRequired(_l("Enter the bonus.")), Length(max=20)],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_TIME,
                                   validators=[InputRequired(_l("Enter when the target starts."))])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_TIME,
                                 validators=[InputRequired(_l("Enter when the target ends."))])
    campaign_id = SelectField(_l("Sales of"), coerce=int, validators=[Optional()])
    grade_ids = SelectMultipleField(_l("Only these grades"), coerce=int, widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput(), validators=[Optional()])


@bp.route("/targets/new", methods=["GET", "POST"])
@staff_required()
def new_target():
    """Set up a target. Bad input (a past start, a zero bonus, "2.5" orders): 422 with the form again, nothing stored."""
    session, workspace_id = database.session(), g.key.workspace_id
    form = TargetForm()
    form.campaign_id.choices = [SelectChoice(0, _("Every campaign"))] + [
        SelectChoice(c.id, c.title) for c in session.scalars(
            select(Campaign).where(Campaign.workspace_id == workspace_id).order_by(Campaign.id.desc()).limit(200))]
    form.grade_ids.choices = [SelectChoice(gr.id, gr.name) for gr in session.scalars(
        select(Grade).where(Grade.workspace_id == workspace_id).order_by(Grade.rank))]
    problem = None
    if form.validate_on_submit():
        data = {"name": form.name.data, "measure": form.measure.data, "threshold": form.threshold.data.strip(),
                "bonus": form.bonus.data.strip(), "starts_at": aware(form.starts_at.data, g.timezone),
                "ends_at": aware(form.ends_at.data, g.timezone), "campaign_id": form.campaign_id.data or None,
                "grade_ids": list(form.grade_ids.data or []) or None, "sharer_ids": None}
        try:
            target = create_target(session, workspace_id, data, utcnow())
        except ApiError as exc:
            session.rollback()
            problem = exc.message
            for name, message in exc.fields.items():
                field = getattr(form, name, None)
                if field is not None:
                    field.errors = [*field.errors, message]
        else:
            session.commit()
            flash(_("%(name)s is set up; its bonus is fixed.", name=target.name))
            return redirect(url_for("console.target", target_id=target.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/targets_new.html", form=form, problem=problem), status


@bp.get("/targets")
@staff_required()
def targets():
    """The workspace's targets, newest first."""
    return render_template("console/targets.html", targets=list_targets(database.session(), g.key.workspace_id,
                                                                        utcnow()))


@bp.get("/targets/<int(min=1, max=2147483647):target_id>")
@staff_required()
def target(target_id: int):
    """A target's progress: each sharer's own figure, whether they reached it, and their bonus. :raise 404: not ours."""
    session = database.session()
    found = get_target(session, g.key.workspace_id, target_id)
    return render_template("console/target.html", target=target_json(session, found, utcnow()))
