"""Cash drawers (钱箱): `CashDrawer`, its backends and the open sensor."""
