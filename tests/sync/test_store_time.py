"""A real till in another time zone, over a real Mosquitto: its status tells head office
the store's time zone, locale and currency, and its sales land on the store's local day
and hour, with their receipts in the store's language and time."""

from datetime import timezone as utc_zone
from zoneinfo import ZoneInfo

from fleet_server import receipts
from fleet_server.models import PaymentFact, SaleFact, SaleLineFact, Store

from .conftest import CHIPS, COLA, wait_for


def test_a_berlin_till_reports_its_zone_and_its_sales_count_in_berlin_time(fleet_factory, till_factory,
                                                                         database_url):
    office = fleet_factory(database_url=database_url).start()
    office.add_store("b1")
    office.seed_catalog(["b1"])
    till = till_factory("b1", timezone="Europe/Berlin", locale="en", currency="EUR")
    till.enroll(office)
    till.start_agent()
    version = office.version("b1")
    wait_for(lambda: till.catalog_version() == version, message="b1 to get its catalog")
    actor = till.login()
    till.open_shift(actor)
    sold = till.sell(actor, [COLA, CHIPS])
    wait_for(lambda: till.backlog() == 0, timeout=20, message="the sale acked")

    def store_settings():
        with office.ctx.db.connection_context():
            store = Store.get_by_id("b1")
            return store.timezone, store.locale, store.currency
    wait_for(lambda: store_settings() == ("Europe/Berlin", "en", "EUR"), timeout=20,
             message="the till's status to name its store's settings")
    with office.ctx.db.connection_context():
        fact = SaleFact.get_by_id(sold.uuid)
        local = fact.sold_at.replace(tzinfo=utc_zone.utc).astimezone(ZoneInfo("Europe/Berlin"))
        assert (fact.day, fact.hour) == (local.date(), local.hour)
        assert {(line.day, line.hour) for line in SaleLineFact.select().where(SaleLineFact.sale_uuid == sold.uuid)} \
            == {(local.date(), local.hour)}
        assert {(p.day, p.hour) for p in PaymentFact.select().where(PaymentFact.record_uuid == sold.uuid)} \
            == {(local.date(), local.hour)}
        text = receipts.render(sold.uuid).text
        assert local.strftime("%Y-%m-%d %H:%M") in text and "Thank you" in text
    store = office.call("GET", "/api/v1/stores/b1")
    assert store["timezone"] == "Europe/Berlin" and store["effective"]["currency"] == "EUR"
