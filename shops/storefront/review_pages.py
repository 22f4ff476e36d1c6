"""Shopper endpoints of the reviews app: write a review (product page, embed, review
link), vote on a review, vote in a poll, the disclosure page.

All are anonymous and need no cookie (CSRF-exempt: there is no session to ride on;
abuse is held back by the rate limits and the shopper token). These are the plain HTML
forms, which work without JavaScript: a vote redirects back, a refusal is a line of
text. The page's JavaScript votes through the API instead (``shops.api.reviews.shopper``:
JSON, the shopper token, the API's error shape).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Product
from reviews import selectors
from reviews.models import Review
from reviews.services import (
    PollConfirmError,
    PollError,
    ReviewError,
    ReviewLinkError,
    VoteError,
    poll_is_open,
    poll_vote,
    poll_vote_confirm,
    review_link_line,
    review_settings_get,
    review_submit,
    review_submit_verified,
    review_vote,
)
from reviews.shoppers import (
    BadToken,
    Shopper,
    rate_limit_hit,
    shopper_from,
)
from shops.consent.models import MarketingConsent
from shops.consent.services import CHECKBOX_WORDING, consent_request
from shops.insights.services import shopper_action_record
from shops.redirects import local_redirect_target
from shops.storefront.branding import theme_context
from shops.storefront.product_pages import product_page_context
from shops.storefront.review_forms import ReviewForm, VerifiedReviewForm
from shops.storefront.selectors import (
    design_get,
    embed_origins,
    published_document,
    shop_theme,
)
from shops.storefront.views import EMBED_BASE, frame_ancestors


def _see_other(url: str) -> HttpResponse:
    response = HttpResponse(status=303)
    response["Location"] = url
    return response


def _error(request: HttpRequest, message: str, status: int, **headers: str) -> HttpResponse:
    return HttpResponse(
        message, status=status, content_type="text/plain; charset=utf-8", headers=headers
    )


def _too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    return _error(
        request,
        f"Too many attempts; try again in {retry_after} seconds.",
        429,
        **{"Retry-After": str(retry_after)},
    )


def _shopper_or_error(request: HttpRequest) -> Shopper | HttpResponse:
    try:
        return shopper_from(request)
    except BadToken as error:
        return _error(request, str(error), 400)


def _is_embed(request: HttpRequest) -> bool:
    return request.POST.get("embed") == "1" or request.GET.get("embed") == "1"


def _frameable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Pages shown inside the embed may be framed by the shop's allowed origins only."""
    if _is_embed(request):
        response.xframe_options_exempt = True
        response["Content-Security-Policy"] = frame_ancestors(embed_origins(design_get()))
    return response


def _consent_asked(data: dict, *, email: str) -> None:
    """The review form's box ticked: the address is asked for marketing consent."""
    if data.get("marketing_consent") and email:
        consent_request(
            email=email, source=MarketingConsent.Source.REVIEW_FORM, wording=CHECKBOX_WORDING
        )


@csrf_exempt
@require_POST
def review_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A shopper's review from the product page or the embedded product page. Errors
    show the page again with the text kept (400); success goes back to the page."""
    shopper = _shopper_or_error(request)
    if isinstance(shopper, HttpResponse):
        return shopper
    try:
        context = product_page_context(request, slug)
    except Product.DoesNotExist:
        raise Http404("No such product in this shop") from None
    retry_after = rate_limit_hit(action="review", shopper=shopper)
    if retry_after is not None:
        return _too_many(request, retry_after)
    form = ReviewForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            review_submit(
                product=context["product"],
                rating=data["rating"],
                title=data["title"],
                body=data["body"],
                display_name=data["display_name"],
                email=data["email"],
                photos=data["photos"],
                shopper=shopper,
            )
            shopper_action_record(
                request, action="review_written", product_id=context["product"].id
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
        else:
            _consent_asked(data, email=data["email"])
            if _is_embed(request):
                return _see_other(f"{reverse('embed')}?product={slug}&review=thanks#reviews")
            return _see_other(
                f"{reverse('product-page', kwargs={'slug': slug})}?review=thanks#reviews"
            )
    context["review_form"] = form
    context["shopper_token"] = shopper.token
    if _is_embed(request):
        design = design_get()
        context.update(theme_context(published_document(design)["branding"]))
        context.update(
            base_template=EMBED_BASE,
            embed=True,
            embed_allowed_origins=embed_origins(design),
            home_url="/embed/",
        )
    else:
        context.update(shop_theme())
    response = render(request, "catalog/product_page.html", context, status=400)
    return _frameable(request, response)


@csrf_exempt
def review_write(request: HttpRequest, token: str) -> HttpResponse:
    """The review-request email's link: the only way to a "Verified buyer" review."""
    try:
        line = review_link_line(token)
    except ReviewLinkError as error:
        return render(
            request, "reviews/link_error.html", {"message": str(error), **shop_theme()}, status=400
        )
    if Review.objects.filter(order_line=line).exists():
        message = "You have already reviewed this purchase. Thank you!"
        return render(
            request, "reviews/link_error.html", {"message": message, **shop_theme()}, status=409
        )
    product = Product.objects.filter(pk=line.product_id).first()
    status = 200
    if request.method == "POST":
        shopper = _shopper_or_error(request)
        if isinstance(shopper, HttpResponse):
            return shopper
        form = VerifiedReviewForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review_submit_verified(
                    order_line=line,
                    rating=data["rating"],
                    title=data["title"],
                    body=data["body"],
                    display_name=data["display_name"],
                    photos=data["photos"],
                    shopper=shopper,
                )
            except ReviewError as error:
                return render(
                    request,
                    "reviews/link_error.html",
                    {"message": str(error), **shop_theme()},
                    status=409,
                )
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                shopper_action_record(request, action="review_written", product_id=line.product_id)
                _consent_asked(data, email=line.order.email)
                return render(request, "reviews/thanks.html", {"product": product, **shop_theme()})
        status = 400
    else:
        form = VerifiedReviewForm(initial={"display_name": line.order.email.split("@")[0][:60]})
    context = {"form": form, "line": line, "product": product, **shop_theme()}
    return render(request, "reviews/write.html", context, status=status)


@csrf_exempt
@require_POST
def review_vote_view(request: HttpRequest, review_id: int) -> HttpResponse:
    """``POST /reviews/<id>/vote/`` with ``helpful=1`` or ``0`` (a form without
    JavaScript): a redirect back to the page."""
    shopper = _shopper_or_error(request)
    if isinstance(shopper, HttpResponse):
        return shopper
    helpful = request.POST.get("helpful")
    if helpful not in ("0", "1"):
        return _error(request, "Say whether the review was helpful (helpful=1 or 0).", 400)
    retry_after = rate_limit_hit(action="vote", shopper=shopper)
    if retry_after is not None:
        return _too_many(request, retry_after)
    try:
        review_vote(review_id=review_id, shopper=shopper, is_helpful=helpful == "1")
    except VoteError as error:
        return _error(request, str(error), error.status)
    return _see_other(local_redirect_target(candidate=request.POST.get("next"), request=request))


@xframe_options_exempt
@csrf_exempt
def poll_page(request: HttpRequest, poll_id: int) -> HttpResponse:
    """A poll on its own page (also what the poll section's form posts to): the form
    while open and not voted, else the results. Frameable by the shop's allowed origins."""
    poll = selectors.poll_view(poll_id=poll_id)
    if poll is None:
        raise Http404("No such poll in this shop")
    shopper = _shopper_or_error(request)
    if isinstance(shopper, HttpResponse):
        return shopper
    status, message = 200, ""
    if request.method == "POST":
        retry_after = rate_limit_hit(action="vote", shopper=shopper)
        if retry_after is not None:
            return _too_many(request, retry_after)
        try:
            option_id = int(request.POST.get("option") or 0)
        except ValueError:
            option_id = 0
        try:
            poll_vote(
                poll_id=poll.id,
                option_id=option_id,
                shopper=shopper,
                notify_email=request.POST.get("notify_email", ""),
                email=request.POST.get("email", ""),
                marketing_consent=request.POST.get("marketing_consent") == "on",
            )
            shopper_action_record(request, action="vote", poll_id=poll.id)
        except PollError as error:
            status, message = error.status, str(error)
        poll = selectors.poll_view(poll_id=poll_id)  # fresh counts
    voted = selectors.poll_voted_option(poll_id=poll.id, voter=shopper.voter)
    waiting = voted is None and selectors.poll_vote_waiting(poll_id=poll.id, voter=shopper.voter)
    design = design_get()
    context = {
        "poll": poll,
        "voted": voted,
        "message": message,
        "is_open": poll_is_open(poll.poll),
        "shopper_token": shopper.token,
        "waiting": waiting,
        "show_results": voted is not None or waiting or not poll_is_open(poll.poll),
        "base_template": EMBED_BASE if _is_embed(request) else "base.html",
        "embed": _is_embed(request),
        "embed_allowed_origins": embed_origins(design),
        **shop_theme(),
    }
    response = render(request, "reviews/poll_page.html", context, status=status)
    response["Content-Security-Policy"] = frame_ancestors(embed_origins(design))
    return response


@require_GET
def poll_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of a vote confirmation email: the vote counts (once), then the poll's
    results; a link that cannot count says why on a page of its own (400)."""
    try:
        confirmation = poll_vote_confirm(token)
    except PollConfirmError as error:
        context = {"message": str(error), **shop_theme()}
        return render(request, "reviews/poll_confirm_error.html", context, status=400)
    vote = confirmation.vote
    poll = selectors.poll_view(poll_id=vote.poll_id)
    context = {
        "poll": poll,
        "voted": vote.option_id,
        "already": confirmation.already,
        "is_open": poll_is_open(poll.poll),
        "show_results": True,
        "base_template": "base.html",
        **shop_theme(),
    }
    return render(request, "reviews/poll_confirmed.html", context)


@require_GET
def disclosure(request: HttpRequest) -> HttpResponse:
    """How this shop collects, checks and shows reviews (EU Omnibus directive),
    written from the shop's review settings."""
    context = {
        "settings": review_settings_get(),
        "request_delay_days": round(settings.REVIEWS_REQUEST_DELAY_SECONDS / 86400, 1),
        "link_days": settings.REVIEWS_REQUEST_LINK_DAYS,
        **shop_theme(),
    }
    return render(request, "reviews/disclosure.html", context)
