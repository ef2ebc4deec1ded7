"""The seller's customers (客户) and grade: who they brought, how often those buy again, and what the next grade asks."""
from __future__ import annotations

from datetime import timedelta

from flask import g, render_template

from plumbing import database
from plumbing.database import utcnow
from plumbing.money import format_amount
from referrals.customers import list_customers
from referrals.grades import grade_json, list_grades, own_figures, sharer_grade
from web.seller.blueprint import bp
from web.seller.inputs import paged
from web.session import seller_required

PAGE_SIZE = 20


def _grade_view(session, me, currency: str) -> dict:
    """The seller's grade, the next one up with how far they are from it, and their grade changes named."""
    grades = list_grades(session, me.workspace_id)
    names = {grade.id: grade.name for grade in grades}
    mine = sharer_grade(session, me, currency)
    rank = mine["grade"]["rank"] if mine["grade"] else None
    above = [grade for grade in grades if rank is None or grade.rank > rank]
    next_up = None
    if above:
        grade = above[0]
        net, orders = own_figures(session, me.id, currency, utcnow() - timedelta(days=grade.period_days))
        next_up = {**grade_json(grade, currency), "net_sales": format_amount(net, currency), "orders": orders,
                   "sales_left": format_amount(max(0, grade.min_net_sales_minor - net), currency),
                   "orders_left": max(0, grade.min_orders - orders)}
    history = [{**change, "from": names.get(change["from_grade_id"]), "to": names.get(change["to_grade_id"])}
               for change in mine["history"]]
    return {"grade": mine["grade"], "next": next_up, "history": history, "any": bool(grades)}


@bp.get("/customers")
@seller_required
def customers():
    """The seller's grade and their customers (masked contact), newest first, a page at a time (``?cursor=``).

    :raise 422: a cursor this list did not give.
    """
    session = database.session()
    me = g.sharer
    first_page, page = paged(lambda at: list_customers(session, me.id, at, PAGE_SIZE))
    return render_template("seller/customers.html", page=page, first_page=first_page,
                           grade=_grade_view(session, me, g.workspace.currency), currency=g.workspace.currency)
