"""Schemathesis hooks for tests/fuzz/fuzz.sh: the one check the fuzz run applies.

In GraphQL mode, schemathesis's built-in `not_a_server_error` also reports as
a server error every resolver error that is not labelled as a client error in
Apollo's vocabulary (so relgate's NOT_FOUND, CONSTRAINT_VIOLATION, FORBIDDEN...),
although those are correct answers to generated input. This check fails only on what is a server fault:
  - an HTTP 5xx status;
  - a GraphQL error with `extensions.code == "INTERNAL_SERVER_ERROR"`, which is
    how relgate reports an internal failure (its message is masked).
Schemathesis prints the failing request as a curl command line next to it.
A dropped connection (a panic in a handler) is reported by schemathesis itself
as a network error, which also fails the run.
"""

import schemathesis


@schemathesis.check
def relgate_no_server_error(ctx, response, case):
    """No HTTP 5xx and no GraphQL INTERNAL_SERVER_ERROR."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code} from the server")
    try:
        payload = response.json()
    except ValueError:
        return None
    errors = payload.get("errors") if isinstance(payload, dict) else None
    for error in errors or []:
        ext = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(ext, dict) and ext.get("code") == "INTERNAL_SERVER_ERROR":
            raise AssertionError(f"GraphQL error with code INTERNAL_SERVER_ERROR: {error.get('message')!r}")
    return None
