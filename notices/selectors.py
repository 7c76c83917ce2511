"""Reads of the inbox."""


def unread_count(*, user) -> int:
    return 0
