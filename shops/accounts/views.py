from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.views import PasswordResetConfirmView, PasswordResetView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shops.accounts.services import password_reset_tokens, welcome_token_user
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
