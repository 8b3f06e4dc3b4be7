"""Loading model instances from plain SQL, fast.

peewee builds each query's SQL anew on every call, which costs more than SQLite
takes to run it. The sale path (scan, recompute, payment) therefore runs fixed SQL
and turns rows into model instances here, with the conversion plan of each model
worked out once.
"""

from __future__ import annotations

from peewee import BooleanField, DateTimeField, ForeignKeyField, Model

from .models import JSONField

_PLANS: dict[type, tuple[list[str], list[tuple[str, object]]]] = {}


def _plan(model: type[Model]):
    plan = _PLANS.get(model)
    if plan is None:
        fields = model._meta.sorted_fields
        columns = [field.column_name for field in fields]
        converters = [(field.object_id_name if isinstance(field, ForeignKeyField) else field.name,
                       field.python_value if isinstance(field, (DateTimeField, BooleanField, JSONField)) else None)
                      for field in fields]
        plan = _PLANS[model] = (columns, converters)
    return plan


def select(db, model: type[Model], where: str, params=(), *, alias: str = "", join: str = "",
           extra: tuple[tuple[str, str], ...] = ()) -> list:
    """Instances of `model` from `SELECT <its columns> FROM <its table> [join] <where>`.

    `extra` adds (sql expression, attribute name) pairs set on each instance.
    """
    columns, converters = _plan(model)
    prefix = f"{alias}." if alias else ""
    selected = ", ".join([f'{prefix}"{column}"' for column in columns] + [expr for expr, _ in extra])
    sql = f"SELECT {selected} FROM {model._meta.table_name} {alias} {join} {where}"
    width = len(converters)
    result = []
    for row in db.execute_sql(sql, params).fetchall():
        instance = model(**{name: (convert(value) if convert is not None and value is not None else value)
                            for (name, convert), value in zip(converters, row)})
        for (_, attribute), value in zip(extra, row[width:]):
            setattr(instance, attribute, value)
        result.append(instance)
    return result


def select_one(db, model: type[Model], where: str, params=(), **kwargs):
    found = select(db, model, where, params, **kwargs)
    return found[0] if found else None
