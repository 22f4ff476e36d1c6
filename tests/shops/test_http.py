"""The one outbound client (shops/http.py) against real local servers: the address guard
refuses internal addresses (by name, by redirect, by a DNS answer that changes between the
check and the connection), an unresolvable host is refused with a clear error, the body
is limited, and TLS keeps the name for SNI and the certificate while the socket goes to
the address that was checked.

DNS is the one outside part replaced: ``fake_dns`` answers for the names a test gives it
(and nothing else), as a resolver an attacker controls would.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError

from shops.http import (
    AddressRefused,
    BodyTooLarge,
    DeadlineExceeded,
    HostUnresolvable,
    RequestFailed,
    TooManyRedirects,
    UrlRefused,
    address_is_public,
    http_request,
)
from shops.media import image_download
from shops.webhooks.client import post_signed
from tests.shops.test_outbound_deadline import DEADLINE, MARGIN, DripServer, elapsed

REAL_GETADDRINFO = socket.getaddrinfo


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers each path of the server's ``routes`` with (status, body, headers) and
    records (path, Host header) of every request in the server's ``seen``."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Host")))
        status, body, headers = self.server.routes.get(self.path, (200, b"hello", {}))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.end_headers()
        for start in range(0, len(body), 1000):  # chunked: no length announced
            chunk = body[start : start + 1000]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int = 0) -> None:
        super().__init__((host, port), Recorder)
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.seen: list[tuple[str, str | None]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def public() -> Iterator[Server]:
    """A server on 127.0.0.1 that the tests treat as a public host (see ``guard_on``)."""
    server = Server("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def internal(public) -> Iterator[Server]:
    """A server on 127.0.0.2 (loopback: internal) on the same port as ``public``, so that
    a URL that reached the wrong address would reach it."""
    server = Server("127.0.0.2", public.port)
    yield server
    server.stop()


@pytest.fixture
def guard_on(settings) -> None:
    """Every caller's guard on, with 127.0.0.1 alone standing in for the internet."""
    settings.CATALOG_IMAGE_FETCH_PRIVATE = False
    settings.WEBHOOK_DELIVERY_PRIVATE = False
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


class FakeDns:
    """Answers for the names in ``records`` (a list of addresses, or a function of the
    number of the question giving one); every other name does not resolve. IP
    addresses are answered by the system, as they need no DNS."""

    def __init__(self) -> None:
        self.records: dict[str, list[str] | Callable[[int], list[str]]] = {}
        self.questions: list[str] = []

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags)
        self.questions.append(host)
        record = self.records.get(host)
        if record is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = record(self.questions.count(host)) if callable(record) else record
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))
            for address in addresses
        ]


@pytest.fixture
def fake_dns(monkeypatch) -> FakeDns:
    dns = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns


def get(url: str, **options: object):
    options = {"timeout": 5, "max_bytes": 10_000, "allow_private": False, **options}
    return http_request("GET", url, **options)


# --- The address guard ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "is_public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud's metadata service
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 (an address judged, not bound)
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),  # IPv4 inside IPv6
    ],
)
def test_only_public_addresses_pass_the_guard(address, is_public):
    assert address_is_public(address) is is_public


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254"])
def test_a_host_resolving_to_an_internal_address_is_refused(
    fake_dns, public, guard_on, settings, address
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # 127.0.0.1 is internal here too
    fake_dns.records["intranet.example"] = [address]

    with pytest.raises(AddressRefused) as refused:
        get(f"http://intranet.example:{public.port}/x")

    assert str(refused.value) == f"intranet.example resolves to {address}, a private address."
    assert public.seen == []


def test_a_host_answering_a_public_and_an_internal_address_is_refused(fake_dns, guard_on):
    fake_dns.records["mixed.example"] = ["127.0.0.1", "10.0.0.7"]

    with pytest.raises(AddressRefused, match=r"10\.0\.0\.7"):
        get("http://mixed.example/x")


def test_each_caller_refuses_an_internal_host_by_name(fake_dns, guard_on):
    fake_dns.records["intranet.example"] = ["10.1.2.3"]

    with pytest.raises(ValidationError) as image_error:
        image_download("http://intranet.example/x.jpg")
    delivery = post_signed(
        url="http://intranet.example/hook", body=b"{}", secrets=["s"], message_id="evt", timeout=5
    )

    assert image_error.value.messages == ["Images cannot be fetched from intranet.example."]
    assert image_error.value.code == "image_url_host"
    assert delivery.status_code is None
    assert delivery.error == "intranet.example resolves to 10.1.2.3, a private address."


def test_the_guard_off_reaches_private_addresses(fake_dns, public):
    fake_dns.records["intranet.example"] = ["127.0.0.1"]

    response = get(f"http://intranet.example:{public.port}/x", allow_private=True)

    assert (response.status, response.body) == (200, b"hello")
    assert public.seen == [("/x", f"intranet.example:{public.port}")]


def test_an_allowed_network_is_reached_with_the_guard_on(fake_dns, public, guard_on):
    fake_dns.records["cdn.example"] = ["127.0.0.1"]

    response = get(f"http://cdn.example:{public.port}/x")

    assert response.status == 200


# --- Redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(public, internal, guard_on, location):
    location = location.format(port=internal.port)
    public.routes["/old"] = (302, b"", {"Location": location})

    with pytest.raises(AddressRefused) as refused:
        get(f"http://127.0.0.1:{public.port}/old")

    assert refused.value.is_redirect
    assert public.seen == [("/old", f"127.0.0.1:{public.port}")]
    assert internal.seen == []


def test_a_redirect_to_a_name_resolving_internally_is_refused(fake_dns, public, guard_on):
    fake_dns.records["sneaky.example"] = ["192.168.0.10"]
    public.routes["/old"] = (301, b"", {"Location": "http://sneaky.example/meta"})

    with pytest.raises(ValidationError) as error:
        image_download(f"http://127.0.0.1:{public.port}/old")

    assert error.value.messages == [
        "Images cannot be fetched from sneaky.example (redirected there)."
    ]


def test_redirects_are_followed_checked_and_bounded(public, guard_on):
    public.routes["/a"] = (302, b"", {"Location": "/b"})
    public.routes["/b"] = (307, b"", {"Location": f"http://127.0.0.1:{public.port}/c"})
    public.routes["/loop"] = (302, b"", {"Location": "/loop"})
    public.routes["/ftp"] = (302, b"", {"Location": "ftp://127.0.0.1/file"})

    followed = get(f"http://127.0.0.1:{public.port}/a")
    not_followed = get(f"http://127.0.0.1:{public.port}/a", max_redirects=0)
    with pytest.raises(TooManyRedirects):
        get(f"http://127.0.0.1:{public.port}/loop", max_redirects=3)
    with pytest.raises(UrlRefused):
        get(f"http://127.0.0.1:{public.port}/ftp")

    assert (followed.status, followed.url) == (200, f"http://127.0.0.1:{public.port}/c")
    assert not_followed.status == 302
    assert [path for path, _ in public.seen[:3]] == ["/a", "/b", "/c"]


# --- DNS rebinding --------------------------------------------------------------------------


def test_a_dns_answer_that_changes_after_the_check_cannot_reach_the_internal_address(
    fake_dns, public, internal, guard_on
):
    # given: a name whose first answer passes the guard, and every later one is internal
    fake_dns.records["rebind.example"] = lambda number: [
        "127.0.0.1" if number == 1 else "127.0.0.2"
    ]
    url = f"http://rebind.example:{public.port}/picture.jpg"

    # when
    response = get(url)

    # then: asked once, connected to the checked address, the name kept for the Host
    assert fake_dns.questions == ["rebind.example"]
    assert response.body == b"hello"
    assert public.seen == [("/picture.jpg", f"rebind.example:{public.port}")]
    assert internal.seen == []


def test_a_redirect_is_resolved_and_checked_again(fake_dns, public, internal, guard_on):
    fake_dns.records["rebind.example"] = lambda number: [
        "127.0.0.1" if number == 1 else "127.0.0.2"
    ]
    public.routes["/old"] = (302, b"", {"Location": "/new"})

    with pytest.raises(AddressRefused, match=r"127\.0\.0\.2"):
        get(f"http://rebind.example:{public.port}/old")

    assert fake_dns.questions == ["rebind.example", "rebind.example"]
    assert internal.seen == []


# --- Unresolvable hosts ---------------------------------------------------------------------


@pytest.mark.parametrize("allow_private", [False, True])
def test_an_unresolvable_host_is_refused_with_a_clear_error(fake_dns, allow_private):
    with pytest.raises(HostUnresolvable) as error:
        get("http://nowhere.invalid/x.jpg", allow_private=allow_private)

    assert str(error.value) == "nowhere.invalid could not be resolved (Name or service not known)"


def test_each_caller_says_an_unresolvable_host_could_not_be_resolved(fake_dns, guard_on):
    with pytest.raises(ValidationError) as image_error:
        image_download("http://nowhere.invalid/x.jpg")
    delivery = post_signed(
        url="http://nowhere.invalid/hook", body=b"{}", secrets=["s"], message_id="evt", timeout=5
    )

    assert image_error.value.messages == [
        "The image at http://nowhere.invalid/x.jpg could not be downloaded: "
        "nowhere.invalid could not be resolved (Name or service not known)."
    ]
    assert delivery.error == "nowhere.invalid could not be resolved (Name or service not known)."


# --- The body's size, the deadline ----------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Transfer-Encoding": "chunked"}])
def test_a_body_over_the_limit_is_refused_or_cut(public, headers):
    public.routes["/big"] = (200, b"x" * 3000, headers)
    url = f"http://127.0.0.1:{public.port}/big"

    with pytest.raises(BodyTooLarge):
        get(url, max_bytes=2048, allow_private=True)
    cut = get(url, max_bytes=2048, allow_private=True, truncate=True)
    whole = get(url, max_bytes=3000, allow_private=True)

    assert cut.body == b"x" * 2048
    assert whole.body == b"x" * 3000


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_slow_drip_server_hits_the_total_deadline(phase):
    server = DripServer(phase)
    try:
        seconds, outcome = elapsed(
            lambda: http_request(
                "GET", server.url, timeout=DEADLINE, max_bytes=1_000_000, allow_private=True
            )
        )
    finally:
        server.stop()

    assert seconds < DEADLINE + MARGIN
    assert isinstance(outcome, DeadlineExceeded)
    assert str(outcome) == f"timed out: no complete answer within {DEADLINE} s"


def test_a_refused_connection_is_a_request_failure():
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    with pytest.raises(RequestFailed, match="Connection refused") as error:
        get(f"http://127.0.0.1:{port}/", allow_private=True)
    assert isinstance(error.value.__cause__, ConnectionRefusedError)


# --- TLS: the name for SNI and the certificate, the checked address for the socket ----------


def certificate_authority(directory: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA file, and a certificate and key for ``name`` signed by it."""
    now = datetime.datetime.now(datetime.UTC)

    def build(subject: str, issuer: str, public_key, signer, *, is_ca: bool):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        )
        if is_ca:
            builder = builder.add_extension(
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
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("Test CA", "Test CA", ca_key.public_key(), ca_key, is_ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = build(name, "Test CA", key.public_key(), ca_key, is_ca=False)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_server(tmp_path, monkeypatch) -> Iterator[tuple[Server, list[str]]]:
    """A TLS server on 127.0.0.1 with a certificate for shop-cdn.example, trusted by the
    client through SSL_CERT_FILE; it records the SNI names it is sent."""
    ca, cert, key = certificate_authority(tmp_path, "shop-cdn.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    server = Server("127.0.0.1")
    names: list[str] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield server, names
    server.stop()


def test_tls_goes_to_the_checked_address_with_the_name_for_sni_and_certificate(
    fake_dns, tls_server, guard_on
):
    server, names = tls_server
    fake_dns.records["shop-cdn.example"] = lambda number: [
        "127.0.0.1" if number == 1 else "10.9.9.9"
    ]

    response = get(f"https://shop-cdn.example:{server.port}/logo.png")

    assert response.body == b"hello"
    assert names == ["shop-cdn.example"]
    assert server.seen == [("/logo.png", f"shop-cdn.example:{server.port}")]
    assert fake_dns.questions == ["shop-cdn.example"]


def test_tls_refuses_a_certificate_for_another_name(fake_dns, tls_server, guard_on):
    server, _ = tls_server
    fake_dns.records["other.example"] = ["127.0.0.1"]

    with pytest.raises(RequestFailed, match="certificate verify failed"):
        get(f"https://other.example:{server.port}/logo.png")

    assert server.seen == []
