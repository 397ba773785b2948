#!/usr/bin/env python3
"""relgate from Python's `gql` client (sync, requests transport).

    RELGATE_URL=http://127.0.0.1:8080/graphql [RELGATE_TOKEN=...] python check.py

What it checks, on a fresh store or after the TypeScript operations:
  * gql fetches the schema by introspection (descriptions, @specifiedBy and
    repeatable directives included; not the schema's own description, which
    async-graphql answers with a fixed text), and printed by graphql-core it
    is exactly the repository's schema/schema.graphql, printed the same way;
  * schema/operations/01-RelateCopperRecords.graphql, validated locally by gql
    against that schema, relates Ada Lovelace to Analytical Engines Ltd; run
    again it is idempotent (created: false, same relation);
  * 02-EntityWithRelatedItems (with its variables file) sees that one related
    item, and `node(id:)` finds the relation;
  * a refused write comes back as a GraphQL error with
    extensions.code CONSTRAINT_VIOLATION and rule PAIR_NOT_ALLOWED.
Exits 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)

ROOT = Path(__file__).resolve().parents[3]
OPS = ROOT / "schema" / "operations"
SDL = ROOT / "schema" / "schema.graphql"


def operation(name: str) -> GraphQLRequest:
    """An example operation file, with its variables file if it has one."""
    path = OPS / f"{name}.graphql"
    variables_path = OPS / f"{name}.variables.json"
    variables = json.loads(variables_path.read_text()) if variables_path.exists() else None
    return GraphQLRequest(path.read_text(), variable_values=variables)


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def run(self, label: str, fn) -> None:
        try:
            what = fn()
        except AssertionError as e:
            self.failed += 1
            print(f"  FAIL {label}: {e}")
        except TransportQueryError as e:
            self.failed += 1
            print(f"  FAIL {label}: GraphQL errors {e.errors}")
        except Exception as e:  # noqa: BLE001 - report any failure, keep going
            self.failed += 1
            print(f"  FAIL {label}: {type(e).__name__}: {e}")
        else:
            self.passed += 1
            print(f"  ok   {label}: {what}")


def expect(cond: bool, msg: str) -> None:
    if not cond:
        raise AssertionError(msg)


def main() -> int:
    url = os.environ.get("RELGATE_URL")
    if not url:
        print("python: FAIL - set RELGATE_URL (e.g. http://127.0.0.1:8080/graphql)")
        return 2
    token = os.environ.get("RELGATE_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = RequestsHTTPTransport(url=url, headers=headers, timeout=30, retries=0)
    client = Client(transport=transport, fetch_schema_from_transport=True, execute_timeout=30)
    print(f"python: gql against {url}{' (bearer token)' if token else ''}")

    checks = Checks()
    state: dict = {}

    try:
        session = client.connect_sync()
    except Exception as e:  # noqa: BLE001
        first_line = str(e).splitlines()[0] if str(e) else ""
        print(f"python: FAILED - could not connect or fetch the schema: {type(e).__name__}: {first_line}")
        return 1
    try:

        def schema_matches() -> str:
            introspection = session.execute(
                gql(
                    get_introspection_query(
                        descriptions=True,
                        specified_by_url=True,
                        directive_is_repeatable=True,
                    )
                )
            )
            served = print_schema(lexicographic_sort_schema(build_client_schema(introspection)))
            local = print_schema(lexicographic_sort_schema(build_schema(SDL.read_text())))
            if served != local:
                diff = difflib.unified_diff(
                    local.splitlines(), served.splitlines(), "schema/schema.graphql", "introspection", lineterm="", n=1
                )
                raise AssertionError("the served schema is not schema/schema.graphql:\n" + "\n".join(list(diff)[:40]))
            expect("@specifiedBy(url:" in served, "no @specifiedBy on DateTime")
            return f"{served.count(chr(10))} lines, exactly schema/schema.graphql"

        def relate() -> str:
            r = session.execute(operation("01-RelateCopperRecords"))["relateByKey"]
            rel = r["relation"]
            expect(rel["type"]["alias"] == "related", f"type alias {rel['type']['alias']!r}")
            expect(
                (rel["from"]["name"], rel["to"]["name"]) == ("Ada Lovelace", "Analytical Engines Ltd"),
                f"ends {rel['from']['name']!r} -> {rel['to']['name']!r}",
            )
            again = session.execute(operation("01-RelateCopperRecords"))["relateByKey"]
            expect(again["created"] is False, "second run created another relation")
            expect(again["relation"]["id"] == rel["id"], "second run returned another relation")
            state["relation_id"] = rel["id"]
            return f"relation {rel['id']} (created: {r['created']}, then false)"

        def related_items() -> str:
            entity = session.execute(operation("02-EntityWithRelatedItems"))["entity"]
            expect(entity is not None, "entity not found")
            expect(entity["name"] == "Ada Lovelace", f"name {entity['name']!r}")
            names = [e["node"]["name"] for e in entity["related"]["edges"]]
            expect(entity["related"]["totalCount"] == 1, f"related totalCount {entity['related']['totalCount']}")
            expect(names == ["Analytical Engines Ltd"], f"related items {names}")
            ids = [e["node"]["id"] for e in entity["relations"]["edges"]]
            expect(state.get("relation_id") in ids, f"relation {state.get('relation_id')} not in {ids}")
            return f"1 related item {names[0]!r}"

        def node_lookup() -> str:
            expect("relation_id" in state, "no relation id from RelateCopperRecords")
            q = gql(
                """query Node($id: ID!) {
                  node(id: $id) { __typename id ... on Relation { type { source alias } from { name } to { name } } }
                }"""
            )
            q.variable_values = {"id": state["relation_id"]}
            node = session.execute(q)["node"]
            expect(node is not None and node["__typename"] == "Relation", f"node {node}")
            expect(node["id"] == state["relation_id"], "another id")
            expect(node["from"]["name"] == "Ada Lovelace", f"from {node['from']}")
            return f"node({node['id']}) is a Relation of copper/{node['type']['alias']}"

        def refused_write() -> str:
            q = gql(
                """mutation Refused {
                  relateByKey(input: {
                    type: { source: "copper", alias: "related" }
                    from: { source: "copper", kind: "person", externalId: "42" }
                    to: { source: "copper", kind: "person", externalId: "43" }
                  }) { created }
                }"""
            )
            try:
                session.execute(q)
            except TransportQueryError as e:
                ext = (e.errors or [{}])[0].get("extensions", {})
                expect(ext.get("code") == "CONSTRAINT_VIOLATION", f"extensions {ext}")
                expect(ext.get("rule") == "PAIR_NOT_ALLOWED", f"extensions {ext}")
                return "person -> person refused: CONSTRAINT_VIOLATION / PAIR_NOT_ALLOWED"
            raise AssertionError("a person -> person copper relation was accepted")

        checks.run("introspected schema", schema_matches)
        checks.run("01-RelateCopperRecords (twice)", relate)
        checks.run("02-EntityWithRelatedItems", related_items)
        checks.run("node(id:)", node_lookup)
        checks.run("refused write", refused_write)
    finally:
        client.close_sync()

    total = checks.passed + checks.failed
    if checks.failed:
        print(f"python: FAILED - {checks.failed} of {total} checks")
        return 1
    print(f"python: OK - {total} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
