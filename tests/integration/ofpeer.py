#!/usr/bin/env python3
"""A peer of wattson's offload protocol written from its specification
(console/core/ofwire.h, console/part/ofmsg.h), not from its code: the
integration test's stranger.  Its CRC32C is its own table over the
Castagnoli polynomial, so a frame it accepts from wattson checks the
wire format as well as the behaviour.

  ofpeer.py server MODE PORTFILE   listen on 127.0.0.1:0, write the port
      MODE v2       answer with a HELLO of protocol version 2, print what
                    wattson sends back
      MODE drop     a proper remote until a REQUEST comes: then close
      MODE silent   a proper remote that never answers a REQUEST
  ofpeer.py client MODE PORT       connect to a wattson offload serve
      MODE v2       send a version-2 HELLO, print the ERROR it gets
      MODE badcrc   send a HELLO whose CRC is wrong, print the ERROR
      MODE trunc    send half a header and close
      MODE remote   send a HELLO claiming to be a remote, print the ERROR
"""
import socket
import struct
import sys

MAGIC = 0x46464F57
HELLO, REQUEST, ACTIVATION, RESULT, PING, PONG, ERROR, BYE, ACK = range(1, 10)


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)
assert crc32c(b"123456789") == 0xE3069283


def frame(ftype, payload=b"", version=1, stream=0, seq=0, prio=0, bad=False):
    hdr = struct.pack("<IBBBBIII", MAGIC, version, ftype, prio, 0, stream,
                      seq, len(payload))
    crc = crc32c(payload, crc32c(hdr))
    if bad:
        crc ^= 1
    return hdr + struct.pack("<I", crc) + payload


def hello(role, version=1):
    body = struct.pack("<B3xIdd", role, 1, 1.0, 1.0) + b"ofpeer".ljust(32,
                                                                      b"\0")
    return frame(HELLO, body, version=version)


def read_frame(sock):
    """(type, stream, seq, payload), or None at EOF."""
    hdr = recv_all(sock, 24)
    if hdr is None:
        return None
    magic, ver, ftype, prio, flags, stream, seq, n, crc = struct.unpack(
        "<IBBBBIIII", hdr)
    if magic != MAGIC:
        raise SystemExit("ofpeer: bad magic from wattson")
    payload = recv_all(sock, n) if n else b""
    if crc32c(payload, crc32c(hdr[:20])) != crc:
        raise SystemExit("ofpeer: bad CRC from wattson")
    return ftype, stream, seq, payload


def recv_all(sock, n):
    buf = b""
    while len(buf) < n:
        got = sock.recv(n - len(buf))
        if not got:
            return None
        buf += got
    return buf


def print_error(sock):
    """Prints the first ERROR wattson sends (or EOF)."""
    while True:
        f = read_frame(sock)
        if f is None:
            print("EOF")
            return
        if f[0] == ERROR:
            print("ERROR " + f[3].decode("ascii", "replace"))
            return


def serve(mode, portfile):
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(lis.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = lis.accept()
        if mode == "v2":
            conn.sendall(hello(2, version=2))
            try:
                print_error(conn)
            except (ConnectionError, SystemExit) as e:
                print("closed", e)
            sys.stdout.flush()
            conn.close()
            continue
        try:
            remote(conn, mode)
        except (ConnectionError, SystemExit):
            pass
        conn.close()


def remote(conn, mode):
    while True:
        f = read_frame(conn)
        if f is None:
            return
        ftype, stream, seq, payload = f
        if ftype == HELLO:
            conn.sendall(hello(2))
        elif ftype == PING:
            token = payload[:8]
            conn.sendall(frame(PONG, token + struct.pack("<Qd", 24 +
                                                         len(payload), 0.0),
                               stream=stream, seq=seq))
        elif ftype == REQUEST:
            print("REQUEST", stream)
            sys.stdout.flush()
            if mode == "drop":
                conn.close()
                return
            # silent: never answers


def client(mode, port):
    s = socket.create_connection(("127.0.0.1", int(port)))
    if mode == "v2":
        s.sendall(hello(1, version=2))
    elif mode == "badcrc":
        f = bytearray(hello(1))
        f[30] ^= 0xFF  # a payload byte: the CRC no longer matches
        s.sendall(bytes(f))
    elif mode == "remote":
        s.sendall(hello(2))
    elif mode == "trunc":
        s.sendall(hello(1)[:12])
        s.close()
        print("sent 12 bytes")
        return
    print_error(s)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve(sys.argv[2], sys.argv[3])
    else:
        client(sys.argv[2], sys.argv[3])
