"""Behind a reverse proxy: believe X-Forwarded-* only when the request comes from a trusted proxy.

Anyone can send an X-Forwarded-For header. Applied to every request, werkzeug's ProxyFix would
let a client choose the address that throttling counts and the audit log records. Here the fix
applies only when the connection itself comes from an address in TRUSTED_PROXIES; from anyone
else the forwarding headers are removed before the app sees them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDING_HEADERS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """ "10.0.0.5", "10.0.0.0/8", "::1": each an address or a network; a typo fails at start-up."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


class TrustedProxyFix:
    """WSGI middleware: ProxyFix for requests from trusted proxies, forwarding headers dropped
    for everyone else."""

    def __init__(
        self,
        app,
        trusted: Iterable[str],
        *,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        self.app = app
        self.networks = parse_networks(trusted)
        self.fixed = ProxyFix(
            app, x_for=x_for, x_proto=x_proto, x_host=x_host, x_port=x_port, x_prefix=x_prefix
        )

    def is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.is_trusted(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        for key in FORWARDING_HEADERS:
            environ.pop(key, None)
        return self.app(environ, start_response)


def init_app(app: Flask) -> None:
    """Wrap the WSGI app; without TRUSTED_PROXIES every forwarding header is ignored."""
    config = app.config
    trusted = config.get("TRUSTED_PROXIES") or ()
    if isinstance(trusted, str):  # "10.0.0.1, 10.0.1.0/24" from an instance config file
        trusted = trusted.split(",")
    app.wsgi_app = TrustedProxyFix(
        app.wsgi_app,
        trusted,
        x_for=config["PROXY_FIX_X_FOR"],
        x_proto=config["PROXY_FIX_X_PROTO"],
        x_host=config["PROXY_FIX_X_HOST"],
        x_port=config["PROXY_FIX_X_PORT"],
        x_prefix=config["PROXY_FIX_X_PREFIX"],
    )
