#!/usr/bin/env python3
"""CTest examples.tls_echo: tls_echo_server and tls_client against each other and
crosswise against their CPython twins (examples/python/tls_*.py).

    tls_examples_test.py --server BUILD/tls_echo_server --client BUILD/tls_client --python PY

A CA and a leaf for localhost / 127.0.0.1 are made with the openssl CLI in a temporary
directory. Each pairing (our server or CPython's, our client or CPython's) must echo every
line, with the client verifying the certificate against the CA and the name "localhost".
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LINES = ["hello", "over TLS", "x" * 1000, "last"]


def make_certs(d):
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                "basicConstraints=critical,CA:FALSE\n")
    cmds = [
        f"openssl req -x509 -newkey rsa:2048 -nodes -keyout {d}/ca.key -out {d}/ca.pem -days 2 "
        "-subj '/CN=examples test CA' -addext 'basicConstraints=critical,CA:TRUE' "
        "-addext 'keyUsage=critical,keyCertSign,cRLSign'",
        f"openssl req -newkey rsa:2048 -nodes -keyout {d}/leaf.key -out {d}/leaf.csr "
        "-subj '/CN=localhost'",
        f"openssl x509 -req -in {d}/leaf.csr -CA {d}/ca.pem -CAkey {d}/ca.key -CAcreateserial "
        f"-out {d}/leaf.pem -days 2 -extfile {d}/ext.cnf",
    ]
    for c in cmds:
        subprocess.run(c, shell=True, check=True, capture_output=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc):
    for _ in range(200):
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--python", default="python3")
    a = ap.parse_args()
    env = dict(os.environ, PYENV_VERSION="3.13.0", PYTHONDONTWRITEBYTECODE="1")
    py_server = [a.python, os.path.join(HERE, "python", "tls_echo_server.py")]
    py_client = [a.python, os.path.join(HERE, "python", "tls_client.py")]
    servers = {"ours": [a.server], "cpython": py_server}
    clients = {"ours": [a.client], "cpython": py_client}
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        make_certs(d)
        for sname, scmd in servers.items():
            port = free_port()
            srv = subprocess.Popen(scmd + [str(port), f"{d}/leaf.pem", f"{d}/leaf.key"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                if not wait_listening(port, srv):
                    print(f"FAIL: {sname} server did not start: {srv.communicate()[1]}")
                    failures += 1
                    continue
                for cname, ccmd in clients.items():
                    r = subprocess.run(ccmd + ["localhost", str(port), f"{d}/ca.pem"] + LINES,
                                       env=env, capture_output=True, text=True, timeout=30)
                    ok = r.returncode == 0 and r.stdout.splitlines() == LINES
                    print(f"{'ok  ' if ok else 'FAIL'}: {cname} client -> {sname} server")
                    if not ok:
                        failures += 1
                        print(f"  rc={r.returncode}\n  stdout={r.stdout!r}\n  stderr={r.stderr}")
            finally:
                srv.kill()
                srv.wait()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
