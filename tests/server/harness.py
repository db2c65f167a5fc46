"""Start civic-server on a free loopback port and talk to it (stdlib only).

Shared by tests/server/test_*.py and examples/server/loadtest.py.  Every
address used is on the loopback range; every wait is bounded.
"""
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import tempfile
import time


def free_port(host="127.0.0.1"):
    """A port nothing listens on, picked below the kernel's ephemeral range:
    a port the kernel hands out (bind to 0) is one it may hand again, to any
    client's outgoing connection, before the server binds it; a port below
    the range only another test's pick can take."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    for _ in range(50 if low > 11024 else 0):
        port = random.randrange(low - 10000, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
                return port
            except OSError:
                continue
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_taken(output, port):
    """Whether a server's output says it exited because `port` was in use."""
    return ("cannot listen on" in output and "port %d: Address already in use" % port in output)


def rss_kib(pid):
    """Resident set size of a process, from /proc (KiB)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def make_tokens(binary, path, entries):
    """Write a tokens file with `civic-server --hash-token`; entries: [(name, role, token)]."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        os.fchmod(f.fileno(), 0o600)  # as the manual says: else a warning
        for name, role, token in entries:
            out = subprocess.run([binary, "--hash-token", name, role], input=token + "\n",
                                 capture_output=True, text=True, check=True, timeout=30)
            f.write(out.stdout)
    return path


def self_signed_cert(directory):
    """A throw-away certificate for 127.0.0.1: (cert, key) paths, with the openssl CLI."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=60)
    return cert, key


class Server:
    def __init__(self, binary, data=None, extra=(), token=None, tls_ca=None, env=None):
        self.binary = binary
        self.env = env  # None: this process's environment
        self.data = data
        self.extra = list(extra)
        self.token = token
        self.tls_ca = tls_ca
        self.proc = None
        self.port = None

    def start(self, timeout=30, tries=5):
        """Start on a free port.  The port is free when free_port() looks, but
        another process (a parallel run's server, a client's ephemeral port)
        may take it before the server binds it: then, and only then, the
        start is tried again on another port, up to `tries` times."""
        self.port = free_port()
        cmd = [self.binary, "--port", str(self.port)] + self.extra
        if self.data:
            cmd += ["--data", self.data]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                said = self.output()
                if tries > 1 and port_taken(said, self.port):
                    return self.start(timeout, tries - 1)
                raise RuntimeError("server exited: %s" % said)
            try:
                status, _, _ = self.raw("GET", "/healthz", timeout=1)
                if status == 200:
                    return self
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def connection(self, timeout=60, source=None):
        src = (source, 0) if source else None
        if self.tls_ca:
            ctx = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx, source_address=src)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=src)

    def raw(self, method, path, body=None, headers=None, timeout=60, token=None, conn=None):
        """(status, headers dict, body bytes).  token=None uses self.token; "" sends none."""
        h = dict(headers or {})
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if conn is None:
                c.close()

    def request(self, method, path, body=None, ctype=None, timeout=60, token=None):
        """(status, parsed JSON body or {"raw": text})."""
        import decimal
        headers = {"Content-Type": ctype} if ctype else {}
        status, _, data = self.raw(method, path, body, headers, timeout, token)
        try:
            return status, json.loads(data, parse_float=decimal.Decimal)
        except ValueError:
            return status, {"raw": data.decode(errors="replace")}

    def stop(self, sig=None):
        import signal
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
            self.proc.wait(timeout=60)
        return self.proc.returncode
