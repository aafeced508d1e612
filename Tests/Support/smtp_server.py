#!/usr/bin/env python3
"""A real SMTP server for the tests: aiosmtpd with implicit TLS (or STARTTLS) and AUTH.

It makes its own CA and a server certificate for 127.0.0.1 (written to --cert-dir, so the
client can trust the CA; kept if they are there already, so a restarted server is trusted
too), stores every accepted message as a file in --maildir, and prints "READY <port>" once
it accepts connections. --refuse N answers the first N messages' content with 554 (a message
refused after DATA). It stops when its standard input closes.
"""
import argparse
import datetime
import ipaddress
import os
import socket
import ssl
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificates(directory):
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")}
    if all(os.path.exists(path) for path in paths.values()):
        return paths
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "catalog-bff test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    os.makedirs(directory, exist_ok=True)
    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


class Store:
    def __init__(self, maildir, refuse):
        self.maildir = maildir
        self.refuse = refuse
        os.makedirs(maildir, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "554 5.7.1 Message content rejected"
        name = os.path.join(self.maildir, uuid.uuid4().hex)
        with open(name + ".tmp", "wb") as f:
            f.write(("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\n" % (
                envelope.mail_from, ",".join(envelope.rcpt_tos))).encode())
            f.write(envelope.original_content)
        os.rename(name + ".tmp", name + ".eml")
        return "250 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--cert-dir", required=True)
    parser.add_argument("--mode", choices=["ssl", "starttls"], default="ssl")
    parser.add_argument("--user", default="orders@example.ru")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--refuse", type=int, default=0)
    args = parser.parse_args()

    paths = make_certificates(args.cert_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(paths["server.pem"], paths["server.key"])

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
            and auth_data.password.decode() == args.password
        # handled=False: aiosmtpd answers 535 itself, as a real server does (with the default it
        # answers nothing, and a client with a wrong password waits for its timeout).
        return AuthResult(success=ok, handled=False)

    port = args.port
    if port == 0:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    # With implicit TLS the whole session is encrypted, but aiosmtpd only knows about
    # STARTTLS; so AUTH is required over TLS only in the STARTTLS mode.
    options = dict(hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True,
                   auth_require_tls=(args.mode == "starttls"))
    if args.mode == "ssl":
        controller = Controller(Store(args.maildir, args.refuse), ssl_context=context, **options)
    else:
        controller = Controller(Store(args.maildir, args.refuse), tls_context=context, require_starttls=True, **options)
    controller.start()
    print("READY %d" % port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
