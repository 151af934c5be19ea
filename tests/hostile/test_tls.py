"""TLS: an expired certificate from a trusted CA is refused (and accepted only with ssl=False).
Unknown CA and wrong hostname are in tests/test_client_tls.py."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import ferrocrawl
import pytest

from tests.servers.tls import _ca

from .scripted import answer, response


def expired_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A CA (valid) and a leaf for 127.0.0.1 it signed that expired yesterday:
    (ca.pem, leaf.pem, leaf.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, ca_cert = _ca("ferrocrawl hostile CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now - dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"
    ca_file.write_bytes(ca_cert.public_bytes(pem))
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


async def test_expired_certificate_is_refused(scripted, tmp_path):
    ca_file, cert_file, key_file = expired_certificate(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    srv = scripted(lambda conn: answer(conn, response(body=b"ok")), ssl_context=ctx)
    url = srv.url("/")
    assert url.startswith("https://")
    async with ferrocrawl.ClientSession(ssl=str(ca_file)) as s:
        with pytest.raises(ferrocrawl.TLSError) as ei:
            await s.get(url)
        assert ei.value.url == url
        assert "expired" in str(ei.value).lower()
        # the same server, the same CA: only the date is wrong; ssl=False is the way past it
        assert await (await s.get(url, ssl=False)).read() == b"ok"
    assert len(srv.requests) == 1  # the refused handshake sent no request
