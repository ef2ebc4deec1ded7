"""/api/v1/products: the brand's catalogue. Routes validate, call one service function, answer."""
from __future__ import annotations

from catalog.landing import own_hosts
from catalog.products import create_product, delete_product, get_product, list_products, product_json, update_product
from catalog.schemas import ProductIn, ProductList, ProductListQuery, ProductOut, ProductPatch
from plumbing import database
from plumbing.api import Blueprint
from workspaces.auth import current, requires

bp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="The product catalogue")


@bp.post("")
@requires("owner", "marketer")
@bp.arguments(ProductIn)
@bp.response(201, ProductOut)
def create(data: dict):
    """Add a product to the catalogue.

    :raise 409: the SKU is taken. :raise 422: invalid fields, or a commission the margin guard refuses.
    """
    session = database.session()
    product = create_product(session, current().workspace_id, data, own_hosts())
    session.commit()
    return product_json(product)


@bp.get("")
@requires("owner", "marketer")
@bp.arguments(ProductListQuery, location="query")
@bp.response(200, ProductList)
def index(query: dict):
    """The catalogue, newest first, a page at a time; ``?archived=true`` lists the archived ones."""
    return list_products(database.session(), current().workspace_id, query["archived"], query["cursor"],
                         query["limit"])


@bp.get("/<int(min=1, max=2147483647):product_id>")
@requires("owner", "marketer")
@bp.response(200, ProductOut)
def read(product_id: int):
    """One product. :raise 404: not in this workspace."""
    return product_json(get_product(database.session(), current().workspace_id, product_id))


@bp.patch("/<int(min=1, max=2147483647):product_id>")
@requires("owner", "marketer")
@bp.arguments(ProductPatch(partial=True))
@bp.response(200, ProductOut)
def update(changes: dict, product_id: int):
    """Edit a product, or archive it (``{"archived": true}``).

    :raise 404: not in this workspace. :raise 409: SKU taken. :raise 422: invalid fields; nothing changes.
    """
    session = database.session()
    product = get_product(session, current().workspace_id, product_id)
    update_product(session, product, changes, own_hosts())
    session.commit()
    return product_json(product)


@bp.delete("/<int(min=1, max=2147483647):product_id>")
@requires("owner", "marketer")
@bp.response(204)
def delete(product_id: int):
    """Delete a product that never sold. :raise 409: it sold or is promoted: archive it instead."""
    session = database.session()
    delete_product(session, get_product(session, current().workspace_id, product_id))
    session.commit()
    return ""
