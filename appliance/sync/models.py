"""peewee models of the sync tables (migration 4 in appliance/schema.py).

The sync code itself runs plain SQL on the context's connection (several tills can then
live in one test process); these models are for everything else that reads the tables
(the till's screens, reports, tests).
"""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, IntegerField, TextField

from ..models import BaseModel


class SyncIdentity(BaseModel):
    id = IntegerField(primary_key=True)
    store_id = CharField()
    device_id = CharField()
    broker_host = CharField()
    broker_port = IntegerField()
    broker_tls = BooleanField(default=False)
    ca_pem = TextField(null=True)
    username = CharField()
    password = CharField()
    heartbeat_seconds = IntegerField()
    enrolled_at = DateTimeField()


class CatalogKey(BaseModel):
    key_id = CharField(primary_key=True)
    public_key = CharField()
    added_at = DateTimeField()


class CatalogState(BaseModel):
    id = IntegerField(primary_key=True)
    version = IntegerField()
    head_version = IntegerField()
    updated_at = DateTimeField(null=True)
    last_error = TextField(null=True)


class CatalogChangeLog(BaseModel):
    id = AutoField()
    version = IntegerField()
    kind = CharField()
    change_count = IntegerField()
    issued_at = DateTimeField()
    applied_at = DateTimeField()


class ScheduledPrice(BaseModel):
    id = CharField(primary_key=True)
    sku = CharField()
    price = IntegerField()
    effective_at = DateTimeField()
    applied_at = DateTimeField(null=True)


class DeviceState(BaseModel):
    name = CharField(primary_key=True)
    available = BooleanField()
    backend = CharField(null=True)
    message = TextField(null=True)
    updated_at = DateTimeField()


class OutboxRejection(BaseModel):
    record_uuid = CharField(primary_key=True)
    error = TextField()
    rejected_at = DateTimeField()


SYNC_MODELS = [SyncIdentity, CatalogKey, CatalogState, CatalogChangeLog, ScheduledPrice, DeviceState,
               OutboxRejection]
