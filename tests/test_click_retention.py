"""Raw clicks: monthly partitions on PostgreSQL, kept 13 months at least, figures untouched."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, select, text

from plumbing import database
from referrals import retention
from referrals.clickwriter import write_clicks
from referrals.jobs import maintain_clicks
from referrals.models import Click, VisitorHour

NOW = datetime.now(timezone.utc)


def click(link: dict, campaign: dict, at: datetime, n: int) -> dict:
    ms = int(at.timestamp() * 1000)
    return {"id": f"{ms:011x}{n:010x}", "ts": str(ms), "ws": str(campaign["workspace"]), "link": str(link["id"]),
            "campaign": str(campaign["id"]), "sharer": str(link["sharer_id"]), "channel": "weibo",
            "visitor": f"v{n}", "ua": "Mozilla/5.0", "ref": "", "bot": "0"}


def workspace_of(app, campaign: dict) -> dict:
    with database.engine_of(app).connect() as conn:
        ws = conn.scalar(text("SELECT workspace_id FROM campaigns WHERE id = :id"), {"id": campaign["id"]})
    return {**campaign, "workspace": ws}


def test_old_raw_clicks_go_and_the_figures_stay(app, owner, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    campaign = workspace_of(app, campaign)
    ages = {"20 months": 610, "14 months": 426, "12 months": 365, "now": 0}
    engine = database.engine_of(app)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:  # months back to the oldest click, as the migration would make them
        retention.ensure_partitions(conn, NOW, since=retention.month_start(NOW - timedelta(days=610)))
    clicks = {age: click(link, campaign, NOW - timedelta(days=days), n) for n, (age, days) in enumerate(ages.items())}
    with database.new_session(app) as session, session.begin():
        assert write_clicks(session, list(clicks.values())).written == 4
    stats = owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json
    assert stats["clicks"] == 4

    if postgres:
        with engine.connect() as conn:
            where = conn.scalar(text("SELECT tableoid::regclass::text FROM clicks WHERE id = :id"),
                                {"id": clicks["now"]["id"]})
        assert where == retention.partition_name(retention.month_start(NOW))

    with app.app_context():
        done = maintain_clicks()
    with database.new_session(app) as session:
        left = set(session.scalars(select(Click.id)))
        hours = session.scalar(select(VisitorHour.hour).order_by(VisitorHour.hour).limit(1))
    assert left == {clicks["12 months"]["id"], clicks["now"]["id"]}
    assert hours >= int((NOW - timedelta(days=400)).timestamp()) // 3600
    assert owner.get(f"/api/v1/campaigns/{campaign['id']}/stats").json == stats  # roll-ups keep the figures
    if postgres:
        assert done["partitions_dropped"] >= 2  # the months of the 20- and 14-month-old clicks
        with engine.connect() as conn:
            names = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'clicks_y%'")))
        assert retention.partition_name(retention.month_start(NOW, 3)) in names  # three months ahead
        assert retention.partition_name(retention.month_start(NOW - timedelta(days=610))) not in names
    else:
        assert done["clicks_deleted"] == 2
    with app.app_context():
        again = maintain_clicks()
    assert (again["partitions_dropped"], again["clicks_deleted"], again["partitions_made"]) == (0, 0, [])


def test_retention_is_never_shorter_than_a_year_long_attribution_window(app, campaign, make_sharer, make_link):
    link = make_link(campaign["id"], make_sharer()["id"])
    campaign = workspace_of(app, campaign)
    year_old = click(link, campaign, NOW - timedelta(days=365), 1)
    with database.new_session(app) as session, session.begin():
        write_clicks(session, [year_old])
    with database.engine_of(app).begin() as conn:
        retention.retain(conn, NOW, months=2)  # asked for two months: thirteen it is
    with database.new_session(app) as session:
        assert session.scalar(select(Click.id)) == year_old["id"]


JANUARY_2031 = date(2031, 1, 1)


def partitions_holding(conn, moments: list[datetime]) -> list[str]:
    """The partition each of clicks at ``moments`` (UTC) lands in: ``clicks_y2031m01`` ... or
    ``clicks_default``."""
    conn.execute(insert(Click.__table__), [
        {"id": f"edge{n}", "clicked_at": at.replace(tzinfo=timezone.utc), "workspace_id": 1, "link_id": 1,
         "campaign_id": 1, "sharer_id": 1, "channel": "weibo", "visitor": "v", "user_agent": "", "referrer": ""}
        for n, at in enumerate(moments)])
    landed = dict(conn.execute(text("SELECT id, tableoid::regclass::text FROM clicks WHERE id LIKE 'edge%'")).all())
    return [landed[f"edge{n}"] for n in range(len(moments))]


def test_a_months_partition_holds_its_clicks_in_utc_whatever_the_servers_time_zone(postgres):
    """A partition's bounds are UTC instants: made from a session in Los Angeles (eight hours behind)
    or Kiritimati (fourteen ahead), a click in a month's first and last hours lands in that month."""
    edges = [datetime(2031, 1, 1, 3), datetime(2031, 1, 31, 20), datetime(2031, 2, 1, 3), datetime(2031, 2, 28, 20)]
    for zone in ("America/Los_Angeles", "Pacific/Kiritimati"):
        with postgres.connect() as conn, conn.begin() as outer:  # rolled back: no partition stays made
            conn.execute(text(f"SET LOCAL TimeZone = '{zone}'"))
            made = retention.ensure_partitions(conn, datetime(2031, 1, 15, tzinfo=timezone.utc), since=JANUARY_2031)
            assert {"clicks_y2031m01", "clicks_y2031m02"} <= set(made)
            landed = partitions_holding(conn, edges)
            outer.rollback()
        assert landed == ["clicks_y2031m01", "clicks_y2031m01", "clicks_y2031m02", "clicks_y2031m02"], zone


def test_a_new_partition_meets_one_made_in_the_servers_time_zone_without_gap_or_overlap(postgres):
    """Partitions made before bounds were UTC ('2031-01-01' read in the session's zone) stay: a
    month made beside one starts where it ends, or ends where it starts, instead of failing on the
    overlap (a zone behind UTC) or leaving a gap to the default partition (a zone ahead)."""
    rows = [datetime(2031, 1, 1, 3), datetime(2031, 1, 31, 20), datetime(2031, 2, 1, 3), datetime(2031, 2, 1, 9),
            datetime(2031, 2, 28, 20), datetime(2031, 3, 1, 3)]
    cases = {  # zone: (the month made before, in that zone; where each row lands)
        "America/Los_Angeles": ("2031-01-01", "2031-02-01", ["default", "m01", "m01", "m02", "m02", "m03"]),
        "Asia/Shanghai": ("2031-02-01", "2031-03-01", ["m01", "m02", "m02", "m02", "m03", "m03"]),
    }
    for zone, (since, until, expected) in cases.items():
        old = f"clicks_y{since[:4]}m{since[5:7]}"
        with postgres.connect() as conn, conn.begin() as outer:
            conn.execute(text(f"SET LOCAL TimeZone = '{zone}'"))
            conn.execute(text(f"CREATE TABLE {old} PARTITION OF clicks FOR VALUES FROM ('{since}') TO ('{until}')"))
            made = retention.ensure_partitions(conn, datetime(2031, 1, 15, tzinfo=timezone.utc), since=JANUARY_2031)
            assert old not in made and len(made) == 3, made  # the others of January to April, none refused
            landed = partitions_holding(conn, rows)
            outer.rollback()
        assert landed == ["clicks_default" if m == "default" else f"clicks_y2031{m}" for m in expected], zone


def test_a_partition_follows_no_bound_but_a_neighbour_months_of_clicks(postgres):
    """Only ``clicks``'s own partition of the month before, ending within a time zone of the month's
    start, is followed: not a table of that name of another table's, nor a bound days away."""
    utc = "FROM ('2031-02-01T00:00:00+00:00') TO ('2031-03-01T00:00:00+00:00')"
    with postgres.connect() as conn, conn.begin() as outer:
        conn.execute(text("CREATE TABLE other_clicks (at timestamptz) PARTITION BY RANGE (at)"))
        conn.execute(text("CREATE TABLE clicks_y2031m01 PARTITION OF other_clicks "
                          "FOR VALUES FROM ('2031-01-01 08:00+00') TO ('2031-02-01 08:00+00')"))
        assert retention.partition_bounds(conn, date(2031, 2, 1)) == utc
        conn.execute(text("DROP TABLE clicks_y2031m01; CREATE TABLE clicks_y2031m01 PARTITION OF clicks "
                          "FOR VALUES FROM ('2031-01-01 00:00+00') TO ('2031-01-30 00:00+00')"))
        assert retention.partition_bounds(conn, date(2031, 2, 1)) == utc
        conn.execute(text("DROP TABLE clicks_y2031m01; CREATE TABLE clicks_y2031m01 PARTITION OF clicks "
                          "FOR VALUES FROM ('2031-01-01 08:00+00') TO ('2031-02-01 08:00+00')"))
        assert retention.partition_bounds(conn, date(2031, 2, 1)).startswith("FROM ('2031-02-01T08:00:00+00:00')")
        outer.rollback()
