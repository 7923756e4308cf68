#!/usr/bin/env python3
"""bench/idleconns.py -- hold N idle client connections open to a proxy.

usage: idleconns.py PORT N fresh|keepalive URL

fresh:     connect only, send nothing (the proxy has accepted, waits for a
           request head).
keepalive: send one complete GET URL (absolute form, HTTP/1.1) on each
           connection and read the whole answer (Content-Length framed),
           leaving the connection idle in keep-alive.
Prints "ready N" on stdout once all are open, then waits until stdin
closes (or 120 s) and closes them.  Exits 1 with a message on any error:
a connection the proxy closed or an answer that is not 200.
"""
import resource
import select
import socket
import sys


def read_answer(s, buf=b""):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise RuntimeError("proxy closed the connection")
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if b" 200 " not in lines[0] + b" ":
        raise RuntimeError("answer: %r" % lines[0])
    clen = None
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
    if clen is None:
        raise RuntimeError("answer without Content-Length")
    while len(body) < clen:
        d = s.recv(65536)
        if not d:
            raise RuntimeError("proxy closed mid-body")
        body += d


def main():
    port, n, mode, url = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            sys.exit("idleconns: descriptor hard limit %d < %d" % (hard, want))
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    host = url.split("/")[2]
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (url, host)).encode()
    conns = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        if mode == "keepalive":
            s.sendall(req)
            read_answer(s)
        conns.append(s)
    print("ready %d" % len(conns), flush=True)
    select.select([sys.stdin], [], [], 120)
    # check the proxy kept them all open
    lost = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                lost += 1
        except BlockingIOError:
            pass
        s.close()
    if lost:
        sys.exit("idleconns: the proxy closed %d of %d" % (lost, n))


if __name__ == "__main__":
    try:
        main()
    except (OSError, RuntimeError) as e:
        sys.exit("idleconns: %s" % e)
