"""The click-through beacon is limited per client address and shop: 429 with
Retry-After and the JSON error object, nothing counted; other shops unaffected."""

from django_tenants.utils import tenant_context

from shops.posts.models import PostDailyStats
from tests.conftest import clear_of_window_end
from tests.posts.conftest import published_post
from tests.posts.test_click_through import beacon


def test_over_the_limit_the_beacon_answers_429_and_counts_nothing(shop_a, shop_b, media, settings):
    settings.POSTS_RATE_EVENTS = "2/m"
    clear_of_window_end(60)  # the limit counts per minute, the stats per day
    clear_of_window_end(86400)
    with tenant_context(shop_a):
        post = published_post()
    with tenant_context(shop_b):
        beta_post = published_post()
    event = [{"post": post.id, "kind": "impression"}]

    answers = [beacon(event) for _ in range(3)]
    in_beta = beacon([{"post": beta_post.id, "kind": "click"}], slug="beta")

    assert [answer.status_code for answer in answers] == [204, 204, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[2]["Retry-After"]) <= 60
    assert in_beta.status_code == 204  # alpha's traffic does not limit beta
    with tenant_context(shop_a):
        assert PostDailyStats.objects.get(post=post).impressions == 2
    with tenant_context(shop_b):
        assert PostDailyStats.objects.get(post=beta_post).tag_clicks == 1
