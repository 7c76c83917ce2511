"""Assertions shared by the API tests."""

from __future__ import annotations


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the platform's JSON error: {"detail": <message>, "code": <stable code>}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def walk_pages(client, url: str, params: dict | None = None, *, backwards_from=None) -> list[list[dict]]:
    """Follow a cursor-paged list's `next` links (or `previous` links from the response `backwards_from`)
    to its end; each page's rows, in the order they were read."""
    key = "previous" if backwards_from is not None else "next"
    response = backwards_from if backwards_from is not None else client.get(url, params or {})
    pages = []
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body  # cursor pages: no COUNT(*)
        pages.append(body["results"])
        if body[key] is None:
            return pages
        response = client.get(body[key])
