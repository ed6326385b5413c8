#!/usr/bin/python3
"""Measures a published edgehost binary from the outside, speaking the wire protocol (docs/protocol.md) itself.

Called by tools/measure-edgehost.sh, which prints the machine and the binary sizes first:
    measure_edgehost.py prepare WORKDIR BINARY...           galleries for the other steps (1k x 128, 1k x 512, 10k x 512)
    measure_edgehost.py relay WORKDIR                       a socat pty pair alone, for comparison
    measure_edgehost.py measure WORKDIR LABEL BINARY...     start-up, memory and IDENTIFY round trips of one build
BINARY... is the command that runs edgehost: the binary itself, or qemu-aarch64 -L SYSROOT BINARY.
Numbers are measurements of this machine at this moment (other load included), not guarantees.
"""
import math
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
import tty
import zlib

import numpy as np

PING, IDENTIFY, ENROLL = 0x01, 0x02, 0x04
STARTUP_RUNS = 10
ROUND_TRIPS = 500


# ---- the protocol: COBS, CRC-32, frames ------------------------------------------------------------------------
def cobs_encode(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out += b"\xff" + block
                block.clear()
    return bytes(out + bytes([len(block) + 1]) + block)


def cobs_decode(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad COBS")
        out += data[i + 1:i + code]
        i += code
        if code < 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def frame(msg_type: int, seq: int, body: bytes = b"") -> bytes:
    raw = struct.pack("<BBH", 1, msg_type, seq) + body
    return cobs_encode(raw + struct.pack("<I", zlib.crc32(raw))) + b"\0"


def identify_body(k: int, v: np.ndarray) -> bytes:
    return bytes([k, 0]) + v.astype("<f4").tobytes()


def enroll_body(ident: str, v: np.ndarray) -> bytes:
    raw = ident.encode()
    return bytes([len(raw)]) + raw + b"\0" + v.astype("<f4").tobytes()


class Link:
    """One byte stream to a host (a Unix socket or the far end of a pseudo-terminal) and its request loop."""

    def __init__(self, read, write, close):
        self._read, self._write, self._close = read, write, close
        self._buffer = b""
        self._seq = 0
        self._write(b"\0")   # flush whatever partial frame the host's reader holds

    @staticmethod
    def unix(path: str) -> "Link":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return Link(lambda: s.recv(65536), s.sendall, s.close)

    @staticmethod
    def pty(path: str) -> "Link":
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)

        def write(data: bytes):
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        return Link(lambda: os.read(fd, 65536), write, lambda: os.close(fd))

    def request(self, msg_type: int, body: bytes = b"") -> bytes:
        self._seq = (self._seq + 1) & 0xFFFF
        self._write(frame(msg_type, self._seq, body))
        while True:
            end = self._buffer.find(b"\0")
            if end < 0:
                chunk = self._read()
                if not chunk:
                    raise EOFError("the host closed the stream")
                self._buffer += chunk
                continue
            wire, self._buffer = self._buffer[:end], self._buffer[end + 1:]
            if not wire:
                continue
            raw = cobs_decode(wire)
            if len(raw) < 8 or struct.unpack("<I", raw[-4:])[0] != zlib.crc32(raw[:-4]):
                raise ValueError("bad reply frame")
            _, reply_type, seq = struct.unpack("<BBH", raw[:4])
            if seq != self._seq:
                continue
            body = raw[4:-4]
            if reply_type == 0xFF:
                raise RuntimeError(f"ERROR {body[0]}: {body[2:2 + body[1]].decode()}")
            return body

    def close(self):
        self._close()


# ---- processes -------------------------------------------------------------------------------------------------
def serve(cmd, gallery, dim, *transport, read_only=True):
    args = [*cmd, "serve", "--gallery", gallery, "--dim", str(dim), *transport]
    if read_only:
        args.append("--read-only")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process):
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=120)
    if code != 0:
        raise RuntimeError(f"edgehost exited {code} on SIGTERM")


def first_ping_unix(process, path, patience=120.0):
    """Connects and PINGs until answered; returns the connected link."""
    deadline = time.monotonic() + patience
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"edgehost exited {process.returncode} before answering")
        try:
            link = Link.unix(path)
            link.request(PING)
            return link
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise TimeoutError("no PING answer")
            time.sleep(0.001)


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024   # kB -> MiB
    return fields["VmRSS"], fields["VmHWM"]


class PtyPair:
    def __init__(self):
        self.process = subprocess.Popen(["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
                                        stderr=subprocess.PIPE, text=True)
        ptys = []
        for line in self.process.stderr:
            if "PTY is " in line:
                ptys.append(line.rsplit("PTY is ", 1)[1].strip())
            elif "starting data transfer loop" in line:
                break
        self.a, self.b = ptys

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


# ---- steps -----------------------------------------------------------------------------------------------------
def rng_vectors(seed, n, dim):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def galleries(workdir):
    return [(os.path.join(workdir, f"g{n}x{dim}.elg"), n, dim) for n, dim in ((1000, 128), (1000, 512), (10000, 512))]


def prepare(workdir, cmd):
    """Enrolls each gallery over a Unix socket, one identity per template (every ENROLL is fsynced)."""
    for path, n, dim in galleries(workdir):
        if os.path.exists(path):
            continue
        sock = os.path.join(workdir, "prepare.sock")
        host = serve(cmd, path + ".tmp", dim, "--listen", "unix:" + sock, read_only=False)
        try:
            link = first_ping_unix(host, sock)
            vectors = rng_vectors(n + dim, n, dim)
            t0 = time.perf_counter()
            for i in range(n):
                link.request(ENROLL, enroll_body(f"person-{i:05d}", vectors[i]))
            seconds = time.perf_counter() - t0
            link.close()
        finally:
            stop(host)
        os.rename(path + ".tmp", path)
        print(f"  prepared {n} x {dim}: {n} ENROLLs over a unix socket in {seconds:.1f} s "
              f"({n / seconds:.0f}/s, each fsynced before its reply); file {os.path.getsize(path) / 2**20:.1f} MiB")


def percentile(values, q):
    """Nearest rank: the smallest value with at least q of all values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(workdir, label, cmd):
    print(f"== {label}: {' '.join(cmd)}")
    sock = os.path.join(workdir, "m.sock")

    # Start-up: process start to the first PING answered over a Unix socket, empty gallery (a file created by a
    # first run that is not counted, so every counted run opens the same existing file).
    empty = os.path.join(workdir, "empty.elg")
    for path in (empty, sock):
        if os.path.exists(path):
            os.remove(path)
    times, rss_empty = [], None
    for run in range(STARTUP_RUNS + 1):
        t0 = time.perf_counter()
        host = serve(cmd, empty, 512, "--listen", "unix:" + sock, read_only=False)
        try:
            link = first_ping_unix(host, sock)
            elapsed = time.perf_counter() - t0
            if run > 0:
                times.append(elapsed * 1000)
            if run == STARTUP_RUNS:
                link.request(IDENTIFY, identify_body(5, rng_vectors(1, 1, 512)[0]))
                rss_empty = memory(host.pid)
            link.close()
        finally:
            stop(host)
    print(f"  start to first PING, empty gallery: median {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}; {STARTUP_RUNS} runs)")
    print(f"  memory, empty gallery (dim 512, after a PING and an IDENTIFY): VmRSS {rss_empty[0]:.1f} MiB, VmHWM {rss_empty[1]:.1f} MiB")

    # The 10k x 512 gallery: start-up (it is read and checked when the host starts), then memory after IDENTIFYs.
    big = os.path.join(workdir, "g10000x512.elg")
    times = []
    for run in range(4):
        t0 = time.perf_counter()
        host = serve(cmd, big, 512, "--listen", "unix:" + sock)
        try:
            link = first_ping_unix(host, sock)
            times.append((time.perf_counter() - t0) * 1000)
            if run == 3:
                for v in rng_vectors(2, 20, 512):
                    link.request(IDENTIFY, identify_body(5, v))
                rss_big = memory(host.pid)
            link.close()
        finally:
            stop(host)
    print(f"  start to first PING, 10k x 512 f32 gallery: median {statistics.median(times[1:]):.0f} ms (3 runs)")
    print(f"  memory, 10k x 512 f32 gallery (after 20 IDENTIFYs): VmRSS {rss_big[0]:.1f} MiB, VmHWM {rss_big[1]:.1f} MiB")

    # IDENTIFY (k = 5, float32 query) round trips on a 1k-identity gallery, over a pseudo-terminal pair and over the
    # Unix socket of the same host. A pty has no line rate: this is the host's and the stack's time, not a UART's.
    for dim in (128, 512):
        path = os.path.join(workdir, f"g1000x{dim}.elg")
        pty = PtyPair()
        host = serve(cmd, path, dim, "--serial", pty.a, "--listen", "unix:" + sock)
        try:
            first_ping_unix(host, sock).close()
            results = {}
            for name, opener in (("pty", lambda: Link.pty(pty.b)), ("unix socket", lambda: Link.unix(sock))):
                link = opener()
                queries = rng_vectors(3 + dim, ROUND_TRIPS + 20, dim)
                bodies = [identify_body(5, q) for q in queries]
                for body in bodies[:20]:
                    link.request(IDENTIFY, body)    # warm-up
                rtt = []
                for body in bodies[20:]:
                    t0 = time.perf_counter()
                    link.request(IDENTIFY, body)
                    rtt.append((time.perf_counter() - t0) * 1000)
                link.close()
                results[name] = rtt
            for name, rtt in results.items():
                print(f"  IDENTIFY k=5, 1k x {dim} f32 gallery, over a {name}: p50 {percentile(rtt, 0.50):.3f} ms, "
                      f"p95 {percentile(rtt, 0.95):.3f} ms, max {max(rtt):.3f} ms ({ROUND_TRIPS} requests)")
        finally:
            stop(host)
            pty.close()


def relay(workdir):
    """The pseudo-terminal pair alone: the bytes of an IDENTIFY there and of its reply back, relayed by socat."""
    for dim in (128, 512):
        pty = PtyPair()
        try:
            a, b = Link.pty(pty.a), Link.pty(pty.b)   # each sends a 0x00 first: drain them
            request = frame(IDENTIFY, 1, identify_body(5, rng_vectors(dim, 1, dim)[0]))
            reply = b"x" * 95 + b"\0"
            rtt = []
            for i in range(ROUND_TRIPS + 20):
                t0 = time.perf_counter()
                a._write(request)
                received = b""
                while not received.endswith(request):
                    received += b._read()
                b._write(reply)
                received = b""
                while not received.endswith(reply):
                    received += a._read()
                if i >= 20:
                    rtt.append((time.perf_counter() - t0) * 1000)
            a.close()
            b.close()
        finally:
            pty.close()
        print(f"  socat pty pair alone, {len(request)} bytes there and {len(reply)} back (an IDENTIFY at dim {dim}): "
              f"p50 {percentile(rtt, 0.50):.3f} ms, p95 {percentile(rtt, 0.95):.3f} ms")


def main():
    step, workdir = sys.argv[1], sys.argv[2]
    if step == "prepare":
        prepare(workdir, sys.argv[3:])
    elif step == "relay":
        relay(workdir)
    elif step == "measure":
        measure(workdir, sys.argv[3], sys.argv[4:])
    else:
        sys.exit(f"unknown step {step}")


if __name__ == "__main__":
    main()
