"""Customer displays (客显): `CustomerDisplay`, its command sets and backends."""
