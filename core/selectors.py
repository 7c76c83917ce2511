"""Reads shared across the platform."""

from __future__ import annotations


def headline_figures() -> list[dict]:
    """The public home's headline figures: the district's totals, public aggregates only
    (dashboards.portal counts them in a fixed number of queries and caches them briefly)."""
    from dashboards.portal import headline_list, headline_numbers

    return headline_list(headline_numbers())
