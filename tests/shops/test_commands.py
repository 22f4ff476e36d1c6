"""create_shop and seed_demo."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from reviews.models import Poll, Review, ReviewVote
from shops.accounts.models import User
from shops.demo.management.commands.seed_demo import DEMO_OWNER, demo_password
from shops.models import Shop


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_shop_prints_url_and_generated_password(db):
    output = run(
        "create_shop", "flower-stall", "--name", "Flower Stall", "--owner", "f@example.com"
    )

    assert "Created shop 'Flower Stall' at http://flower-stall.localhost:8000/" in output
    password = re.search(r"Password: (\S+)", output).group(1)
    shop = Shop.objects.get(slug="flower-stall")
    with tenant_context(shop):
        assert User.objects.get(email="f@example.com").check_password(password)


def test_create_shop_with_bad_slug_says_why(db):
    with pytest.raises(CommandError, match=r"slug: Start your shop address with a letter\."):
        run("create_shop", "1st", "--name", "First", "--owner", "f@example.com")


def test_seed_demo_is_idempotent_and_prints_the_login(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo products' pictures
    first = run("seed_demo")
    second = run("seed_demo")

    shop = Shop.objects.get(slug="demo")
    assert Shop.objects.filter(slug="demo").count() == 1
    password = demo_password()
    for output in (first, second):
        assert "Platform:   http://localhost:8000/" in output
        assert "Demo shop:  http://demo.localhost:8000/" in output
        assert f"login {DEMO_OWNER} / {password}" in output
    assert "Demo products added: 30" in first
    assert "Demo products added: 0" in second
    assert "Demo reviews added: 18" in first
    assert "Demo reviews added: 0" in second
    with tenant_context(shop):
        assert User.objects.get(email=DEMO_OWNER).check_password(password)
        reviews = Review.objects.all()
        assert reviews.filter(status="approved").count() == 18
        assert reviews.filter(is_verified=True).count() == 6
        assert reviews.filter(photo_count__gt=0).count() == 5
        assert ReviewVote.objects.exists()
        assert [o.vote_count for o in Poll.objects.get().options.all()] == [12, 7, 4]
