"""
The port factory behind TLS: an C{ssl:} endpoint wraps it in C{TLSMemoryBIOFactory},
so the first-request sniffer sees decrypted bytes and must hand the connection over
inside the TLS wrapper. HTTPS probes, a WSS handshake on a fresh connection, and an
upgrade after plain HTTPS on a kept-alive one.
"""

from __future__ import annotations

import datetime

import pytest
import pytest_twisted
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol, serverFromString, wrapClientTLS
from twisted.internet.protocol import Protocol
from twisted.internet.ssl import Certificate, optionsForClientTLS

from openclaw.gateway.site import make_port_factory

UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
PROBE = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
#: A client close frame (code 1000, masked with a zero key) and the server's echo of it.
CLOSE = b"\x88\x82\x00\x00\x00\x00\x03\xe8"
CLOSE_ECHO = b"\x88\x02\x03\xe8"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, bytes]:
    """A self-signed certificate for C{localhost}: the endpoint's key file and the PEM to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certPem = cert.public_bytes(serialization.Encoding.PEM)
    keyPem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path_factory.mktemp("tls") / "gateway.pem"
    path.write_bytes(keyPem + certPem)
    return str(path), certPem


class Raw(Protocol):
    """Collects what the gateway sends and wakes a waiter once a marker arrived."""

    def __init__(self) -> None:
        self.data = b""
        self.waiting: tuple[bytes, Deferred] | None = None

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if self.waiting is not None and self.waiting[0] in self.data:
            (_, d), self.waiting = self.waiting, None
            d.callback(self.data)

    def until(self, marker: bytes, reactor) -> Deferred:
        d: Deferred = Deferred()
        if marker in self.data:
            d.callback(self.data)
        else:
            self.waiting = (marker, d)
        return d.addTimeout(10, reactor)


@pytest_twisted.async_yield_fixture
async def tls_port(gateway, certificate):
    """The gateway's port factory served again, over TLS, on another loopback port."""
    keyFile, _ = certificate
    endpoint = serverFromString(
        gateway.reactor, f"ssl:0:interface=127.0.0.1:privateKey={keyFile}:certKey={keyFile}"
    )
    port = await endpoint.listen(make_port_factory(gateway.service.hub, gateway.reactor))
    yield port.getHost().port
    await port.stopListening()


async def _tls_client(reactor, port: int, certPem: bytes) -> Raw:
    options = optionsForClientTLS("localhost", trustRoot=Certificate.loadPEM(certPem))
    endpoint = wrapClientTLS(options, TCP4ClientEndpoint(reactor, "127.0.0.1", port))
    return await connectProtocol(endpoint, Raw())


@pytest_twisted.ensureDeferred
async def test_https_probe(gateway, tls_port, certificate):
    raw = await _tls_client(gateway.reactor, tls_port, certificate[1])
    raw.transport.write(PROBE)
    data = await raw.until(b'"status":"live"}', gateway.reactor)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"X-Content-Type-Options: nosniff" in data
    raw.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_wss_handshake(gateway, tls_port, certificate):
    raw = await _tls_client(gateway.reactor, tls_port, certificate[1])
    raw.transport.write(UPGRADE)
    data = await raw.until(b"connect.challenge", gateway.reactor)
    assert data.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    raw.transport.write(CLOSE)  # later frames reach the same WebSocket protocol
    data = await raw.until(CLOSE_ECHO, gateway.reactor)
    assert data.count(b"101 Switching Protocols") == 1
    raw.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_wss_upgrade_after_https_on_a_kept_alive_connection(gateway, tls_port, certificate):
    raw = await _tls_client(gateway.reactor, tls_port, certificate[1])
    raw.transport.write(PROBE)
    await raw.until(b'"status":"live"}', gateway.reactor)
    raw.transport.write(UPGRADE)
    data = await raw.until(b"connect.challenge", gateway.reactor)
    assert b"HTTP/1.1 101 Switching Protocols\r\n" in data
    raw.transport.loseConnection()
