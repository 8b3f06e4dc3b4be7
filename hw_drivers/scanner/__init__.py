"""Barcode scanners (扫码枪): `Scanner` and its backends."""
