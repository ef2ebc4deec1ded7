"""Team contests in the console: the list, each contest's board (live, or frozen once final), and
setting one up: name, measure, window, teams and fixed prizes.

The form checks what a person can get wrong while typing; the contest's rules (a start in the
future, two teams or more, one prize per place) stay in ``teams.contests.create_contest``, whose
errors the page shows next to the fields. Bad input: 422 with the form again, nothing stored.
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

from plumbing import database
from plumbing.database import utcnow
from plumbing.errors import ApiError
from teams.contests import contest_json, create_contest, get_contest, list_contests
from teams.models import Team
from web.console.blueprint import bp
from web.console.campaign_fields import aware
from web.console.campaign_messages import explain
from web.console.forms import LOCAL_TIME
from web.console.sharers import NO_CONTROL
from web.session import staff_required

PLACES = (1, 2, 3)  # prizes for the first three places; a place left empty gets none
MEASURE_CHOICES = [SelectChoice("net_sales", _l("Net sales")), SelectChoice("orders", _l("Orders")),
                   SelectChoice("new_customers", _l("New customers who bought"))]
SPLIT_CHOICES = [SelectChoice("proportional", _l("By each member's own net sales")),
                 SelectChoice("equal", _l("Equally among the members"))]


class ContestForm(FlaskForm):
    name = StringField(_l("Contest name"), validators=[DataRequired(_l("Enter the contest's name.")),
                                                       Length(max=200), NO_CONTROL])
    measure = SelectField(_l("Measure"), choices=MEASURE_CHOICES)
    split = SelectField(_l("Cash prize split"), choices=SPLIT_CHOICES)
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_TIME,
                                   validators=[InputRequired(_l("Enter when the contest starts."))])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_TIME,
                                 validators=[InputRequired(_l("Enter when the contest ends."))])
    team_ids = SelectMultipleField(_l("Teams"), coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(),
                                   validators=[DataRequired(_l("Choose two teams or more."))])
    prize_1_amount = StringField(_l("First place: cash"), validators=[Optional(), Length(max=20)],
                                 render_kw={"inputmode": "decimal", "autocomplete": "off"})
    prize_1_goods = StringField(_l("First place: goods"), validators=[Optional(), Length(max=200), NO_CONTROL])
    prize_2_amount = StringField(_l("Second place: cash"), validators=[Optional(), Length(max=20)],
                                 render_kw={"inputmode": "decimal", "autocomplete": "off"})
    prize_2_goods = StringField(_l("Second place: goods"), validators=[Optional(), Length(max=200), NO_CONTROL])
    prize_3_amount = StringField(_l("Third place: cash"), validators=[Optional(), Length(max=20)],
                                 render_kw={"inputmode": "decimal", "autocomplete": "off"})
    prize_3_goods = StringField(_l("Third place: goods"), validators=[Optional(), Length(max=200), NO_CONTROL])


def contest_input(form: ContestForm, zone: str) -> dict:
    """What ``create_contest`` takes, from the form: times typed in the workspace's zone, the places
    that have a prize (cash, goods or both)."""
    prizes = []
    for place in PLACES:
        amount = (getattr(form, f"prize_{place}_amount").data or "").strip()
        goods = (getattr(form, f"prize_{place}_goods").data or "").strip()
        if amount or goods:
            prizes.append({"place": place, "amount": amount or None, "goods": goods or None})
    return {"name": form.name.data, "measure": form.measure.data, "split": form.split.data,
            "starts_at": aware(form.starts_at.data, zone), "ends_at": aware(form.ends_at.data, zone),
            "team_ids": list(form.team_ids.data), "prizes": prizes}


def _show_errors(form: ContestForm, fields: dict) -> None:
    """The service's field errors next to the form's fields (``prizes.0.amount`` → the first prize's cash)."""
    places = [p for p in PLACES if (getattr(form, f"prize_{p}_amount").data or getattr(form, f"prize_{p}_goods").data)]
    for name, message in fields.items():
        parts = name.split(".")
        target = getattr(form, parts[0], None)
        if parts[0] == "prizes":
            index = int(parts[1]) if len(parts) > 1 and parts[1].isascii() and parts[1].isdigit() else 0
            place = places[index] if index < len(places) else PLACES[0]
            target = getattr(form, f"prize_{place}_{'goods' if parts[-1] == 'goods' else 'amount'}")
        if target is not None:
            target.errors = [*target.errors, explain(message)]


@bp.route("/contests/new", methods=["GET", "POST"])
@staff_required()
def new_contest():
    """Set up a contest. Bad input (a past start, one team, no prize): 422 with the form again, nothing stored."""
    session = database.session()
    form = ContestForm()
    form.team_ids.choices = [SelectChoice(t.id, t.name) for t in session.scalars(
        select(Team).where(Team.workspace_id == g.key.workspace_id).order_by(Team.name))]
    problem = None
    if form.validate_on_submit():
        data = contest_input(form, g.timezone)
        try:
            if not data["prizes"]:
                raise ApiError(422, "validation_error", _("Give at least one place a prize."),
                               {"prize_1_amount": _("A cash amount or goods for first place.")})
            contest = create_contest(session, g.key.workspace_id, data, utcnow())
        except ApiError as exc:
            session.rollback()
            problem = explain(exc.message)
            _show_errors(form, exc.fields)
        else:
            session.commit()
            flash(_("%(name)s is set up; its prizes are fixed.", name=contest.name))
            return redirect(url_for("console.contest", contest_id=contest.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/contests_new.html", form=form, problem=problem), status


@bp.get("/contests")
@staff_required()
def contests():
    """The workspace's team contests, newest first."""
    return render_template("console/contests.html",
                           contests=list_contests(database.session(), g.key.workspace_id, utcnow()))


@bp.get("/contests/<int(min=1, max=2147483647):contest_id>")
@staff_required()
def contest(contest_id: int):
    """A contest's board: teams ranked, each member's own figures and prize share. :raise 404: not ours."""
    session = database.session()
    found = get_contest(session, g.key.workspace_id, contest_id)
    return render_template("console/contest.html", contest=contest_json(session, found, utcnow()))
