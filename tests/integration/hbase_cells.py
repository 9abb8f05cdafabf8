"""Raw cell access to HBase through a Thrift2 gateway, for tests that damage
or inspect the lease row behind jobleader's back.

Only the three calls the tests need are encoded: put, deleteSingle and get,
with the binary protocol over a buffered socket (the gateway's default).
Field ids and types follow hbase-thrift/src/main/resources/org/apache/
hadoop/hbase/thrift2/hbase.thrift of HBase 2.6.1. The message framing and
the reply decoding come from deploy/thrift-probe.py.
"""

from __future__ import annotations

import importlib.util
import socket
import struct

from harness import DEPLOY

_spec = importlib.util.spec_from_file_location("thrift_probe",
                                               DEPLOY / "thrift-probe.py")
thrift_probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(thrift_probe)

T_STOP = thrift_probe.T_STOP
T_I32 = thrift_probe.T_I32
T_STRING = thrift_probe.T_STRING
T_STRUCT = thrift_probe.T_STRUCT
T_LIST = thrift_probe.T_LIST

# TDeleteType.DELETE_COLUMNS: every version of the named columns.
DELETE_COLUMNS = 1

LEASE_ROW = b"/job_engine/leader.json"


class HBaseCallError(Exception):
    """A call failed or HBase returned TIOError."""


def _field(field_type: int, field_id: int, payload: bytes) -> bytes:
    return thrift_probe.encode_field_header(field_type, field_id) + payload


def _binary(field_id: int, value: bytes) -> bytes:
    return _field(T_STRING, field_id, thrift_probe.encode_string(value))


def _struct(field_id: int, body: bytes) -> bytes:
    return _field(T_STRUCT, field_id, body + struct.pack("!b", T_STOP))


def _struct_list(field_id: int, bodies: list[bytes]) -> bytes:
    header = struct.pack("!bi", T_STRUCT, len(bodies))
    elements = b"".join(body + struct.pack("!b", T_STOP) for body in bodies)
    return _field(T_LIST, field_id, header + elements)


def _split_column(column: str) -> tuple[bytes, bytes]:
    """Split "family:qualifier" into its two byte strings."""
    family, qualifier = column.split(":", 1)
    return family.encode(), qualifier.encode()


def _column(column: str) -> bytes:
    """TColumn {1: family, 2: qualifier}."""
    family, qualifier = _split_column(column)
    return _binary(1, family) + _binary(2, qualifier)


def _column_value(column: str, value: bytes) -> bytes:
    """TColumnValue {1: family, 2: qualifier, 3: value}."""
    family, qualifier = _split_column(column)
    return _binary(1, family) + _binary(2, qualifier) + _binary(3, value)


def _read_column_values(reader) -> dict[str, bytes]:
    """Read list<TColumnValue> into {"family:qualifier": value}."""
    element_type = reader.read_byte()
    count = reader.read_i32()
    cells = {}
    for _ in range(count):
        if element_type != T_STRUCT:
            reader.skip(element_type)
            continue
        fields = reader.read_struct({
            1: (T_STRING, reader.read_binary),
            2: (T_STRING, reader.read_binary),
            3: (T_STRING, reader.read_binary),
        })
        name = f"{fields[1].decode()}:{fields[2].decode()}"
        cells[name] = fields[3]
    return cells


def _call(gateway: str, name: str, arguments: bytes, result_readers):
    host, port = gateway.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            result = thrift_probe.call(sock, name, 1, arguments,
                                       result_readers)
        except thrift_probe.ProbeError as error:
            raise HBaseCallError(f"{gateway}: {error}") from error
    if 1 in result:
        raise HBaseCallError(f"{gateway}: {name}: HBase returned TIOError: "
                             f"{result[1]}")
    return result


def _void_readers(reader):
    return {1: (T_STRUCT, lambda: thrift_probe.read_io_error(reader))}


def put(gateway: str, table: str, row: bytes, cells: dict[str, bytes]):
    """Write cells ({"f:c": value, ...}) into row, unconditionally."""
    values = [_column_value(column, value)
              for column, value in cells.items()]
    tput = _binary(1, row) + _struct_list(2, values)
    arguments = _binary(1, table.encode()) + _struct(2, tput)
    _call(gateway, "put", arguments, _void_readers)


def delete_columns(gateway: str, table: str, row: bytes,
                   columns: list[str]):
    """Delete every version of the named columns of row."""
    tdelete = (_binary(1, row)
               + _struct_list(2, [_column(column) for column in columns])
               + _field(T_I32, 4, struct.pack("!i", DELETE_COLUMNS)))
    arguments = _binary(1, table.encode()) + _struct(2, tdelete)
    _call(gateway, "deleteSingle", arguments, _void_readers)


def get(gateway: str, table: str, row: bytes,
        columns: list[str]) -> dict[str, bytes]:
    """Read the named columns of row; a missing cell is left out."""
    tget = _binary(1, row) + _struct_list(2, [_column(c) for c in columns])
    arguments = _binary(1, table.encode()) + _struct(2, tget)

    def result_readers(reader):
        def read_result():
            fields = reader.read_struct({
                2: (T_LIST, lambda: _read_column_values(reader)),
            })
            return fields.get(2, {})

        return {
            0: (T_STRUCT, read_result),
            1: (T_STRUCT, lambda: thrift_probe.read_io_error(reader)),
        }

    return _call(gateway, "get", arguments, result_readers).get(0, {})


def decode_epoch(value: bytes) -> int:
    """Decode an 8-byte big-endian epoch cell."""
    return struct.unpack("!q", value)[0]
