"""The product catalogue: what a brand sells, at the brand's price.

A product once sold (named by a sale's line) is archived, never deleted. With
its cost known, no commission rule may let the two paid levels together take
more than the margin ceiling of its price (the margin guard): such a rule is
refused with a 422 when it is set, naming the rule.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.landing import check_landing_url
from catalog.models import Campaign, CampaignProduct, Product
from catalog.rules import Rule, margin_ceiling, paid_at_price, parse_rule
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import amount_field, format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from workspaces.models import Workspace

EDITABLE = ("name", "sku", "price", "original_price", "currency", "landing_url", "cost", "commission", "images")


def get_product(session: Session, workspace_id: int, product_id: int) -> Product:
    """:raise ApiError 404: no such product in this workspace."""
    product = session.scalar(select(Product).where(Product.id == product_id, Product.workspace_id == workspace_id))
    if product is None:
        raise ApiError(404, "not_found", "No such product.")
    return product


def product_input(product: Product) -> dict:
    """The product as ProductIn would load it: what an edit is merged into."""
    def money(minor):
        return None if minor is None else format_amount(minor, product.currency)

    return {"name": product.name, "sku": product.sku, "price": money(product.price_minor),
            "original_price": money(product.original_price_minor), "currency": product.currency,
            "landing_url": product.landing_url, "cost": money(product.cost_minor), "images": list(product.images),
            "commission": ({"type": product.commission_type, "value": product.commission_value}
                           if product.commission_type else None)}


def _validate(session: Session, workspace: Workspace, data: dict, own_hosts: set[str],
              product: Product | None = None) -> dict:
    """The product columns ``data`` (a whole ProductIn) stands for.

    :raise ApiError 422: bad money, URL or rule, or a rule the margin guard refuses.
    :raise ApiError 409: the SKU belongs to another product of the workspace.
    """
    currency = data.get("currency") or workspace.currency
    errors: dict[str, str] = {}

    price = amount_field(data, "price", currency, errors)
    original = amount_field(data, "original_price", currency, errors)
    cost = amount_field(data, "cost", currency, errors, allow_zero=True)
    if price and original is not None and original < price:
        errors["original_price"] = "must not be below the price"
    if price and cost is not None and cost > price:
        errors["cost"] = "must not be above the price"
    problem = check_landing_url(data["landing_url"], own_hosts)
    if problem:
        errors["landing_url"] = problem
    rule = None
    if data.get("commission") is not None:
        try:
            rule = parse_rule(data["commission"], currency)
        except ValueError as exc:
            errors["commission.value"] = str(exc)
    sku = (data.get("sku") or "").strip() or None
    if errors:
        raise ApiError(422, "validation_error", "The product has invalid fields.", errors)
    if sku and session.scalar(select(Product.id).where(
            Product.workspace_id == workspace.id, Product.sku == sku,
            Product.id != (product.id if product else 0))) is not None:
        raise ApiError(409, "duplicate_sku", f"Another product already has the SKU {sku!r}.", {"sku": "taken"})
    values = dict(name=data["name"].strip(), sku=sku, currency=currency, price_minor=price,
                  original_price_minor=original, cost_minor=cost, landing_url=data["landing_url"],
                  images=list(data.get("images") or []),
                  commission_type=rule.type if rule else None, commission_value=rule.value if rule else None)
    campaigns = _promoting_campaigns(session, product.id) if product else []
    check_margin(workspace, values, campaigns)
    return values


def _promoting_campaigns(session: Session, product_id: int) -> list[Campaign]:
    return list(session.scalars(select(Campaign).join(CampaignProduct, CampaignProduct.campaign_id == Campaign.id)
                                .where(CampaignProduct.product_id == product_id).order_by(Campaign.id)))


def check_margin(workspace: Workspace, product: dict, campaigns: list[Campaign]) -> None:
    """Refuse a configuration that could pay the two levels more than the product's margin ceiling.

    ``product`` holds Product columns; each campaign adds its rule (where the
    product has none of its own) and its invite bonus. Checked at the brand's
    price: a line sold below it is capped at sale time as well.

    :raise ApiError 422 margin_exceeded: naming the offending rule in ``fields``.
    """
    price, cost, currency = product["price_minor"], product["cost_minor"], product["currency"]
    if cost is None or not price:
        return
    ceiling = margin_ceiling(price, cost, 1, workspace.margin_ceiling_percent)
    own = Rule(product["commission_type"], product["commission_value"]) if product["commission_type"] else None
    checks: list[tuple[str, Rule, Rule | None]] = []
    if own is not None:
        checks.append(("commission", own, None))
    for c in campaigns:
        bonus = Rule(c.invite_type, c.invite_value) if c.invite_type else None
        rule = own or Rule(c.commission_type, c.commission_value)
        checks.append((f"campaign {c.id}" + (" commission" if own is None else " invite_bonus"), rule, bonus))
    for name, rule, bonus in checks:
        paid = paid_at_price(price, currency, rule, bonus)
        if paid > ceiling:
            raise ApiError(422, "margin_exceeded",
                           f"The {name} rule would pay {format_amount(paid, currency)} on a sale at the brand's "
                           f"price, above the margin ceiling of {format_amount(ceiling, currency)}.",
                           {name.replace(" ", "."): f"pays {format_amount(paid, currency)} of at most "
                                                    f"{format_amount(ceiling, currency)}"})


def create_product(session: Session, workspace_id: int, data: dict, own_hosts: set[str]) -> Product:
    """Store a product shaped by ProductIn. :raise ApiError 409, 422: see :func:`_validate`."""
    workspace = session.get(Workspace, workspace_id)
    product = Product(workspace_id=workspace_id, **_validate(session, workspace, data, own_hosts))
    session.add(product)
    session.flush()
    return product


def update_product(session: Session, product: Product, changes: dict, own_hosts: set[str]) -> None:
    """Apply ``changes`` (shaped by ProductPatch); ``archived`` archives or restores.

    :raise ApiError 422: invalid fields, or a new currency once sold; nothing changes.
    """
    changes = dict(changes)
    archived = changes.pop("archived", None)
    workspace = session.get(Workspace, product.workspace_id)
    values = _validate(session, workspace, {**product_input(product), **changes}, own_hosts, product)
    if values["currency"] != product.currency and product.sold_at is not None:
        raise ApiError(422, "validation_error", "The product has invalid fields.",
                       {"currency": "cannot change once the product has sold"})
    for name, value in values.items():
        setattr(product, name, value)
    if archived is not None:
        product.archived_at = (product.archived_at or utcnow()) if archived else None
    session.flush()


def delete_product(session: Session, product: Product) -> None:
    """Delete a product never sold and promoted by no campaign.

    :raise ApiError 409 product_sold: it has sold (archive it instead), or a campaign promotes it.
    """
    if product.sold_at is not None:
        raise ApiError(409, "product_sold", "The product has sold: archive it (PATCH archived=true) instead.")
    if session.scalar(select(CampaignProduct.campaign_id).where(CampaignProduct.product_id == product.id).limit(1)):
        raise ApiError(409, "product_in_use", "A campaign promotes this product: archive it instead.")
    session.delete(product)
    session.flush()


def list_products(session: Session, workspace_id: int, archived: bool | None = False, cursor: str | None = None,
                  limit: int = DEFAULT_LIMIT) -> dict:
    """One page of the catalogue, newest first; ``archived`` None lists both."""
    query = select(Product).where(Product.workspace_id == workspace_id)
    if archived is not None:
        query = query.where(Product.archived_at.is_not(None) if archived else Product.archived_at.is_(None))
    rows, next_cursor = newest_first(session, query, Product.created_at, Product.id, cursor, limit)
    return {"items": [product_json(p) for p in rows], "next_cursor": next_cursor}


def product_json(product: Product) -> dict:
    return {**product_input(product), "id": product.id, "archived": product.archived_at is not None,
            "archived_at": product.archived_at.isoformat() if product.archived_at else None,
            "created_at": product.created_at.isoformat() if product.created_at else None}


def campaign_products(session: Session, campaign_id: int) -> list[Product]:
    """The products a campaign promotes, hero first (none for a single-product campaign of old)."""
    return list(session.scalars(select(Product).join(CampaignProduct, CampaignProduct.product_id == Product.id)
                                .where(CampaignProduct.campaign_id == campaign_id)
                                .order_by(CampaignProduct.position)))


def resolve_products(session: Session, workspace_id: int, product_ids: list[int], currency: str | None
                     ) -> tuple[list[Product], str | None]:
    """The products ``product_ids`` name, in order, or why they cannot be promoted."""
    if len(set(product_ids)) != len(product_ids):
        return [], "each product may appear once"
    found = {p.id: p for p in session.scalars(select(Product).where(
        Product.workspace_id == workspace_id, Product.id.in_(product_ids)))}
    missing = [i for i in product_ids if i not in found]
    if missing:
        return [], f"no such product: {', '.join(map(str, missing))}"
    products = [found[i] for i in product_ids]
    archived = [p.id for p in products if p.archived_at is not None]
    if archived:
        return [], f"archived: {', '.join(map(str, archived))}"
    if currency and any(p.currency != currency for p in products):
        return [], f"every product must sell in {currency}"
    return products, None


def set_campaign_products(session: Session, campaign: Campaign, products: list[Product]) -> None:
    """Make ``products`` (hero first) what ``campaign`` promotes.

    :raise ApiError 422 margin_exceeded: the campaign's rules overrun a product's margin.
    """
    workspace = session.get(Workspace, campaign.workspace_id)
    for p in products:
        check_margin(workspace, {c: getattr(p, c) for c in ("price_minor", "cost_minor", "currency",
                                                             "commission_type", "commission_value")}, [campaign])
    for row in session.scalars(select(CampaignProduct).where(CampaignProduct.campaign_id == campaign.id)):
        session.delete(row)
    session.flush()
    for position, p in enumerate(products):
        session.add(CampaignProduct(campaign_id=campaign.id, product_id=p.id, position=position))
    session.flush()
