"""Generates the Python stubs of the qbank contract into ./generated.

The stubs come straight from ../../proto, the contract as published, so the
example proves what a team in another language gets: nothing is copied or
edited by hand. Run it again after the proto changes.
"""

import pathlib
import sys

import grpc_tools
from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent
PROTO_ROOT = HERE.parent.parent / "proto"
OUT = HERE / "generated"
# grpcio-tools ships the well-known types (google/protobuf/timestamp.proto).
WELL_KNOWN = pathlib.Path(grpc_tools.__file__).parent / "_proto"


def main() -> int:
    protos = sorted(str(path) for path in PROTO_ROOT.rglob("*.proto"))
    OUT.mkdir(exist_ok=True)
    status = protoc.main(
        [
            "grpc_tools.protoc",
            f"--proto_path={PROTO_ROOT}",
            f"--proto_path={WELL_KNOWN}",
            f"--python_out={OUT}",
            f"--pyi_out={OUT}",
            f"--grpc_python_out={OUT}",
            *protos,
        ]
    )
    if status != 0:
        print(f"protoc failed with status {status}", file=sys.stderr)
        return 1
    print(f"generated stubs for {len(protos)} proto file(s) into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
