"""A TCP proxy in front of one ZooKeeper server that can lose a reply.

It forwards ZooKeeper's length-prefixed frames in both directions. When
armed, it lets the first create request of a connection reach the server,
then drops the server's reply and closes the connection, as a network
failure right after the server applied the create would. The client
reconnects through the proxy with the same session.

Frames after the connect handshake: requests start with xid (int32) and
op type (int32); replies start with xid (int32), zxid (int64) and error
(int32). Op type 1 is create and 15 is create2.
"""

from __future__ import annotations

import socket
import struct
import threading

CREATE_OPS = {1, 15}


def read_frame(sock: socket.socket) -> bytes | None:
    header = read_exactly(sock, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">i", header)
    body = read_exactly(sock, length)
    return None if body is None else header + body


def read_exactly(sock: socket.socket, count: int) -> bytes | None:
    chunks = []
    while count > 0:
        try:
            chunk = sock.recv(count)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


class LossyZooKeeperProxy:
    """Listens on 127.0.0.1 and forwards to one ZooKeeper server."""

    def __init__(self, server_port: int):
        self.server_port = server_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.dropped_replies = 0
        self.closed = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def arm(self):
        """Lose the reply to the next create request."""
        self.armed.set()

    def close(self):
        self.closed = True
        self.listener.close()

    def accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.server_port))
            pending = {}
            threading.Thread(target=self.pump_requests,
                             args=(client, server, pending),
                             daemon=True).start()
            threading.Thread(target=self.pump_replies,
                             args=(server, client, pending),
                             daemon=True).start()

    def pump_requests(self, client, server, pending):
        frame = read_frame(client)  # the connect request has no xid
        while frame is not None:
            if len(frame) >= 12 and "connected" in pending:
                xid, op = struct.unpack(">ii", frame[4:12])
                if op in CREATE_OPS and self.armed.is_set():
                    pending["drop_xid"] = xid
            pending["connected"] = True
            try:
                server.sendall(frame)
            except OSError:
                break
            frame = read_frame(client)
        shutdown(client, server)

    def pump_replies(self, server, client, pending):
        frame = read_frame(server)
        while frame is not None:
            if len(frame) >= 8 and "drop_xid" in pending:
                (xid,) = struct.unpack(">i", frame[4:8])
                if xid == pending["drop_xid"]:
                    self.armed.clear()
                    self.dropped_replies += 1
                    break
            try:
                client.sendall(frame)
            except OSError:
                break
            frame = read_frame(server)
        shutdown(client, server)


def shutdown(*sockets: socket.socket):
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
