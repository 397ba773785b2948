#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (seeds/<target>/*), from requests
the tests in tests/api send (ids, cursors, documents and bodies as they
appear there). Run it again after changing it: python3 seeds/make.py"""
import base64
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(s):
    return base64.urlsafe_b64encode(s.encode()).decode().rstrip("=")


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# Global ids: one of each node type, a padded one, and the malformed ones of
# src/domain/ids.rs's tests.
for name, raw in [
    ("entity", b64("Entity:1")),
    ("relation", b64("Relation:42")),
    ("relation_type", b64("RelationType:7")),
    ("padded", b64("Entity:12") + "=="),
    ("negative", b64("Entity:-1")),
    ("unknown_type", b64("Foo:1")),
]:
    write("global_id", name, raw)

# Cursors: the first byte picks the order, as fuzz_targets/cursor.rs does
# (low two bits: how many terms; the rest: which fields, which way).
FIELDS = ["CREATED", "UPDATED", "ATTITUDE", "LABEL", "PINNED_FIRST"]
PARTS = {"CREATED": ["t"], "UPDATED": ["t"], "ATTITUDE": [0, -20], "LABEL": [0, "Just Friends"], "PINNED_FIRST": [1]}


def order(byte):
    n, bits, out = byte & 3, byte >> 2, []
    for i in range(n):
        out.append((FIELDS[(bits + i) % 5], bits & 1 == 1))
        bits = ((bits >> 1) | (bits << 7)) & 0xFF
    return out


def keyed(byte, row):
    terms = order(byte)
    sig = ",".join(f + ("-" if d else "+") for f, d in terms)
    values = [("2026-12-01T10:00:00Z" if v == "t" else v) for f, _ in terms for v in PARTS[f]]
    return b64("order:" + json.dumps([sig, row, values], separators=(",", ":")))


for name, order_byte, raw in [
    ("plain", 0, b64("cursor:10")),
    ("plain_big", 0, b64("cursor:1000")),
    ("event", 0, b64("event:0:17")),
    ("event_pg", 0, b64("event:812:3")),
    ("keyed_one", 1 | (2 << 2), keyed(1 | (2 << 2), 12)),
    ("keyed_two", 2 | (3 << 2), keyed(2 | (3 << 2), 5)),
    ("keyed_three", 3 | (9 << 2), keyed(3 | (9 << 2), 7)),
]:
    write("cursor", name, bytes([order_byte]) + raw.encode())

# The planner: document NUL variables, from tests/api/compiled.rs.
key = {"s": "kanka", "sp": "1", "k": "character", "x": "168"}
by_key = "entity(source: $s, space: $sp, kind: $k, externalId: $x)"
vars_ = "$s: String!, $sp: String, $k: String, $x: String!"
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
docs = [
    ("q1", f"query({vars_}) {{ {by_key} {{ name relations(first: 20) {{ totalCount edges {{ node {{ label type {{ alias }} from {{ name }} to {{ name }} }} }} }} }} }}", key),
    ("q2", "{ entities(first: 50) { edges { node { relations(first: 20) { edges { other { name } } } } } } }", {}),
    ("q3", f"query({vars_}) {{ {by_key} {{ related(first: 50) {{ edges {{ node {{ name }} }} }} }} }}", key),
    ("paging", f"query({vars_}) {{ {by_key} {{ a: relations(last: 3) {{ totalCount {PAGE} edges {{ cursor }} }} b: relations(first: 2, after: \"Y3Vyc29yOjEw\") {{ totalCount {PAGE} edges {{ cursor }} }} c: relations {{ totalCount }} e: related(last: 2, before: \"Y3Vyc29yOjEwMDA\") {{ totalCount edges {{ cursor node {{ id }} }} }} }} }}", key),
    ("filters", "query($f: EntityFilterInput, $n: Int) { people: entities(filter: {source: \"copper\", kind: \"person\"}, first: 7) { totalCount edges { node { kind name } } } some: entities(filter: $f, first: $n) { totalCount edges { node { name } } } }", {"f": {"source": "kanka", "nameContains": "a", "space": None}, "n": 9}),
    ("fragments", f"query({vars_}, $yes: Boolean!, $no: Boolean = false) {{ {by_key} {{ ...E ... on Entity {{ kind }} ... on Node {{ id }} relations(first: 3) {{ totalCount }} skipped: name @skip(if: $yes) kept: name @include(if: $yes) gone: name @include(if: $no) }} }} fragment E on Entity {{ name x: externalId relations(first: 3) {{ edges {{ other {{ ...E2 }} }} }} }} fragment E2 on Entity {{ name __typename }}", dict(key, yes=True)),
    ("orders", f"query({vars_}, $f: EdgeFilterInput, $o: [RelationOrder!]) {{ {by_key} {{ a: relations(filter: $f, orderBy: $o, first: 3) {{ totalCount edges {{ cursor node {{ label attitude pinned }} }} }} c: relations(orderBy: [{{field: PINNED_FIRST}}, {{field: LABEL, direction: DESC}}], filter: {{label: {{contains: \"a\", caseInsensitive: true}}, otherKinds: [\"character\"]}}, last: 4) {{ totalCount edges {{ cursor other {{ kind }} }} }} }} }}", dict(key, f={"attitude": {"min": -50}, "isPrivate": False}, o=[{"field": "ATTITUDE", "direction": "DESC"}, {"field": "UPDATED"}])),
    ("two_ops", "query A { entities(first: 1) { totalCount } } query B { entities(last: 2) { edges { cursor } } }", {}),
]
for name, doc, variables in docs:
    write("planner", name, doc.encode() + b"\0" + json.dumps(variables).encode())

# Copper: relate/remove bodies of tests/api/dialects.rs.
for name, body in [
    ("opportunity", {"resource": {"id": 2827700, "type": "opportunity"}}),
    ("company", {"resource": {"id": 77, "type": "company"}}),
    ("task", {"resource": {"id": 999, "type": "task"}}),
    ("no_resource", {"id": 1}),
]:
    write("copper_body", name, json.dumps(body))

# Kanka: the first byte is 1 for a form body, 0 for JSON.
for name, form, body in [
    ("create", 0, json.dumps({"relation": "Just Friends", "owner_id": 168, "target_id": 72, "two_way": True, "is_private": False, "attitude": 20, "colour": "#00ff00", "is_pinned": True})),
    ("update", 0, json.dumps({"attitude": -5, "two_way": True})),
    ("string_ids", 0, json.dumps({"relation": "x", "owner_id": "168", "target_id": "72"})),
    ("form_create", 1, "relation=Just+Friends&owner_id=168&target_id=72&attitude=-20&is_pinned=1&two_way=true"),
    ("form_update", 1, "relation=Rivals&is_pinned=0"),
    ("empty", 0, ""),
]:
    write("kanka_body", name, bytes([form]) + body.encode())

# Umbraco: create bodies.
seed = {"parentId": "af3e08fc-fb90-4c78-b11c-c1a0cf43bd31", "childId": "e0c5f0e5-c1f0-4422-9ac0-6dbb536e8eb5", "relationTypeAlias": "relateDocumentOnCopy", "comment": "Testing relations for relateDocumentOnCopy"}
for name, body in [
    ("create", json.dumps(seed)),
    ("no_comment", json.dumps({k: v for k, v in seed.items() if k != "comment"})),
    ("parent_only", json.dumps({"parentId": seed["parentId"]})),
    ("empty", ""),
]:
    write("umbraco_body", name, body)
