"""TLS: an expired certificate from a trusted CA is refused (and accepted only with ssl=False).
Unknown CA and wrong hostname are in tests/test_client_tls.py."""

from __future__ import annotations

import ssl

import ferrocrawl
import pytest

from tests.servers.tls import make_certs

from .scripted import answer, response


async def test_expired_certificate_is_refused(scripted, tmp_path):
    certs = make_certs(tmp_path, expired=True)  # a valid CA, a leaf that expired yesterday
    ca_file = certs.ca_file
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.cert_file, certs.key_file)
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
