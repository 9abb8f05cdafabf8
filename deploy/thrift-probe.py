#!/usr/bin/env python3
"""Check that an HBase Thrift2 gateway serves requests.

Sends two THBaseService calls over a buffered socket with the Thrift binary
protocol, which is the hbase.thrift2.ThriftServer default:

* getThriftServerType() must return TThriftServerType.TWO (2).
* tableExists(TTableName) must return a bool. A TIOError reply means the
  gateway is up but HBase behind it is not ready yet.

The messages are encoded by hand with struct so the probe needs only the
standard library. Field ids and types come from
hbase-thrift/src/main/resources/org/apache/hadoop/hbase/thrift2/hbase.thrift
in HBase 2.6.1.

Exit status: 0 when both calls succeed, 1 when a call fails or returns an
unexpected value, 2 on invalid arguments.
"""

import argparse
import socket
import struct
import sys

# Thrift binary protocol type ids.
T_STOP = 0
T_BOOL = 2
T_I32 = 8
T_STRING = 11
T_STRUCT = 12
T_MAP = 13
T_SET = 14
T_LIST = 15

VERSION_1 = 0x80010000
MESSAGE_CALL = 1
MESSAGE_REPLY = 2
MESSAGE_EXCEPTION = 3

THRIFT_SERVER_TYPE_TWO = 2


class ProbeError(Exception):
    """A call failed, or its reply was not what the Thrift2 IDL defines."""


class Reader:
    """Reads Thrift binary protocol values from a connected socket."""

    def __init__(self, sock):
        self.sock = sock

    def read_exact(self, count):
        chunks = []
        remaining = count
        while remaining > 0:
            chunk = self.sock.recv(remaining)
            if not chunk:
                raise ProbeError("connection closed by the gateway before the reply was complete")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def read_byte(self):
        return struct.unpack("!b", self.read_exact(1))[0]

    def read_i16(self):
        return struct.unpack("!h", self.read_exact(2))[0]

    def read_i32(self):
        return struct.unpack("!i", self.read_exact(4))[0]

    def read_binary(self):
        length = self.read_i32()
        if length < 0:
            raise ProbeError(f"invalid negative string length {length} in reply")
        return self.read_exact(length)

    def skip(self, field_type):
        """Skip one value of field_type, including nested containers."""
        fixed_sizes = {T_BOOL: 1, 3: 1, 4: 8, 6: 2, T_I32: 4, 10: 8}
        if field_type in fixed_sizes:
            self.read_exact(fixed_sizes[field_type])
        elif field_type == T_STRING:
            self.read_binary()
        elif field_type == T_STRUCT:
            self.read_struct({})
        elif field_type == T_MAP:
            key_type = self.read_byte()
            value_type = self.read_byte()
            for _ in range(self.read_i32()):
                self.skip(key_type)
                self.skip(value_type)
        elif field_type in (T_SET, T_LIST):
            element_type = self.read_byte()
            for _ in range(self.read_i32()):
                self.skip(element_type)
        else:
            raise ProbeError(f"unknown Thrift type id {field_type} in reply")

    def read_struct(self, readers):
        """Read a struct, decoding the field ids listed in readers.

        readers maps a field id to (expected type, function that reads the
        value). Other fields are skipped. Returns {field id: value}.
        """
        values = {}
        while True:
            field_type = self.read_byte()
            if field_type == T_STOP:
                return values
            field_id = self.read_i16()
            expected = readers.get(field_id)
            if expected is not None and expected[0] == field_type:
                values[field_id] = expected[1]()
            else:
                self.skip(field_type)


def encode_string(value):
    return struct.pack("!i", len(value)) + value


def encode_field_header(field_type, field_id):
    return struct.pack("!bh", field_type, field_id)


def encode_call(name, sequence_id, arguments):
    """Encode a strict binary protocol CALL message. arguments is an encoded struct body."""
    header = struct.pack("!I", VERSION_1 | MESSAGE_CALL)
    header += encode_string(name.encode("ascii"))
    header += struct.pack("!i", sequence_id)
    return header + arguments + struct.pack("!b", T_STOP)


def read_application_exception(reader):
    fields = reader.read_struct({
        1: (T_STRING, reader.read_binary),
        2: (T_I32, reader.read_i32),
    })
    message = fields.get(1, b"").decode("utf-8", "replace")
    return f"TApplicationException type {fields.get(2, 0)}: {message}"


def call(sock, name, sequence_id, arguments, result_readers):
    """Send one call and return the decoded fields of its result struct."""
    sock.sendall(encode_call(name, sequence_id, arguments))
    reader = Reader(sock)

    version_and_type = reader.read_i32() & 0xFFFFFFFF
    if version_and_type & 0xFFFF0000 != VERSION_1:
        raise ProbeError(f"{name}: reply is not strict binary protocol (header 0x{version_and_type:08x})")
    reply_name = reader.read_binary().decode("ascii", "replace")
    reply_sequence_id = reader.read_i32()
    message_type = version_and_type & 0xFF

    if message_type == MESSAGE_EXCEPTION:
        raise ProbeError(f"{name}: {read_application_exception(reader)}")
    if message_type != MESSAGE_REPLY:
        raise ProbeError(f"{name}: unexpected message type {message_type} in reply")
    if reply_name != name or reply_sequence_id != sequence_id:
        raise ProbeError(
            f"{name}: reply is for {reply_name!r} sequence {reply_sequence_id}, "
            f"expected sequence {sequence_id}"
        )
    return reader.read_struct(result_readers(reader))


def probe_server_type(sock):
    result = call(sock, "getThriftServerType", 1, b"",
                  lambda reader: {0: (T_I32, reader.read_i32)})
    if 0 not in result:
        raise ProbeError("getThriftServerType: reply has no success value")
    return result[0]


def read_io_error(reader):
    fields = reader.read_struct({1: (T_STRING, reader.read_binary)})
    return fields.get(1, b"").decode("utf-8", "replace")


def probe_table_exists(sock, namespace, table):
    # The argument is tableExists(1: TTableName tableName), and TTableName is
    # {1: optional binary ns, 2: required binary qualifier}.
    table_name = b""
    if namespace:
        table_name += encode_field_header(T_STRING, 1) + encode_string(namespace.encode("utf-8"))
    table_name += encode_field_header(T_STRING, 2) + encode_string(table.encode("utf-8"))
    table_name += struct.pack("!b", T_STOP)
    arguments = encode_field_header(T_STRUCT, 1) + table_name

    def result_readers(reader):
        return {
            0: (T_BOOL, lambda: reader.read_byte() != 0),
            1: (T_STRUCT, lambda: read_io_error(reader)),
        }

    result = call(sock, "tableExists", 2, arguments, result_readers)
    if 1 in result:
        raise ProbeError(f"tableExists: HBase returned TIOError: {result[1]}")
    if 0 not in result:
        raise ProbeError("tableExists: reply has no success value")
    return result[0]


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Call getThriftServerType and tableExists on an HBase Thrift2 gateway "
                    "(binary protocol, buffered transport).")
    parser.add_argument("--host", default="127.0.0.1", help="gateway address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="gateway TCP port")
    parser.add_argument("--table", default="jobleader_probe_missing",
                        help="table name passed to tableExists (default jobleader_probe_missing)")
    parser.add_argument("--namespace", default="",
                        help="namespace of --table (default: the HBase default namespace)")
    parser.add_argument("--expect-table", choices=("any", "true", "false"), default="any",
                        help="fail unless tableExists returns this value (default any)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="socket connect and read timeout in seconds (default 10)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser.parse_args(argv)


def main(argv):
    args = parse_arguments(argv)
    try:
        with socket.create_connection((args.host, args.port), timeout=args.timeout) as sock:
            server_type = probe_server_type(sock)
            if server_type != THRIFT_SERVER_TYPE_TWO:
                raise ProbeError(
                    f"getThriftServerType returned {server_type}, expected {THRIFT_SERVER_TYPE_TWO}: "
                    f"port {args.port} serves the Thrift1 interface, not Thrift2")
            exists = probe_table_exists(sock, args.namespace, args.table)
    except (OSError, ProbeError) as error:
        print(f"thrift-probe: {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1

    if args.expect_table != "any" and str(exists).lower() != args.expect_table:
        print(f"thrift-probe: {args.host}:{args.port}: tableExists({args.table}) returned "
              f"{str(exists).lower()}, expected {args.expect_table}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"getThriftServerType={server_type} tableExists({args.table})={str(exists).lower()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
