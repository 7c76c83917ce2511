"""The hashing rules: canonical JSON, entry hashes, document hashes. Pure functions, no database."""

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from audit.chain import (
    GENESIS_HASH,
    canonical_json,
    compute_entry_hash,
    document_hash,
    format_created_at,
    normalise_hash,
    text_hash,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_canonical_json_does_not_depend_on_key_order():
    assert canonical_json({"b": 1, "a": {"d": 2, "c": 3}}) == canonical_json({"a": {"c": 3, "d": 2}, "b": 1})
    assert canonical_json({"b": 1, "a": {"d": 2, "c": 3}}) == b'{"a":{"c":3,"d":2},"b":1}'


def test_canonical_json_keeps_chinese_text_as_utf8():
    assert canonical_json({"社区": "越都社区", "x": "共建"}) == '{"x":"共建","社区":"越都社区"}'.encode()


def test_canonical_json_refuses_what_is_not_json():
    with pytest.raises(ValueError):
        canonical_json({"rate": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"when": datetime.now(tz=SHANGHAI)})


def test_created_at_is_hashed_as_utc_with_microseconds():
    local = datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=SHANGHAI)
    assert format_created_at(local) == "2026-03-01T01:30:00.000005Z"
    with pytest.raises(ValueError):
        format_created_at(datetime(2026, 3, 1, 9, 30))  # noqa: DTZ001 - naive on purpose


def test_entry_hash_of_a_known_entry_never_changes():
    """Pinned: changing the hashing rules would orphan every hash already published."""
    content = {
        "seq": 1,
        "kind": "contract.signed",
        "subject": "contracts.Contract:12",
        "payload": {"title": "越都社区共建契约", "amount": "1200.50", "items": [3, 1]},
        "created_at": datetime(2026, 3, 1, 9, 30, 0, 5, tzinfo=SHANGHAI),
        "prev_hash": GENESIS_HASH,
    }
    expected_text = (
        '{"created_at":"2026-03-01T01:30:00.000005Z","kind":"contract.signed",'
        '"payload":{"amount":"1200.50","items":[3,1],"title":"越都社区共建契约"},'
        f'"prev_hash":"{"0" * 64}","seq":1,"subject":"contracts.Contract:12"}}'
    )
    assert compute_entry_hash(**content) == hashlib.sha256(expected_text.encode()).hexdigest()
    assert compute_entry_hash(**content) == "6fec897887dbc1d9ebadff13d58c47bbffb7ed618cb2f93d0e73a1e16886e35c"


def test_every_hashed_field_changes_the_hash():
    base = {
        "seq": 2,
        "kind": "vote.tallied",
        "subject": "councils.Vote:3",
        "payload": {"yes": 12, "no": 3},
        "created_at": datetime(2026, 3, 1, 9, 30, tzinfo=SHANGHAI),
        "prev_hash": "a" * 64,
    }
    changes = {
        "seq": 3,
        "kind": "vote.closed",
        "subject": "councils.Vote:4",
        "payload": {"yes": 13, "no": 3},
        "created_at": datetime(2026, 3, 1, 9, 30, 0, 1, tzinfo=SHANGHAI),
        "prev_hash": "b" * 64,
    }
    original = compute_entry_hash(**base)
    for field, value in changes.items():
        assert compute_entry_hash(**{**base, field: value}) != original, field


def test_text_hash_is_what_sha256sum_gives():
    assert text_hash("越都社区共建契约\n") == hashlib.sha256("越都社区共建契约\n".encode()).hexdigest()


def test_document_hash_is_stable_across_key_order():
    assert document_hash({"title": "契约", "items": ["义诊", "法律咨询"]}) == document_hash(
        {"items": ["义诊", "法律咨询"], "title": "契约"}
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab" * 32, "ab" * 32),
        ("AB" * 32, "ab" * 32),
        (f"  {'0' * 64}\n", "0" * 64),
        ("ab" * 31, None),
        ("ab" * 33, None),
        ("g" * 64, None),
        ("", None),
        (None, None),
        ("'; DROP TABLE audit_entry; --", None),
    ],
)
def test_normalise_hash(raw, expected):
    assert normalise_hash(raw) == expected
