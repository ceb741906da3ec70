"""The west2 contract as a schemathesis check, loaded by router/tests/e2e/openapi.rs through
SCHEMATHESIS_HOOKS.

Schemathesis judges response schemas only for inputs it generated as valid. The contract says more:
every answer, to any input, is the envelope {"base": {"code", "msg"}} with a code from the closed
table. So `envelope_with_a_documented_code` checks every response of every case: HTTP 200 carries
success or one of the codes the document lists for that route, 413 carries 10007, 405 carries
10002, and nothing else is answered.
"""

import json
import os

import schemathesis

SUCCESS = 10000

with open(os.environ["CLIPFED_OPENAPI"], encoding="utf-8") as f:
    _DOCUMENT = json.load(f)


def _route_codes(method, path):
    """The failure codes the document lists for one operation's HTTP 200 answer."""
    operation = _DOCUMENT["paths"][path][method.lower()]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    failure = schema["oneOf"][1]
    return set(failure["properties"]["base"]["properties"]["code"]["enum"])


@schemathesis.check
def envelope_with_a_documented_code(ctx, response, case):
    """Every answer is an envelope whose code the document lists for its route and status."""
    status = response.status_code
    try:
        body = json.loads(response.content)
        code, msg = body["base"]["code"], body["base"]["msg"]
    except (ValueError, KeyError, TypeError) as err:
        raise AssertionError(f"HTTP {status} is not an envelope ({err}): {response.content[:200]!r}")
    if not isinstance(code, int) or not isinstance(msg, str):
        raise AssertionError(f"base.code must be an integer and base.msg a string: {body}")
    if status == 200:
        allowed = _route_codes(case.operation.method, case.operation.path) | {SUCCESS}
    elif status == 413:
        allowed = {10007}
    elif status == 405:
        allowed = {10002}
    else:
        raise AssertionError(f"HTTP {status} is not a status the contract answers: {body}")
    if code not in allowed:
        raise AssertionError(
            f"code {code} ({msg}) is not documented for {case.operation.label} "
            f"with HTTP {status}; documented: {sorted(allowed)}"
        )
