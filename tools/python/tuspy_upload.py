"""Drives the official Python tus client (tuspy, unchanged) against a clipfed upload endpoint.

Usage: python tuspy_upload.py <endpoint> <file> <token> <mode> [title]
  mode "plain":    checksummed (sha1) upload in 2 MiB chunks
  mode "resume":   send two chunks, drop the uploader, resume the same URL with a new one
  mode "nometa":   no metadata at all (tuspy then sends an empty Upload-Metadata header)
Prints one JSON line: {"url": ..., "resumed_from": ...}, or {"refused": status, "content": ...}.
"""
import json
import sys

from tusclient import client

endpoint, path, token, mode = sys.argv[1:5]
title = sys.argv[5] if len(sys.argv) > 5 else "from tuspy"
tus = client.TusClient(endpoint, headers={"Authorization": f"Bearer {token}"})
chunk = 2 * 1024 * 1024
meta = {"filename": "clip.mp4", "title": title}

if mode == "plain":
    up = tus.uploader(path, chunk_size=chunk, metadata=meta, upload_checksum=True)
    up.upload()
    print(json.dumps({"url": up.url, "resumed_from": 0}))
elif mode == "resume":
    first = tus.uploader(path, chunk_size=chunk, metadata=meta, upload_checksum=True)
    first.upload_chunk()
    first.upload_chunk()
    again = tus.uploader(path, chunk_size=chunk, url=first.url, upload_checksum=True)
    resumed_from = again.offset
    again.upload()
    print(json.dumps({"url": again.url, "first_url": first.url, "resumed_from": resumed_from}))
elif mode == "nometa":
    from tusclient.exceptions import TusCommunicationError

    try:
        up = tus.uploader(path, chunk_size=chunk)
        up.upload()
        print(json.dumps({"url": up.url, "resumed_from": 0}))
    except TusCommunicationError as err:
        content = err.response_content
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        print(json.dumps({"refused": err.status_code, "content": content}))
else:
    raise SystemExit(f"unknown mode {mode}")
