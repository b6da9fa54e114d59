"""The assethub.connector.v1 stubs, generated at start from the repository's .proto with
grpcio-tools into a temporary directory (nothing generated is checked in, so the stubs always
match proto/assethub/connector/v1/connector.proto). Set CSDC_PROTO_DIR to use another copy of
the proto tree (e.g. when this folder is copied out of the repository).
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_ROOT = os.environ.get("CSDC_PROTO_DIR") or os.path.normpath(os.path.join(HERE, "..", "..", "..", "proto"))
PROTO_FILE = "assethub/connector/v1/connector.proto"

_loaded = None


def load():
    """(connector_pb2, connector_pb2_grpc), generating them on first use."""
    global _loaded
    if _loaded is not None:
        return _loaded
    from grpc_tools import protoc

    source = os.path.join(PROTO_ROOT, PROTO_FILE)
    if not os.path.exists(source):
        raise SystemExit(f"cannot find {PROTO_FILE} under {PROTO_ROOT}: set CSDC_PROTO_DIR to the "
                         "assethub repository's proto folder (e.g. CSDC_PROTO_DIR=/src/assethub/proto), "
                         "or copy that folder beside your connector and point CSDC_PROTO_DIR at it")
    out = tempfile.mkdtemp(prefix="csdc-stubs-")
    atexit.register(shutil.rmtree, out, True)
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    code = protoc.main([
        "grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{include}",
        f"--python_out={out}", f"--grpc_python_out={out}", source,
    ])
    if code != 0:
        raise SystemExit(f"grpc_tools.protoc failed on {source} (exit {code})")
    sys.path.insert(0, out)
    pb2 = importlib.import_module("assethub.connector.v1.connector_pb2")
    pb2_grpc = importlib.import_module("assethub.connector.v1.connector_pb2_grpc")
    _loaded = (pb2, pb2_grpc)
    return _loaded
