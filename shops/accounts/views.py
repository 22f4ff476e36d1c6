from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shops.accounts.forms import InvitationAcceptForm
from shops.accounts.services import (
    invitation_accept,
    invitation_for_token,
    password_reset_tokens,
    welcome_token_user,
)
from shops.queueing import task_queue_on_commit
from shops.ratelimits import address_rate_hit, email_rate_allowed, too_many_requests_page
from shops.selectors import current_shop
from shops.tasks import email_send


@never_cache
@require_GET
def welcome(request: HttpRequest) -> HttpResponse:
    """Sign the new owner in from the link signup redirected them to, then open the admin."""
    user = welcome_token_user(token=request.GET.get("token", ""))
    if user is None:
        messages.info(request, "That sign-in link has expired or was used already; please log in.")
        return redirect("admin:login")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Welcome to your shop! This is your admin.")
    return redirect("admin:index")


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, its email sent by the worker (``shops.email_send``): the
    request never waits on, or fails because of, the mail server."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        task_queue_on_commit(email_send, subject, body, [to_email])


class ShopPasswordResetView(PasswordResetView):
    """``/admin/password_reset/``: emails a reset link on this shop's host (the request's
    host, which the tenant middleware has matched to this shop). Every valid request gets
    the same "check your inbox" answer, known address or not; each address receives at
    most ``ACCOUNTS_RATE_EMAIL`` emails, and each client may ask ``ACCOUNTS_RATE_ADDRESS``
    times. The email is sent by the worker."""

    form_class = QueuedPasswordResetForm
    token_generator = password_reset_tokens
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        retry_after = address_rate_hit(request, scope="password-reset")
        if retry_after is not None:
            return too_many_requests_page(request, retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not email_rate_allowed(scope="password-reset", email=form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_name": current_shop().name}
        return super().form_valid(form)


class ShopPasswordResetConfirmView(PasswordResetConfirmView):
    token_generator = password_reset_tokens
    success_url = reverse_lazy("password_reset_complete")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """``/admin/invitation/<token>/``: the emailed link of a staff invitation. The invited
    person chooses a password, then logs in with it. A used, withdrawn, expired or
    foreign link says so (410) and points to the owner."""
    invitation = invitation_for_token(token=token)
    context = {"title": "Join the staff", "site_header": current_shop().name}
    if invitation is None:
        return render(request, "admin/accounts/invitation_invalid.html", context, status=410)
    form = InvitationAcceptForm(invitation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Your account is ready: log in with your email and your new password."
            )
            return redirect("admin:login")
    context.update(form=form, invitation=invitation)
    status = 400 if request.method == "POST" else 200
    return render(request, "admin/accounts/invitation_accept.html", context, status=status)
