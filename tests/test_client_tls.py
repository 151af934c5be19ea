"""TLS: verification on by default, ssl=False / verify_ssl=False, a CA file, clear failures."""

from __future__ import annotations

import ssl
import warnings

import ferrocrawl
import pytest


async def test_untrusted_certificate_fails_clearly(tls_server):
    url = tls_server.url("/echo")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.TLSError) as ei:
            await s.get(url)
    e = ei.value
    assert isinstance(e, ConnectionError) and isinstance(e, ferrocrawl.ClientConnectionError)
    assert e.url == url and url in str(e)
    msg = str(e).lower()
    assert "certificate" in msg or "cert" in msg
    assert "ssl=false" in msg.replace(" ", "").replace("`", "")  # says what to do next
    assert "ca=" not in msg  # names options that exist


@pytest.mark.parametrize("opts", [{"ssl": False}, {"verify_ssl": False}])
async def test_session_disables_verification(tls_server, opts):
    async with ferrocrawl.ClientSession(**opts) as s:
        r = await s.get(tls_server.url("/json"))
        assert r.status == 200 and (await r.json())["name"] == "ferrocrawl"


@pytest.mark.parametrize("opts", [{"ssl": False}, {"verify_ssl": False}])
async def test_request_disables_verification(tls_server, opts):
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(tls_server.url("/echo"), **opts)).status == 200


async def test_ca_file(tls_server):
    async with ferrocrawl.ClientSession(ssl=str(tls_server.ca_file)) as s:
        r = await s.get(tls_server.url("/echo"))
        assert (await r.json())["url"].startswith("https://127.0.0.1:")
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(tls_server.url("/echo"), ssl=str(tls_server.ca_file))).status == 200


async def test_wrong_ca_file_fails(tls_server):
    async with ferrocrawl.ClientSession(ssl=str(tls_server.other_ca_file)) as s:
        with pytest.raises(ferrocrawl.TLSError):
            await s.get(tls_server.url("/echo"))


async def test_missing_ca_file_is_an_error(tls_server, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises((ferrocrawl.FerrocrawlError, OSError)) as ei:
        async with ferrocrawl.ClientSession(ssl=missing) as s:
            await s.get(tls_server.url("/echo"))
    assert "nope.pem" in str(ei.value)


async def test_http2_option_falls_back_to_http1(tls_server):
    async with ferrocrawl.ClientSession(http2=True, ssl=str(tls_server.ca_file)) as s:
        assert (await s.get(tls_server.url("/echo"))).status == 200


async def test_https_redirect_chain(tls_server):
    async with ferrocrawl.ClientSession(ssl=False) as s:
        r = await s.get(tls_server.url("/redirect/2"))
        assert len(r.history) == 2 and r.url == tls_server.url("/redirect/0")


# ssl.SSLContext: what rustls can honour is honoured, what it cannot is refused (ValueError).


@pytest.fixture(scope="module")
def named_tls(tls_server):
    """A proxy that tunnels every host to the TLS server, whose certificate names only
    127.0.0.1 and localhost: https://shop.example.com/ meets a certificate for another name."""
    from tests.servers import HttpProxy

    proxy = HttpProxy(upstream=("127.0.0.1", tls_server.port))
    yield proxy
    proxy.close()


async def test_ssl_context_ca_certificates_are_trusted(tls_server):
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_file))
    async with ferrocrawl.ClientSession(ssl=ctx) as s:
        assert (await s.get(tls_server.url("/echo"))).status == 200
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(tls_server.url("/echo"), ssl=ctx)).status == 200
    # A context trusting another CA still fails: the chain is checked.
    other = ssl.create_default_context(cafile=str(tls_server.other_ca_file))
    async with ferrocrawl.ClientSession(ssl=other) as s:
        with pytest.raises(ferrocrawl.TLSError):
            await s.get(tls_server.url("/echo"))


async def test_ssl_context_check_hostname_false_still_verifies_the_chain(tls_server, named_tls):
    url = f"https://shop.example.com:{tls_server.port}/echo"
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_file))
    async with ferrocrawl.ClientSession(ssl=ctx, proxy=named_tls.url) as s:
        with pytest.raises(ferrocrawl.TLSError):  # the name is checked by default
            await s.get(url)
    ctx.check_hostname = False
    async with ferrocrawl.ClientSession(ssl=ctx, proxy=named_tls.url) as s:
        assert (await s.get(url)).status == 200
    other = ssl.create_default_context(cafile=str(tls_server.other_ca_file))
    other.check_hostname = False
    async with ferrocrawl.ClientSession(ssl=other, proxy=named_tls.url) as s:
        with pytest.raises(ferrocrawl.TLSError):
            await s.get(url)


def test_ssl_context_settings_that_cannot_be_honoured_are_refused():
    no_cas = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    no_cas.check_hostname = False  # but verify_mode stays CERT_REQUIRED: against which roots?
    with pytest.raises(ferrocrawl.InvalidArgument, match="check_hostname"):
        ferrocrawl.ClientSession(ssl=no_cas)
    old_tls = ssl.create_default_context()
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        old_tls.minimum_version = ssl.TLSVersion.TLSv1
        old_tls.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ValueError, match=r"TLS 1\.2"):
        ferrocrawl.ClientSession(ssl=old_tls)
    crl = ssl.create_default_context()
    crl.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    with pytest.raises(ValueError, match="CRL"):
        ferrocrawl.ClientSession(ssl=crl)


async def test_ssl_context_minimum_version_is_honoured(tls_server):
    ctx = ssl.create_default_context(cafile=str(tls_server.ca_file))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    async with ferrocrawl.ClientSession(ssl=ctx) as s:
        assert (await s.get(tls_server.url("/echo"))).status == 200
    none = ssl.create_default_context()
    none.check_hostname = False
    none.verify_mode = ssl.CERT_NONE
    async with ferrocrawl.ClientSession(ssl=none) as s:
        assert (await s.get(tls_server.url("/echo"))).status == 200
