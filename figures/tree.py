"""Who brought whom: a sharer's invitees, theirs, and so on, each with their own sales."""
from __future__ import annotations

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from plumbing.money import format_amount
from referrals.models import Conversion, Sharer
from referrals.sharers import get_sharer
from referrals.stats import not_rejected_in_review
from workspaces.models import Workspace

MAX_NODES = 5000


def invite_tree(session: Session, workspace_id: int, root_id: int, depth: int) -> dict:
    """The tree under ``root_id`` down to ``depth`` levels (a recursive query; one statement), each node
    with its own attributed orders and net sales (not self-referrals, not rejected in risk review, in the
    workspace's currency).

    ``pays_root``: level 1 nodes' sales may pay the root an invite bonus; nothing deeper ever pays
    the root (two paid levels at most). At most MAX_NODES nodes (``truncated`` says when cut).
    :raise ApiError 404: no such sharer.
    """
    root = get_sharer(session, workspace_id, root_id)
    currency = session.get(Workspace, workspace_id).currency
    tree = select(Sharer.id, Sharer.invited_by, literal(0).label("depth")).where(
        Sharer.id == root.id).cte("tree", recursive=True)
    tree = tree.union_all(select(Sharer.id, Sharer.invited_by, (tree.c.depth + 1).label("depth"))
                          .join(tree, Sharer.invited_by == tree.c.id)
                          .where(Sharer.workspace_id == workspace_id, tree.c.depth < depth))
    sales = (select(Conversion.sharer_id, func.count().label("orders"),
                    func.sum(Conversion.amount_minor - Conversion.refunded_minor).label("net"))
             .where(Conversion.workspace_id == workspace_id, Conversion.type == "sale",
                    Conversion.sharer_id.in_(select(tree.c.id)), Conversion.attribution.not_like("none:%"),
                    Conversion.self_referral.is_(False), Conversion.currency == currency,
                    not_rejected_in_review())
             .group_by(Conversion.sharer_id).subquery())
    rows = session.execute(
        select(tree.c.id, tree.c.invited_by, tree.c.depth, Sharer.name, Sharer.source,
               func.coalesce(sales.c.orders, 0), func.coalesce(sales.c.net, 0))
        .join(Sharer, Sharer.id == tree.c.id).outerjoin(sales, sales.c.sharer_id == tree.c.id)
        .order_by(tree.c.depth, tree.c.id).limit(MAX_NODES + 1)).all()
    truncated = len(rows) > MAX_NODES
    nodes: dict[int, dict] = {}
    for sid, parent, level, name, source, orders, net in rows[:MAX_NODES]:
        nodes[sid] = {"sharer_id": sid, "name": name, "source": source, "level": int(level),
                      "pays_root": int(level) == 1, "orders": int(orders),
                      "net_sales": format_amount(int(net), currency), "children": []}
        if sid != root.id and parent in nodes:
            nodes[parent]["children"].append(nodes[sid])
    return {"currency": currency, "depth": depth, "truncated": truncated,
            "count": len(nodes) - 1, "root": nodes[root.id]}
