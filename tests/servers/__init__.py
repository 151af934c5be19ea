"""Local servers for the test suite, all on 127.0.0.1 (one idea per module).

app.AppServer          aiohttp.web behaviour app (echo, redirects, status, retry-after, slow,
                       concurrency tracking, encodings, gzip bomb, charsets, files, auth)
tls.TlsServer          the same app over HTTPS with a test CA (tls.make_certs)
raw.RawServer          exact bytes: drip, reset, malformed, silent
httpbin_server         httpbin under gunicorn (subprocess)
http_proxy.HttpProxy   forwarding + CONNECT proxy that records requests
socks_proxy.Socks5Proxy
notebook.run_notebook  execute cells headless with nbclient
net.closed_port        a port where nothing listens
site.SiteServer        the generated crawl site (sitegen.Site) in a subprocess on 127.0.0.1,
                       with an offsite origin on 127.0.0.2 and a request log; expected_pages
"""

from .app import AppServer
from .http_proxy import HttpProxy
from .httpbin_server import HttpbinServer
from .net import HOST, closed_port
from .raw import RawServer
from .site import SiteServer
from .sitegen import expected_pages
from .socks_proxy import Socks5Proxy
from .tls import TlsServer

__all__ = [
    "HOST",
    "AppServer",
    "HttpProxy",
    "HttpbinServer",
    "RawServer",
    "SiteServer",
    "Socks5Proxy",
    "TlsServer",
    "closed_port",
    "expected_pages",
]
