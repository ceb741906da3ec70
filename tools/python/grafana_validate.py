"""Checks Grafana dashboard JSON files against Grafana's dashboard schema, as published in the
Grafana Foundation SDK (the version pinned in crates/cli/src/stack.rs targets Grafana 11.6).

The SDK decodes a dashboard into typed models (panels by plugin type, queries by data source) and
encodes it back. Every key of the file must survive that round trip with its value: a key the
schema does not know (a misspelt `fieldConfig`, a panel option of another plugin) is dropped by the
decoder and reported here, and so is a value of the wrong shape.

Usage: python grafana_validate.py FILE.json...   (exit status 1 when any file has a finding)
"""

import json
import sys

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard


def differences(path, original, decoded):
    """Where `original` has something `decoded` lacks or holds differently."""
    if isinstance(original, dict):
        if not isinstance(decoded, dict):
            return [f"{path}: expected an object, the schema gives {decoded!r}"]
        found = []
        for key, value in original.items():
            if key not in decoded:
                found.append(f"{path}.{key}: not in the schema")
            else:
                found.extend(differences(f"{path}.{key}", value, decoded[key]))
        return found
    if isinstance(original, list):
        if not isinstance(decoded, list) or len(decoded) != len(original):
            return [f"{path}: list changed by the schema"]
        found = []
        for i, (a, b) in enumerate(zip(original, decoded)):
            found.extend(differences(f"{path}[{i}]", a, b))
        return found
    if original != decoded:
        return [f"{path}: {original!r} became {decoded!r}"]
    return []


def main(files):
    register_default_plugins()
    failed = False
    for name in files:
        with open(name, encoding="utf-8") as f:
            original = json.load(f)
        try:
            decoded = json.loads(JSONEncoder().encode(Dashboard.from_json(original)))
        except Exception as err:  # the decoder raises on a wrong shape
            print(f"{name}: does not decode: {err!r}")
            failed = True
            continue
        for finding in differences("$", original, decoded):
            print(f"{name}: {finding}")
            failed = True
    if not failed:
        print(f"{len(files)} dashboards match Grafana's schema")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
