from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shops.accounts.services import welcome_token_user


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
