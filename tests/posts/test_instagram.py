"""The Instagram Graph API client against a local server that answers like Meta's, and
the import of an account's recent posts as drafts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from shops.channels.clients import (
    ChannelError,
    CredentialsError,
    FinalError,
    RateLimited,
    RetryableError,
    instagram,
)
from shops.channels.instagram_posts import posts_import_instagram
from shops.posts.models import Post
from tests.posts.instagram_server import ACCOUNT, TOKEN, GraphHandler, graph_server


@pytest.fixture(scope="module")
def graph() -> Iterator[str]:
    with graph_server() as base:
        yield base


def client(base: str, account: str = ACCOUNT, token: str = TOKEN, timeout: float = 5):
    return instagram.InstagramClient(
        credentials=instagram.Credentials(account_id=account, access_token=token),
        base_url=base,
        timeout=timeout,
    )


def test_a_page_of_media_becomes_dataclasses(graph, settings):
    GraphHandler.requests.clear()
    GraphHandler.authorizations.clear()

    page = client(graph).media_page(limit=2)

    assert page.after == "cursor-2"
    first, carousel = page.items
    assert first == instagram.Media(
        id="18000000000000001",
        media_type="IMAGE",
        caption="Red tote at the beach",
        media_url=f"{graph}/cdn/red.png",
        permalink="https://www.instagram.com/p/AAA/",
        timestamp=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    assert [url.rsplit("/", 1)[1] for url in carousel.image_urls] == ["blue.png", "green.png"]
    assert GraphHandler.requests[0].startswith(
        f"/{settings.CHANNELS_META_API_VERSION}/{ACCOUNT}/media?"
    )
    assert "fields=id%2Ccaption%2Cmedia_type" in GraphHandler.requests[0]
    assert GraphHandler.authorizations[0] == f"Bearer {TOKEN}"
    assert TOKEN not in GraphHandler.requests[0]  # never in a URL


def test_recent_media_follows_the_cursors_to_the_last_page(graph):
    GraphHandler.requests.clear()

    media = client(graph).recent_media(limit=10)

    assert [m.id[-1] for m in media] == ["1", "2", "3", "4", "5"]
    assert len(GraphHandler.requests) == 1  # one page of up to 10 held them all
    GraphHandler.requests.clear()
    assert len(client(graph).recent_media(limit=4)) == 4
    GraphHandler.requests.clear()
    paged = [m.id for m in _pages(client(graph), size=2)]
    assert len(paged) == 5
    assert [r.split("after=")[1].split("&")[0] for r in GraphHandler.requests[1:]] == [
        "cursor-2",
        "cursor-4",
    ]


def _pages(graph_client, size: int):
    after = None
    while True:
        page = graph_client.media_page(after=after, limit=size)
        yield from page.items
        if page.after is None:
            return
        after = page.after


@pytest.mark.parametrize(
    ("account", "token", "kind", "code", "status"),
    [
        (ACCOUNT, "wrong", CredentialsError, 190, 400),
        ("expired", TOKEN, CredentialsError, 190, 400),
        ("bad-param", TOKEN, FinalError, 100, 400),
        ("busy-app", TOKEN, RateLimited, 4, 403),
        ("busy-user", TOKEN, RateLimited, 17, 400),
        ("down", TOKEN, RetryableError, 2, 500),
        ("gateway", TOKEN, RetryableError, None, 502),
    ],
)
def test_graph_errors_are_translated(graph, account, token, kind, code, status):
    with pytest.raises(ChannelError) as error:
        client(graph, account=account, token=token).media_page()

    assert type(error.value) is kind
    assert (error.value.code, error.value.status) == (code, status)
    retryable = isinstance(error.value, RetryableError)
    assert retryable == (kind in (RateLimited, RetryableError))


def test_a_slow_or_absent_server_is_a_retryable_error(graph):
    with pytest.raises(RetryableError, match=r"No answer within 0\.3 s"):
        client(graph, account="slow", timeout=0.3).media_page()
    with pytest.raises(RetryableError, match="Could not reach the platform"):
        client("http://127.0.0.1:9").media_page()


def test_import_makes_drafts_with_downloaded_pictures_and_skips_what_it_cannot(
    shop_a, graph, media, settings
):
    settings.CATALOG_IMAGE_FETCH_PRIVATE = True  # the local server is on loopback
    settings.CATALOG_IMAGE_MAX_BYTES = 20_000  # the noise picture is over the limit
    with tenant_context(shop_a):
        result = posts_import_instagram(client=client(graph), limit=10)

        posts = {post.external_id: post for post in Post.objects.all()}
        assert sorted(posts) == ["18000000000000001", "18000000000000002"]
        assert sorted(result.created) == sorted(p.id for p in posts.values())
        assert result.skipped == 1  # the video
        assert [line.split(":")[0] for line in result.failed] == [
            "18000000000000004",
            "18000000000000005",
        ]
        assert "larger than" in result.failed[0]
        assert "damaged" in result.failed[1] or "not an image" in result.failed[1]
        carousel = posts["18000000000000002"]
        assert (carousel.status, carousel.source, carousel.caption) == (
            "draft",
            "imported",
            "Two colours",
        )
        assert carousel.images.count() == 2
        assert carousel.permalink == "https://www.instagram.com/p/BBB/"

        again = posts_import_instagram(client=client(graph), limit=10)
        assert (again.created, again.skipped) == ([], 3)
        assert Post.objects.count() == 2


def test_import_refuses_private_addresses_unless_allowed(shop_a, graph, media, settings):
    settings.CATALOG_IMAGE_FETCH_PRIVATE = False
    with tenant_context(shop_a):
        result = posts_import_instagram(client=client(graph), limit=1)
        assert result.created == []
        assert result.failed == ["18000000000000001: Images cannot be fetched from 127.0.0.1."]


def test_import_stops_on_an_expired_token(shop_a, graph, media):
    with tenant_context(shop_a), pytest.raises(CredentialsError):
        posts_import_instagram(client=client(graph, account="expired"))
    with tenant_context(shop_a):
        assert not Post.objects.exists()


def test_the_import_command_uses_the_token_from_the_environment(
    shop_a, graph, media, settings, monkeypatch
):
    settings.CHANNELS_META_API_BASE = graph
    settings.CATALOG_IMAGE_FETCH_PRIVATE = True
    out = StringIO()
    monkeypatch.delenv("INSTAGRAM_ACCESS_TOKEN", raising=False)
    with pytest.raises(CommandError, match="set INSTAGRAM_ACCESS_TOKEN"):
        call_command("import_instagram_posts", "alpha", "--account-id", ACCOUNT, stdout=out)

    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", TOKEN)
    call_command(
        "import_instagram_posts", "alpha", "--account-id", ACCOUNT, "--limit", "2", stdout=out
    )

    assert "Imported 2 draft posts, skipped 0, failed 0." in out.getvalue()
    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", "stale")
    with pytest.raises(CommandError, match="Instagram: Invalid OAuth access token"):
        call_command("import_instagram_posts", "alpha", "--account-id", ACCOUNT, stdout=out)
