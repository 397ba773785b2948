#!/usr/bin/env python3
"""Kanka's Python client, python-kanka, against relgate's Kanka dialect.

    RELGATE_BASE=http://127.0.0.1:8080 [RELGATE_TOKEN=...] python vendors/python_kanka.py

python-kanka has no relations helpers, so this goes through its own request
method (`KankaClient._request`), which every helper of the library uses: its
base URL, its headers (a JSON content type on every request, bodies or not),
its pages (`?page=1`), and its mapping of statuses and bodies to exceptions.
Without a token (open mode) it sends a made-up one, which relgate ignores.
Exits 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import os
import sys

import requests
from kanka import KankaClient
from kanka.exceptions import NotFoundError, ValidationError

BASE = os.environ.get("RELGATE_BASE", "").rstrip("/")
TOKEN = os.environ.get("RELGATE_TOKEN", "")
CAMPAIGN = 31


def graphql(query: str, variables: dict) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else {}
    body = requests.post(f"{BASE}/graphql", json={"query": query, "variables": variables}, headers=headers, timeout=30).json()
    if body.get("errors"):
        raise AssertionError(body["errors"])
    return body["data"]


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


def main() -> int:
    if not BASE:
        print("kanka: FAIL - set RELGATE_BASE (e.g. http://127.0.0.1:8080)")
        return 2
    for external_id in ("168", "72"):
        graphql(
            "mutation($i: UpsertEntityInput!) { upsertEntity(input: $i) { created } }",
            {"i": {"source": "kanka", "space": str(CAMPAIGN), "kind": "character", "externalId": external_id}},
        )
    client = KankaClient(token=TOKEN or "a-token-for-the-real-api", campaign_id=CAMPAIGN, enable_rate_limit_retry=False)
    client.BASE_URL = f"{BASE}/kanka/api/1.0"
    relations = "entities/168/relations"
    checks: list[str] = []

    created = client._request(
        "POST",
        relations,
        json={"relation": "Just Friends", "owner_id": 168, "target_id": 72, "two_way": True, "attitude": 50, "colour": "#ff0000", "is_pinned": True},
    )["data"]
    expect(created["relation"] == "Just Friends" and created["mirror_id"] is not None, f"created {created}")
    expect(created["created_at"]["timezone"] == "UTC", f"timestamps {created['created_at']}")
    checks.append("create (two-way)")

    listed = client._request("GET", relations, params={"page": 1})["data"]
    expect([r["id"] for r in listed] == [created["id"]], f"list {listed}")
    one = client._request("GET", f"{relations}/{created['id']}")["data"]
    expect(one == created, f"read {one}")
    checks.append("list with ?page=1, read")

    patched = client._request("PATCH", f"{relations}/{created['id']}", json={"relation": "Rivals", "attitude": -10})["data"]
    expect((patched["relation"], patched["attitude"]) == ("Rivals", -10), f"patched {patched}")
    put = client._request("PUT", f"{relations}/{created['id']}", json={"relation": "Old Rivals", "owner_id": 168, "target_id": 72})["data"]
    expect(put["relation"] == "Old Rivals", f"put {put}")
    checks.append("PATCH, PUT")

    try:
        client._request("POST", relations, json={"owner_id": 168, "target_id": 72})
        raise AssertionError("a relation without text was accepted")
    except ValidationError as e:
        # The library shows Laravel's body: `message` and `errors`.
        expect("The relation field is required." in str(e) and "errors" in str(e), str(e))
    checks.append("422 as ValidationError with Laravel's message and errors")

    client._request("DELETE", f"{relations}/{created['id']}")
    try:
        client._request("GET", f"{relations}/{created['id']}")
        raise AssertionError("the deleted relation is still there")
    except NotFoundError:
        pass
    mirror = client._request("GET", f"entities/72/relations/{created['mirror_id']}")["data"]
    expect(mirror["mirror_id"] is None, f"mirror {mirror}")
    checks.append("DELETE, then 404 as NotFoundError; the mirror stays, unpaired")

    for c in checks:
        print(f"  ok   {c}")
    print(f"kanka: OK - python-kanka: {len(checks)} checks")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # noqa: BLE001 - report any failure
        print(f"kanka: FAILED - {type(e).__name__}: {e}")
        sys.exit(1)
