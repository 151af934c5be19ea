"""Certificates made at test time (cryptography), and the behaviour app over HTTPS.

certs = make_certs(folder)   # CA, a leaf for 127.0.0.1/localhost signed by it, another CA
srv = TlsServer.start()      # the `tls_server` fixture; srv.ca_file, srv.other_ca_file
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .app import AppServer


@dataclass(frozen=True)
class Certs:
    ca_file: Path  # PEM, the CA that signed the server's certificate
    cert_file: Path  # PEM, server certificate (SAN: IP 127.0.0.1, DNS localhost)
    key_file: Path  # PEM, server private key
    other_ca_file: Path  # PEM, an unrelated CA (verification with it must fail)


def _ca(name: str):  # type: ignore[no-untyped-def]
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_certs(folder: Path, *, expired: bool = False) -> Certs:
    """A test CA, a leaf for 127.0.0.1/localhost it signed (valid for 30 days, or, with
    `expired`, one that expired yesterday) and an unrelated CA, as PEM files in `folder`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, ca_cert = _ca("ferrocrawl test CA")
    _, other_cert = _ca("ferrocrawl unrelated CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30 if expired else 1))
        .not_valid_after(now + dt.timedelta(days=-1 if expired else 30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    out = Certs(
        folder / "ca.pem", folder / "server.pem", folder / "server.key", folder / "other-ca.pem"
    )
    out.ca_file.write_bytes(ca_cert.public_bytes(pem))
    out.other_ca_file.write_bytes(other_cert.public_bytes(pem))
    out.cert_file.write_bytes(cert.public_bytes(pem))
    out.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return out


class TlsServer(AppServer):
    """The behaviour app over HTTPS with a certificate from a test CA."""

    ca_file: Path
    other_ca_file: Path

    @classmethod
    def start(cls, name: str = "tls", ssl_context: ssl.SSLContext | None = None) -> TlsServer:
        folder = Path(tempfile.mkdtemp(prefix="fc-certs-"))
        certs = make_certs(folder)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certs.cert_file, certs.key_file)
        srv = cls(name, ssl_context or ctx)
        srv.ca_file, srv.other_ca_file = certs.ca_file, certs.other_ca_file
        srv._cert_dir = folder
        return srv

    def close(self) -> None:
        super().close()
        shutil.rmtree(getattr(self, "_cert_dir", ""), ignore_errors=True)

    def client_context(self) -> ssl.SSLContext:
        """An ssl context trusting the test CA (for peers such as aiohttp)."""
        return ssl.create_default_context(cafile=str(self.ca_file))
