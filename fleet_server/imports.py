"""Catalog files: import products or prices from CSV or Excel (.xlsx), checked row by row;
a preview of what each store will receive; publish; and export in the same format.

An upload is checked whole: every bad row is reported with its row number, column and
reason, and the file is kept as a `CatalogImport` holding its valid rows. A clean file
can be published; a file with bad rows publishes nothing unless the user chooses to
publish its valid rows only. Publishing runs the catalog services (fleet_server/catalog.py),
which issue each store its change set. The preview runs the same publish inside a
transaction that is rolled back, so it shows exactly what each store would be sent.

Columns (first row; names are case-insensitive, order free; docs/console-catalog.md):

products: sku, name, price, tax_class [, category, unit, cost_price, barcodes, scale_code, active]
prices:   sku [, price, group, store, effective_at]

Money is written in currency units with up to two decimals (12.50) and kept as integer
minor units (1250).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from fleetpos import messages
from fleetpos.messages import Change, MessageError

from . import audit, catalog
from .db import write_transaction
from .errors import FleetError, NotFound
from .models import Barcode, CatalogChange, CatalogImport, Category, Product, Store, TaxClass, database_proxy, utcnow

KINDS = ("products", "prices")
COLUMNS = {
    "products": {"sku": True, "name": True, "price": True, "tax_class": True, "category": False, "unit": False,
                 "cost_price": False, "barcodes": False, "scale_code": False, "active": False},
    "prices": {"sku": True, "price": False, "group": False, "store": False, "effective_at": False},
}
COLUMN_HELP = {
    "sku": "the product's code (1-64 characters, no spaces)",
    "name": "the name on the till and receipt (1-200 characters)",
    "price": "the price in currency units, up to 2 decimals (12.50); in a prices file an empty price with a "
             "group or store removes that group's or store's own price",
    "tax_class": "code of an existing tax class",
    "category": "code of an existing category (optional)",
    "unit": "each (default) or kg",
    "cost_price": "the cost in currency units (optional; used for gross margin)",
    "barcodes": "the product's barcodes, separated by spaces, commas or semicolons (optional)",
    "scale_code": "the scale's PLU code, 1-6 digits (optional)",
    "active": "yes/no (default yes); a product is never deleted, it is made inactive",
    "group": "a store group: the price is that group's own (optional)",
    "store": "a store id: the price is that store's own (optional)",
    "effective_at": "a future UTC time (2026-12-24T00:00:00Z) for a scheduled chain price (optional)",
}
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
EXPONENT = 2
_SKU = re.compile(r"[^\s]{1,64}")
_CODE = re.compile(r"[0-9A-Za-z\-]{1,64}")
_SPLIT = re.compile(r"[\s,;]+")
_TRUE = {"yes", "y", "true", "1", "是"}
_FALSE = {"no", "n", "false", "0", "否"}


class CatalogFileError(FleetError):
    code = "invalid_import"


@dataclass
class Checked:
    kind: str
    total_rows: int
    rows: list[dict] = field(default_factory=list)  # valid rows, as the catalog services take them
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}


# -- reading files ------------------------------------------------------------------------

def _text(value) -> str:
    """A cell as text: Excel hands numbers as int/float (a barcode typed as a number comes
    as 6901234567892.0) and times as datetime."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return messages.utc_iso(value)
    return str(value).strip()


def read_table(filename: str, data: bytes, kind: str) -> list[list[str]]:
    """The rows of a .csv or .xlsx file as text (the first row is the header). An .xlsx
    is read from the sheet named after `kind` if it has one, else its first sheet."""
    if len(data) > MAX_BYTES:
        raise CatalogFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise CatalogFileError(f"{filename} is not a readable .xlsx file ({type(exc).__name__}: {exc})") from None
        sheet = book[kind] if kind in book.sheetnames else book.worksheets[0]
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    elif name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise CatalogFileError(f"{filename} is neither UTF-8 nor GB18030 text")
        rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise CatalogFileError(f"{filename or 'the file'}: upload a .csv or .xlsx file")
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


# -- checking rows ------------------------------------------------------------------------

def parse_money(text: str) -> int:
    try:
        value = Decimal(text.replace("¥", "").replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (write 12.50)") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not an amount of at least 0")
    minor = value * 10 ** EXPONENT
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more than {EXPONENT} decimals")
    if minor > 10 ** 12:
        raise ValueError(f"{text!r} is too large")
    return int(minor)


def format_money(minor: int | None) -> str:
    if minor is None:
        return ""
    return f"{Decimal(minor) / 10 ** EXPONENT:.{EXPONENT}f}"


def check(kind: str, table: list[list[str]]) -> Checked:
    """Every row of `table` checked; file-level problems (columns) raise CatalogFileError."""
    if kind not in KINDS:
        raise CatalogFileError(f"the import kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not table or not any(table[0]):
        raise CatalogFileError("the file is empty: the first row must name the columns")
    header = [h.strip().lower().replace(" ", "_") for h in table[0]]
    known = COLUMNS[kind]
    unknown = [h for h in header if h and h not in known]
    missing = [c for c, required in known.items() if required and c not in header]
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    problems = []
    if unknown:
        problems.append(f"unknown columns {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns {', '.join(missing)}")
    if doubled:
        problems.append(f"columns named twice: {', '.join(doubled)}")
    if problems:
        raise CatalogFileError(f"{kind} file: {'; '.join(problems)} (columns: {', '.join(known)})")
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise CatalogFileError(f"a file holds at most {MAX_ROWS} rows, this one {len(body)}")
    records = []
    for index, cells in enumerate(body, start=2):  # spreadsheet row numbers: the header is row 1
        if not any(cells):
            continue
        records.append((index, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}))
    checked = Checked(kind, len(records))
    (_check_products if kind == "products" else _check_prices)(records, checked)
    return checked


def _check_products(records, checked: Checked) -> None:
    tax_classes = {t.code for t in TaxClass.select(TaxClass.code)}
    categories = {c.code for c in Category.select(Category.code)}
    skus_in_file = {}
    codes_in_file: dict[str, tuple[int, str]] = {}
    all_codes = [c for _, r in records for c in _SPLIT.split(r.get("barcodes", "")) if c]
    owners = {}
    for start in range(0, len(all_codes), 900):
        owners.update(Barcode.select(Barcode.code, Barcode.sku).where(
            Barcode.code.in_(all_codes[start:start + 900])).tuples())
    file_skus = {r.get("sku", "") for _, r in records}
    for row_no, r in records:
        errors = []

        def bad(column, message):
            errors.append({"row": row_no, "column": column, "message": message})

        sku = r.get("sku", "")
        if not _SKU.fullmatch(sku):
            bad("sku", "the SKU is missing or has spaces or more than 64 characters")
        elif sku in skus_in_file:
            bad("sku", f"SKU {sku} is already on row {skus_in_file[sku]}")
        else:
            skus_in_file[sku] = row_no
        name = r.get("name", "")
        if not name or len(name) > 200:
            bad("name", "the name is missing or longer than 200 characters")
        price = cost = None
        try:
            if not r.get("price"):
                raise ValueError("the price is missing")
            price = parse_money(r["price"])
        except ValueError as exc:
            bad("price", str(exc))
        if r.get("cost_price"):
            try:
                cost = parse_money(r["cost_price"])
            except ValueError as exc:
                bad("cost_price", str(exc))
        tax = r.get("tax_class", "")
        if tax not in tax_classes:
            bad("tax_class", f"unknown tax class {tax!r}" if tax else "the tax class is missing")
        category = r.get("category") or None
        if category and category not in categories:
            bad("category", f"unknown category {category!r}")
        unit = (r.get("unit") or "each").lower()
        if unit not in ("each", "kg"):
            bad("unit", f"unit must be each or kg, not {r['unit']!r}")
        active_text = (r.get("active") or "yes").lower()
        if active_text not in _TRUE | _FALSE:
            bad("active", f"active must be yes or no, not {r['active']!r}")
        scale = r.get("scale_code") or None
        if scale and not (scale.isdigit() and len(scale) <= 6):
            bad("scale_code", f"a scale code is 1-6 digits, not {scale!r}")
        codes = [c for c in _SPLIT.split(r.get("barcodes", "")) if c]
        for code in codes:
            if not _CODE.fullmatch(code):
                bad("barcodes", f"{code!r} is not a barcode (digits and letters, up to 64)")
            elif code in codes_in_file and codes_in_file[code][1] != sku:
                bad("barcodes", f"barcode {code} is also on row {codes_in_file[code][0]}")
            elif owners.get(code) not in (None, sku) and owners[code] not in file_skus:
                bad("barcodes", f"barcode {code} belongs to product {owners[code]}")
            else:
                codes_in_file.setdefault(code, (row_no, sku))
        if len(set(codes)) != len(codes):
            bad("barcodes", "a barcode is listed twice")
        if not errors:
            data = {"sku": sku, "name": name, "unit": unit, "price": price, "cost_price": cost, "tax_class": tax,
                    "category": category, "scale_code": scale.lstrip("0") or "0" if scale else None,
                    "active": active_text in _TRUE, "barcodes": codes}
            try:
                Change.parse({"entity": "product", "op": "upsert", "data": data})
            except MessageError as exc:
                bad("", str(exc))
            else:
                checked.rows.append({"row": row_no, **data})
        checked.errors.extend(errors)


def _check_prices(records, checked: Checked) -> None:
    skus = {p.sku for p in Product.select(Product.sku)}
    stores = {s.id: s.group for s in Store.select(Store.id, Store.group)}
    groups = {g for g in stores.values() if g}
    seen = {}
    now = utcnow()
    for row_no, r in records:
        errors = []

        def bad(column, message):
            errors.append({"row": row_no, "column": column, "message": message})

        sku = r.get("sku", "")
        if sku not in skus:
            bad("sku", f"no product {sku!r}" if sku else "the SKU is missing")
        group, store = r.get("group") or None, r.get("store") or None
        if group and store:
            bad("group", "give a group or a store, not both")
        elif group and group not in groups:
            bad("group", f"no store is in group {group!r}")
        elif store and store not in stores:
            bad("store", f"no store {store!r}")
        scope = ("group", group) if group else ("store", store) if store else ("chain", None)
        price = None
        if r.get("price"):
            try:
                price = parse_money(r["price"])
            except ValueError as exc:
                bad("price", str(exc))
        elif scope[0] == "chain":
            bad("price", "the price is missing (an empty price only removes a group's or store's own price)")
        when = None
        if r.get("effective_at"):
            try:
                when = messages.parse_utc(r["effective_at"], "effective_at")
            except MessageError:
                bad("effective_at", f"{r['effective_at']!r} is not a UTC time like 2026-12-24T00:00:00Z")
            else:
                if when <= now:
                    bad("effective_at", "a scheduled price must be in the future (leave it empty for now)")
                elif scope[0] != "chain":
                    bad("effective_at", "scheduled prices are chain-wide: leave group and store empty")
        key = (sku, scope, r.get("effective_at") or "")
        if sku and key in seen:
            bad("sku", f"the same price is already on row {seen[key]}")
        seen.setdefault(key, row_no)
        if not errors:
            item = {"row": row_no, "sku": sku, "price": price}
            if group:
                item["group"] = group
            if store:
                item["store"] = store
            if when:
                item["effective_at"] = messages.utc_iso(when)
            checked.rows.append(item)
        checked.errors.extend(errors)


# -- staging, preview and publishing ---------------------------------------------------------

def stage(kind: str, filename: str, data: bytes, *, actor: str) -> CatalogImport:
    """Read and check a file and keep it, with its valid rows and every error."""
    checked = check(kind, read_table(filename, data, kind))
    if not checked.total_rows:
        raise CatalogFileError("the file has a header but no rows")
    return _keep(checked, filename, actor)


def stage_rows(kind: str, rows: list[dict], *, actor: str, source: str = "console") -> CatalogImport:
    """The same as a file, from rows of text values (a form, or the API's JSON)."""
    if kind not in KINDS:
        raise CatalogFileError(f"the import kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise CatalogFileError("rows: a non-empty list of objects is required")
    header = list(dict.fromkeys(k for r in rows for k in r))
    table = [header] + [[_text(r.get(h)) if not isinstance(r.get(h), list) else " ".join(map(str, r[h]))
                         for h in header] for r in rows]
    return _keep(check(kind, table), source, actor)


def _keep(checked: Checked, filename: str, actor: str) -> CatalogImport:
    with write_transaction(database_proxy.obj):
        batch = CatalogImport.create(kind=checked.kind, filename=(filename or "")[:300],
                                     state="staged" if not checked.errors else "has_errors",
                                     total_rows=checked.total_rows, rows=json.dumps(checked.rows, ensure_ascii=False),
                                     errors=json.dumps(checked.errors, ensure_ascii=False), created_by=actor[:140],
                                     created_at=utcnow())
        audit.record("catalog.import_stage", f"import:{batch.id}", None,
                     {"kind": batch.kind, "file": batch.filename, "rows": batch.total_rows,
                      "valid": len(checked.rows), "errors": len(checked.errors)}, actor=actor)
    return batch


def get_import(import_id) -> CatalogImport:
    batch = CatalogImport.get_or_none(CatalogImport.id == import_id)
    if batch is None:
        raise NotFound(f"no catalog import {import_id}", code="import_not_found")
    return batch


def import_view(batch: CatalogImport, *, with_rows: bool = False) -> dict:
    errors = json.loads(batch.errors)
    rows = json.loads(batch.rows)
    view = {"id": batch.id, "kind": batch.kind, "filename": batch.filename, "state": batch.state,
            "total_rows": batch.total_rows, "valid_rows": len(rows), "bad_rows": len({e["row"] for e in errors}),
            "errors": errors, "created_by": batch.created_by, "created_at": messages.utc_iso(batch.created_at),
            "published_by": batch.published_by,
            "published_at": messages.utc_iso(batch.published_at) if batch.published_at else None}
    if with_rows:
        view["rows"] = rows
    return view


def _run(key, batch: CatalogImport, valid_only: bool) -> dict[str, int]:
    """Inside the caller's transaction: the catalog services on the batch's rows."""
    if batch.state not in ("staged", "has_errors"):
        raise FleetError(f"import {batch.id} is already {batch.state}", code="import_done", status=409)
    if batch.state == "has_errors" and not valid_only:
        bad = len({e["row"] for e in json.loads(batch.errors)})
        raise CatalogFileError(f"import {batch.id} has {bad} bad rows: fix the file and upload it again, or publish "
                           "the valid rows only", code="import_has_errors")
    rows = [{k: v for k, v in r.items() if k != "row"} for r in json.loads(batch.rows)]
    if not rows:
        raise CatalogFileError(f"import {batch.id} has no valid rows to publish", code="import_empty")
    if batch.kind == "products":
        return catalog.upsert_products(key, {"products": rows})
    return catalog.set_prices(key, {"prices": rows})


def _changes_of(payload: str) -> list[dict]:
    return json.loads(json.loads(payload)["body"])["changes"]


PREVIEW_LIMIT = 200


def preview(key, import_id, *, valid_only: bool = False, limit: int = PREVIEW_LIMIT) -> dict:
    """What each store would receive if the import were published now: the publish runs
    in a transaction that is then rolled back. Per store: how many changes, how many are
    new products, changed ones and ones sent unchanged, and the first `limit` changes."""
    batch = get_import(import_id)
    database = database_proxy.obj
    stores = {s.id: s for s in Store.select()}
    current = {p.sku: p for p in Product.select()}
    prices_before = catalog.Prices(list(current), list(stores.values()))
    out: dict[str, list[dict]] = {}
    with write_transaction(database) as transaction:
        last = CatalogChange.select(CatalogChange.id).order_by(CatalogChange.id.desc()).scalar() or 0
        try:
            _run(key, batch, valid_only)
            issued = list(CatalogChange.select(CatalogChange.store, CatalogChange.payload)
                          .where(CatalogChange.id > last).tuples())
        finally:
            transaction.rollback()
    for store_id, payload in issued:
        items = []
        for change in _changes_of(payload):
            data = change["data"]
            if change["entity"] == "product":
                old = current.get(data["sku"])
                before = prices_before.price(store_id, data["sku"]) if old else None
                what = "new product" if old is None else _product_diff(old, data, before)
                items.append({"entity": "product", "key": data["sku"], "name": data["name"], "price": data["price"],
                              "change": what})
            elif change["entity"] == "price_schedule":
                items.append({"entity": "price_schedule", "key": data.get("sku") or data["id"],
                              "name": current[data["sku"]].name if data.get("sku") in current else "",
                              "price": data.get("price"),
                              "change": (f"price from {data['effective_at']}" if change["op"] == "upsert"
                                         else "scheduled price cancelled (the store has its own price)")})
            else:
                items.append({"entity": change["entity"], "key": str(data.get("code") or data.get("id") or ""),
                              "name": "", "price": None, "change": change["op"]})
        out[store_id] = items
    views = {}
    for store_id in sorted(stores):
        items = out.get(store_id, [])
        new_count = sum(1 for i in items if i["change"] == "new product")
        same = sum(1 for i in items if i["change"].startswith("unchanged"))
        views[store_id] = {"name": stores[store_id].name, "group": stores[store_id].group, "count": len(items),
                           "new": new_count, "unchanged": same, "changed": len(items) - new_count - same,
                           "changes": items[:limit]}
    return {"import": import_view(batch), "stores": views}


def _product_diff(old: Product, data: dict, old_price: int | None) -> str:
    parts = []
    if old_price != data["price"]:
        parts.append(f"price {format_money(old_price)} → {format_money(data['price'])}")
    for name in ("name", "unit", "cost_price", "tax_class", "category", "scale_code", "active"):
        if getattr(old, name) != data.get(name):
            parts.append(f"{name} {getattr(old, name)!r} → {data.get(name)!r}")
    if sorted(json.loads(old.barcodes)) != sorted(data.get("barcodes", [])):
        parts.append("barcodes")
    return ", ".join(parts) or "unchanged (sent again)"


def publish(key, import_id, *, actor: str, valid_only: bool = False) -> dict[str, int]:
    """Publish an import: each store's change set is issued (the publisher sends it)."""
    with write_transaction(database_proxy.obj):
        batch = get_import(import_id)
        versions = _run(key, batch, valid_only)
        CatalogImport.update(state="published", published_by=actor[:140], published_at=utcnow()).where(
            CatalogImport.id == batch.id).execute()
        audit.record("catalog.import_publish", f"import:{batch.id}", {"state": batch.state},
                     {"state": "published", "kind": batch.kind, "rows": len(json.loads(batch.rows)),
                      "valid_only": valid_only, "versions": versions}, actor=actor)
    return versions


def discard(import_id, *, actor: str) -> None:
    with write_transaction(database_proxy.obj):
        batch = get_import(import_id)
        if batch.state not in ("staged", "has_errors"):
            raise FleetError(f"import {batch.id} is already {batch.state}", code="import_done", status=409)
        CatalogImport.update(state="discarded").where(CatalogImport.id == batch.id).execute()
        audit.record("catalog.import_discard", f"import:{batch.id}", {"state": batch.state}, {"state": "discarded"},
                     actor=actor)


# -- export --------------------------------------------------------------------------------

def export_table(kind: str) -> list[list]:
    """The catalog as an import file of `kind` would hold it (header first)."""
    if kind == "products":
        out = [list(COLUMNS["products"])]
        for p in Product.select().order_by(Product.sku):
            out.append([p.sku, p.name, format_money(p.price), p.tax_class, p.category or "", p.unit,
                        format_money(p.cost_price), " ".join(json.loads(p.barcodes)), p.scale_code or "",
                        "yes" if p.active else "no"])
        return out
    if kind == "prices":
        out = [list(COLUMNS["prices"])]
        for o in catalog.price_overrides():
            out.append([o["sku"], format_money(o["price"]), o["scope_id"] if o["scope"] == "group" else "",
                        o["scope_id"] if o["scope"] == "store" else "", ""])
        from .models import PriceSchedule
        for s in PriceSchedule.select().where(PriceSchedule.state == "pending").order_by(PriceSchedule.effective_at):
            out.append([s.sku, format_money(s.price), "", "", messages.utc_iso(s.effective_at)])
        return out
    raise CatalogFileError(f"the export kind must be one of {', '.join(KINDS)}, not {kind!r}")


def export_csv(kind: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_table(kind))
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = kind
    for row in export_table(kind):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
