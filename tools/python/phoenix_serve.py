"""Starts Arize Phoenix (the local trace viewer) with its OTLP/gRPC receiver bound to one address.

Phoenix binds its gRPC receiver on every interface ("[::]:PORT") with no setting to change it;
clipfed's local stack binds everything to 127.0.0.1, and sends traces over OTLP/HTTP anyway. This
launcher rewrites the bind address before Phoenix starts its server, then runs `phoenix serve`.

Usage: python phoenix_serve.py ADDRESS   (Phoenix's own settings come from PHOENIX_* variables)
"""

import sys

import grpc.aio._server

ADDRESS = sys.argv[1]
_add_insecure_port = grpc.aio._server.Server.add_insecure_port


def _bind_one_address(server, address):
    host, _, port = address.rpartition(":")
    if host in ("[::]", "0.0.0.0", ""):
        address = f"{ADDRESS}:{port}"
    return _add_insecure_port(server, address)


grpc.aio._server.Server.add_insecure_port = _bind_one_address

from phoenix.server.main import main  # noqa: E402  (after the patch)

sys.argv = ["phoenix", "serve"]
main()
