"""The product catalogue in the console: the list (current or archived), adding a product, archiving."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional

from catalog.landing import own_hosts
from catalog.products import create_product, get_product, list_products, update_product
from plumbing import database
from plumbing.errors import ApiError
from web.console.blueprint import NAV, bp
from web.console.campaign_messages import explain
from web.console.sharers import NO_CONTROL, one_page
from web.session import staff_required

NAV.append(("console.products", _l("Products")))

PAGE_SIZE = 50
MONEY_HINT = _l("An amount such as 199.00.")


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the product's name.")), Length(max=200),
                                               NO_CONTROL])
    sku = StringField(_l("SKU"), validators=[Optional(), Length(max=64), NO_CONTROL])
    price = StringField(_l("Brand price"), validators=[DataRequired(_l("Enter the brand's price.")), Length(max=20)])
    original_price = StringField(_l("Original price"), validators=[Optional(), Length(max=20)])
    cost = StringField(_l("Cost"), validators=[Optional(), Length(max=20)])
    landing_url = URLField(_l("Product page"), validators=[DataRequired(_l("Enter the product page's address.")),
                                                           Length(max=2000)])
    commission_type = SelectField(_l("Commission"), choices=[
        SelectChoice("", _l("The campaign's rule")), SelectChoice("percent", _l("Percent of the line")),
        SelectChoice("fixed", _l("Fixed amount per line"))], default="")
    commission_value = StringField(_l("Commission value"), validators=[Optional(), Length(max=20)])


def _input(form: ProductForm) -> dict:
    kind = form.commission_type.data
    return {"name": form.name.data, "sku": form.sku.data or None, "price": form.price.data.strip(),
            "original_price": (form.original_price.data or "").strip() or None,
            "cost": (form.cost.data or "").strip() or None, "landing_url": form.landing_url.data.strip(),
            "commission": {"type": kind, "value": (form.commission_value.data or "").strip()} if kind else None}


@bp.get("/products")
@staff_required()
def products():
    """The catalogue, newest first; ``archived=1`` lists archived products. :raise 422: a bad cursor."""
    archived = request.args.get("archived") == "1"
    page = one_page(list_products, database.session(), g.key.workspace_id, archived, request.args.get("cursor"),
                    PAGE_SIZE)
    return render_template("console/products.html", page=page, archived=archived,
                           first_page=request.args.get("cursor") is not None)


@bp.route("/products/new", methods=["GET", "POST"])
@staff_required()
def new_product():
    """Add a product. Bad input (or a commission the margin guard refuses): 422 with the form re-shown."""
    session = database.session()
    form = ProductForm()
    problem = None
    if form.validate_on_submit():
        try:
            product = create_product(session, g.key.workspace_id, _input(form), own_hosts())
        except ApiError as exc:
            session.rollback()
            problem = explain(exc.message)
            for name, message in exc.fields.items():
                target = getattr(form, name.split(".")[0].replace("commission", "commission_value"), None)
                if target is not None:
                    target.errors = [*target.errors, explain(message)]
        else:
            session.commit()
            flash(_("%(name)s was added to the catalogue.", name=product.name))
            return redirect(url_for("console.products"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("console/products_new.html", form=form, problem=problem, money_hint=MONEY_HINT), status


@bp.post("/products/<int(min=1, max=2147483647):product_id>/archive")
@staff_required()
def archive_product(product_id: int):
    """Archive a product (or restore it with ``restore=1``): kept with its sales, offered to no new campaign.

    :raise 404: not a product of this workspace.
    """
    session = database.session()
    product = get_product(session, g.key.workspace_id, product_id)
    restore = request.form.get("restore") == "1"
    update_product(session, product, {"archived": not restore}, own_hosts())
    session.commit()
    flash(_("%(name)s was restored.", name=product.name) if restore else
          _("%(name)s was archived.", name=product.name))
    return redirect(url_for("console.products", archived="" if restore else "1"), 303)
