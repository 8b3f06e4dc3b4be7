"""The ids a till makes: UUID version 7, unique and ordered by time."""

import time
import uuid

from appliance.services.records import new_uuid


def test_new_uuid_is_version_7_with_the_rfc_variant():
    value = uuid.UUID(new_uuid())
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_new_uuid_carries_the_current_unix_milliseconds():
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(new_uuid())
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_new_uuids_are_unique_and_later_ones_sort_after_earlier_milliseconds():
    first = [new_uuid() for _ in range(2000)]
    time.sleep(0.002)
    second = [new_uuid() for _ in range(2000)]
    assert len(set(first + second)) == 4000
    assert max(first) < min(second)  # text order = time order across milliseconds
