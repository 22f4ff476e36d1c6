"""Sales channels in the merchant's admin: connect, test, pause, resume, "sync now",
disconnect (delete), and per channel the merchant view: last sync, live / pending /
rejected counts, rejected items with the platform's reason and a link to fix the
product, products left out of the feed with the reason, the feed URLs (whole, with a
copy button and the platform's steps to add them; a feed-only connection pushes
nothing), and the item status list (search, filter, resend). The options mapped to
variant attributes are edited here too. The product admin's channel readiness checks
the addresses the channels send (``product_facts``)."""

from __future__ import annotations

from django import forms
from django.conf import global_settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection as db_connection
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.http import urlencode

from catalog.admin import readiness_facts_set
from catalog.models import Product
from catalog.readiness import Facts
from orders.countries import country_choices
from shops.channels import oauth
from shops.channels.attributes import DEFAULT_OPTION_ATTRIBUTES
from shops.channels.feeds import FORMATS
from shops.channels.items import channel_facts, shop_context
from shops.channels.models import Attribute, Channel, ChannelItem, Connection, OptionAttribute
from shops.channels.selectors import (
    connection_defaults,
    item_counts,
    items_for_admin,
    product_titles,
    products_left_out,
    sync_status,
)
from shops.channels.services import (
    TIKTOK_FIELDS,
    TIKTOK_SECRETS,
    CredentialsUnreadable,
    connection_create,
    connection_disconnect,
    connection_pause,
    connection_pushes,
    connection_resume,
    connection_sync_now,
    connection_test,
    connection_update,
    items_resend,
    option_attribute_delete,
    option_attribute_set,
    tiktok_credentials,
)
from shops.selectors import platform_url, shop_url

ITEMS_PER_PAGE = 50
# How to add a feed URL on each platform (their help pages' steps, short)
FEED_STEPS: dict[str, tuple[str, ...]] = {
    Channel.META: (
        "Open Commerce Manager, choose your catalog, then Catalog → Data sources.",
        "Add items → Data feed → Next, then “Use a URL”.",
        "Paste the feed URL, choose an hourly or daily schedule and your currency, then Upload.",
    ),
    Channel.GOOGLE: (
        "In Merchant Center open Products → Add products (Data sources → Add product source).",
        "Choose “Add products from a file”, then “Enter a link to your file”.",
        "Paste the feed URL, keep the daily fetch, and Continue.",
    ),
    Channel.PINTEREST: (
        "In Pinterest Ads open Catalogs → Create catalog (Retail), or Add data source.",
        "Name the source and paste the feed URL; pick its format (CSV, TSV or XML), "
        "currency, country and language.",
        "Save: Pinterest fetches the feed every 24 hours.",
    ),
    Channel.TIKTOK: (
        "In TikTok Ads Manager open Assets → Catalogs and choose your catalog.",
        "Products → Add products → Data feed.",
        "Paste the feed URL, choose how often it is fetched, and confirm.",
    ),
}

TIKTOK_FORM_FIELDS = tuple(f"tiktok_{name}" for name in TIKTOK_FIELDS if name != "access_token")
# the catalog languages a connection may send in: ISO 639-1 codes with Django's names
LANGUAGE_CHOICES = tuple(
    sorted(
        ((code, str(name)) for code, name in global_settings.LANGUAGES if len(code) == 2),
        key=lambda choice: choice[1],
    )
)
TOKEN_FIELDS = ("access_token", "external_id")


def language_choices(current: str = "") -> tuple[tuple[str, str], ...]:
    """LANGUAGE_CHOICES, with a connection's stored code kept if it is not among them."""
    codes = {code for code, _ in LANGUAGE_CHOICES}
    return (
        LANGUAGE_CHOICES
        if not current or current in codes
        else ((current, current), *LANGUAGE_CHOICES)
    )


def product_facts(product: Product) -> Facts:
    """A product's readiness facts with the addresses the channels send it at: the
    catalog's product admin checks its channel readiness on them."""
    return channel_facts(product, shop_context())


readiness_facts_set(product_facts)


class ConnectionForm(forms.ModelForm):
    access_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted; leave empty to keep the stored one.",
    )
    country = forms.ChoiceField(
        choices=country_choices,
        help_text="Where the products are sold (the platform's target country or feed label).",
    )
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, help_text="The catalog's language.")

    # TikTok Shop only (its access token is the field above)
    tiktok_app_key = forms.CharField(label="App key", required=False)
    tiktok_app_secret = forms.CharField(
        label="App secret",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted; leave empty to keep the stored one.",
    )
    tiktok_shop_cipher = forms.CharField(
        label="Shop cipher",
        required=False,
        help_text="The shop's cipher (Get Authorized Shops); “Test the connection” checks it.",
    )
    tiktok_warehouse_id = forms.CharField(label="Warehouse id", required=False)
    tiktok_category_id = forms.CharField(
        label="Category id",
        required=False,
        help_text="The leaf category the products are listed in.",
    )

    class Meta:
        model = Connection
        fields = (
            "channel",
            "is_feed_only",
            "external_id",
            "country",
            "language",
            "selection",
            "collection",
            "tag",
            "is_enabled",
        )
        labels = {"external_id": "Catalog ID"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            country, language = connection_defaults()
            self.initial.setdefault("country", country)
            self.initial.setdefault("language", language)
        self.fields["language"].choices = language_choices(self.instance.language)
        if self.instance.pk and self.instance.channel == Channel.TIKTOK:
            try:
                stored = tiktok_credentials(self.instance)
            except CredentialsUnreadable:
                stored = {}  # entered again ("Test the connection" says why)
            for name in TIKTOK_FIELDS:
                if name not in TIKTOK_SECRETS and f"tiktok_{name}" in self.fields:
                    self.fields[f"tiktok_{name}"].initial = stored.get(name, "")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        values = {
            "access_token": cleaned.get("access_token", ""),
            # a login connection's form has no token fields: its catalog stays
            "external_id": cleaned.get("external_id") if "external_id" in self.fields else None,
            "country": cleaned.get("country", "US"),
            "language": cleaned.get("language", "en"),
            "selection": cleaned.get("selection"),
            "collection": cleaned.get("collection"),
            "tag": cleaned.get("tag", ""),
            "is_feed_only": cleaned.get("is_feed_only", False),
        }
        channel = self.instance.channel if self.instance.pk else cleaned.get("channel")
        if channel == Channel.TIKTOK:
            values["tiktok"] = {
                name.removeprefix("tiktok_"): cleaned.get(name, "") for name in TIKTOK_FORM_FIELDS
            }
        try:
            if self.instance.pk is None:
                values["external_id"] = values["external_id"] or ""
                self.saved = connection_create(channel=cleaned["channel"], **values)
            else:
                self.saved = connection_update(connection=self.instance, **values)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return cleaned

    def validate_unique(self) -> None:
        """The services checked (and already saved) in clean()."""

    def save(self, commit: bool = True) -> Connection:
        self.save_m2m = lambda: None
        self.saved.is_enabled = self.cleaned_data.get("is_enabled", True)
        Connection.objects.filter(pk=self.saved.pk).update(is_enabled=self.saved.is_enabled)
        return self.saved


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    form = ConnectionForm
    list_display = ("channel", "status", "is_enabled", "last_sync_at", "counts", "last_error")
    readonly_fields = ("left_out",)
    actions = ["test_connection", "sync_now", "pause", "resume"]
    change_form_template = "admin/channels/connection/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else ()

    def get_fieldsets(self, request, obj=None):
        settings_fields = (
            "channel",
            "is_feed_only",
            "country",
            "language",
            "selection",
            "collection",
            "tag",
            "is_enabled",
        )
        tiktok = (
            "TikTok Shop API (TikTok only; empty: the feed only)",
            {"fields": TIKTOK_FORM_FIELDS},
        )
        # the pasted token: closed unless the connection uses one (the login is the way in)
        by_token = obj is not None and obj.credentials_encrypted and not obj.tokens_encrypted
        token = (
            "Advanced: paste a token",
            {
                "fields": TOKEN_FIELDS,
                "classes": () if by_token else ("collapse",),
                "description": "An access token made on the platform, and the catalog id it "
                "pushes to; connecting with the platform's login (above) does this for you "
                "and renews it.",
            },
        )
        if obj is None:
            return [(None, {"fields": settings_fields}), token, tiktok]
        # a pushing connection's status, counts, last sync, last error and rejected items
        # are in the sync box above (kept live by its script): shown once, never stale; a
        # feed-only one has none (the platform reports on the feed itself)
        sync = ("Feed", {"fields": ("left_out",)})
        if obj.tokens_encrypted:  # the shop, the app and the access come from the login
            tiktok = (
                "TikTok Shop: where the products go",
                {"fields": ("tiktok_warehouse_id", "tiktok_category_id")},
            )
        return [
            sync,
            ("Settings", {"fields": settings_fields}),
            *([] if obj.tokens_encrypted else [token]),
            *([tiktok] if obj.channel == Channel.TIKTOK else []),
        ]

    def save_model(self, request, obj, form, change) -> None:
        """Saved through the services in the form's clean()."""

    def response_add(self, request, obj, post_url_continue=None):
        """A pushing connection's first sync was queued (``first_sync_queue``): its
        page, where the sync box shows it advance, as after "Sync now"."""
        if not obj.sync_total and not connection_pushes(obj):
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            f"{obj} is connected: its first sync is under way ({obj.sync_total:,} items to check).",
            messages.SUCCESS,
        )
        return redirect(reverse("admin:channels_connection_change", args=[obj.pk]))

    @admin.display(description="Live / pending / rejected")
    def counts(self, connection: Connection) -> str:
        counts = item_counts(connection=connection)
        return f"{counts.live} / {counts.pending} / {counts.rejected}"

    @admin.display(description="Left out (not ready for this channel)")
    def left_out(self, connection: Connection) -> str:
        left = products_left_out(connection=connection)
        if not left:
            return "None"
        return format_html_join(
            "",
            '<div><a href="{}">{}</a>: {}</div>',
            (
                (
                    reverse("admin:catalog_product_change", args=[entry.product.pk]),
                    entry.product.title,
                    " ".join(entry.reasons),
                )
                for entry in left
            ),
        )

    @admin.action(description="Test the connection")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            result = connection_test(connection=connection)
            level = messages.SUCCESS if result.is_ok else messages.ERROR
            self.message_user(request, f"{connection}: {result.message}", level)

    @admin.action(description="Sync now")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        """The button's "sync now" for each chosen channel (same refusals: paused, feed
        only, a sync still running)."""
        for connection in queryset:
            try:
                total = connection_sync_now(connection=connection)
            except ValidationError as error:
                self.message_user(
                    request, f"{connection}: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    f"{connection}: sync started, {total:,} items to check; its page shows "
                    "the progress.",
                )

    @admin.action(description="Pause")
    def pause(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            connection_pause(connection=connection)
        self.message_user(request, "Paused; changes wait in the outbox until you resume.")

    @admin.action(description="Resume")
    def resume(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            connection_resume(connection=connection)
        self.message_user(request, "Resumed.")

    # --- "Sync now" on the channel's page, and the status its progress bar polls ---

    def get_urls(self) -> list:
        def view(function, suffix: str):
            return path(
                f"<int:connection_id>/{suffix}/",
                self.admin_site.admin_view(function),
                name=f"channels_connection_{suffix.replace('-', '_')}",
            )

        def login(function, route: str, name: str):
            return path(route, self.admin_site.admin_view(function), name=name)

        return [
            login(self.login_start_view, "login/<str:channel>/start/", "channels_login_start"),
            login(self.login_callback_view, "login/callback/", "channels_login_callback"),
            login(self.login_pick_view, "login/<str:nonce>/pick/", "channels_login_pick"),
            view(self.sync_now_view, "sync-now"),
            view(self.sync_status_view, "sync-status"),
            view(self.items_view, "items"),
            *super().get_urls(),
        ]

    def _connection(self, request: HttpRequest, connection_id: int) -> Connection:
        # looked up in this shop's schema: another shop's connection is simply not found
        connection = get_object_or_404(Connection, pk=connection_id)
        if not self.has_view_permission(request, connection):
            raise PermissionDenied
        return connection

    def sync_now_view(self, request: HttpRequest, connection_id: int) -> HttpResponse:
        connection = self._connection(request, connection_id)
        if not self.has_change_permission(request, connection):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            total = connection_sync_now(connection=connection)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(request, f"Sync started: {total:,} items to check.")
        return redirect(reverse("admin:channels_connection_change", args=[connection.pk]))

    def sync_status_view(self, request: HttpRequest, connection_id: int) -> JsonResponse:
        status = _sync_box(self._connection(request, connection_id))
        return JsonResponse(status, headers={"Cache-Control": "no-store"})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connection = (
            Connection.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        )
        extra_context = {**(extra_context or {}), "logins": _logins(connection)}
        if connection is not None:
            extra_context = {
                **(extra_context or {}),
                "sync": _sync_box(connection),
                "pushes": connection_pushes(connection),
                "feeds": feed_urls(connection, request),
                "feed_steps": FEED_STEPS[connection.channel],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(
            request, form_url, {**(extra_context or {}), "logins": _logins(None)}
        )

    def changelist_view(self, request, extra_context=None):
        for connection in Connection.objects.filter(status=Connection.Status.RECONNECT):
            self.message_user(
                request,
                f"{connection} needs reconnecting: {connection.last_error} Open it and "
                "choose “Reconnect”.",
                messages.WARNING,
            )
        for connection in Connection.objects.exclude(tokens_encrypted="").filter(
            expiry_warned_at__isnull=False
        ):
            if warning := oauth.expiry_warning(connection):
                self.message_user(
                    request, f"{warning} Open it and choose “Reconnect”.", messages.WARNING
                )
        return super().changelist_view(request, extra_context)

    def delete_model(self, request, obj) -> None:
        self._disconnect(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for connection in queryset:
            self._disconnect(request, connection)

    def _disconnect(self, request: HttpRequest, connection: Connection) -> None:
        """Disconnect; a login the platform offers no way to revoke says where the
        merchant withdraws it (the tokens are forgotten here all the same)."""
        by_login = bool(connection.tokens_encrypted)
        connection_disconnect(connection=connection)
        if by_login and connection.channel in oauth.login_channels():
            hint = getattr(oauth.provider_for(connection.channel), "revoke_hint", "")
        else:
            hint = ""
        if hint:
            self.message_user(request, f"Etalage forgot its {connection} access. {hint}")

    # --- connecting with the platform's login (shops.channels.oauth) ---

    def _login_allowed(self, request: HttpRequest) -> None:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied

    def _login_refused(
        self, request: HttpRequest, channel: str, refusal: oauth.OAuthRefused, status: int = 200
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"Connect with {Channel(channel).label}" if channel else "Connect",
            "opts": self.model._meta,
            "message": refusal.message,
            "channel": channel if refusal.retry and channel in Channel.values else "",
            "channel_name": Channel(channel).label if channel in Channel.values else "",
        }
        return TemplateResponse(
            request, "admin/channels/connection/login_refused.html", context, status=status
        )

    def _callback_uri(self, request: HttpRequest) -> str:
        """The redirect URI: the platform host's relay (one address to register with
        each platform; it sends the browser on to this shop's callback)."""
        return platform_url(request) + "/channels/login/callback/"

    def login_start_view(self, request: HttpRequest, channel: str) -> HttpResponse:
        """POST: off to the platform's login (its authorize URL, with a fresh state)."""
        self._login_allowed(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if channel not in oauth.login_channels():
            raise Http404
        try:
            url = oauth.oauth_start(
                channel=channel, user_id=request.user.pk, redirect_uri=self._callback_uri(request)
            )
        except oauth.OAuthRefused as refusal:
            return self._login_refused(request, channel, refusal)
        return redirect(url)

    def login_callback_view(self, request: HttpRequest) -> HttpResponse:
        """The platform sends the merchant back here (``code`` and ``state``, or
        ``error``): the login is checked and its code exchanged, then the merchant picks
        the catalog."""
        self._login_allowed(request)
        try:
            attempt = oauth.oauth_callback(
                state=request.GET.get("state", "")[:2000],
                code=request.GET.get("code", "")[:2000],
                error=request.GET.get("error", "")[:200],
                user_id=request.user.pk,
                redirect_uri=self._callback_uri(request),
            )
        except oauth.OAuthRefused as refusal:
            return self._login_refused(
                request, oauth.state_channel(request.GET.get("state", "")[:2000]), refusal
            )
        return redirect(reverse("admin:channels_login_pick", args=[attempt.nonce]))

    def login_pick_view(self, request: HttpRequest, nonce: str) -> HttpResponse:
        """The catalogs the login may push to: pick one (or create one), the country and
        the language, and the connection is saved."""
        self._login_allowed(request)
        try:
            attempt = oauth.attempt_for_picking(nonce=nonce, user_id=request.user.pk)
            destinations = oauth.oauth_destinations(attempt=attempt)
        except oauth.OAuthRefused as refusal:
            return self._login_refused(request, "", refusal)
        existing = Connection.objects.filter(channel=attempt.channel).first()
        country, language = (
            (existing.country, existing.language)
            if existing
            else connection_defaults(oauth.destinations_country(destinations))
        )
        form = LoginPickForm(
            request.POST or None,
            destinations=destinations,
            initial={"country": country, "language": language},
        )
        error = ""
        if request.method == "POST" and form.is_valid():
            try:
                connection = oauth.oauth_connect(
                    attempt=attempt,
                    destination_id=form.cleaned_data["destination"],
                    new_name=form.cleaned_data["new_name"],
                    country=form.cleaned_data["country"],
                    language=form.cleaned_data["language"],
                    category_id=form.cleaned_data["category_id"],
                )
            except oauth.OAuthRefused as refusal:
                error = refusal.message
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            else:
                self.message_user(
                    request,
                    f"{connection} is connected: its first sync is under way.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:channels_connection_change", args=[connection.pk]))
        name = Channel(attempt.channel).label
        what = WHAT_TO_PICK.get(attempt.channel, "catalog")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Choose your {name} {what}",
            "what": what,
            "opts": self.model._meta,
            "form": form,
            "error": error,
            "channel_name": name,
            "channel": attempt.channel,
            "destinations": destinations,
            "can_create": attempt.channel in CAN_CREATE,
        }
        return TemplateResponse(request, "admin/channels/connection/login_pick.html", context)

    def items_view(self, request: HttpRequest, connection_id: int) -> HttpResponse:
        """The connection's items: search, filter by state, pages of ``ITEMS_PER_PAGE``,
        and "resend" for the ticked ones (POST)."""
        connection = self._connection(request, connection_id)
        state = request.GET.get("state", "")
        if state not in ChannelItem.State.values:
            state = ""
        query = request.GET.get("q", "")[:200]
        here = reverse("admin:channels_connection_items", args=[connection.pk])
        filters = urlencode(
            {name: value for name, value in (("state", state), ("q", query)) if value}
        )
        if request.method == "POST":
            if not self.has_change_permission(request, connection):
                raise PermissionDenied
            chosen = [int(value) for value in request.POST.getlist("item") if value.isdigit()]
            if not chosen:
                self.message_user(request, "Tick the items to resend.", messages.WARNING)
            else:
                try:
                    count = items_resend(connection=connection, item_ids=chosen)
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{count} item{'s' if count != 1 else ''} queued to be sent again; "
                        "their state shows here once the platform answers.",
                    )
            return redirect(f"{here}?{filters}" if filters else here)
        page = Paginator(
            items_for_admin(connection=connection, state=state, query=query), ITEMS_PER_PAGE
        ).get_page(request.GET.get("page"))
        items = list(page.object_list)
        titles = product_titles(item.product_id for item in items)
        rows = [
            {
                "item": item,
                "title": titles.get(item.product_id, "(product deleted)"),
                "fix_url": reverse("admin:catalog_product_change", args=[item.product_id])
                if item.product_id in titles
                else "",
            }
            for item in items
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{connection} items",
            "opts": self.model._meta,
            "original": connection,
            "connection": connection,
            "rows": rows,
            "page": page,
            "states": [(value, label) for value, label in ChannelItem.State.choices],
            "state": state,
            "query": query,
            "filters": filters,
            "can_resend": self.has_change_permission(request, connection)
            and connection_pushes(connection),
        }
        return TemplateResponse(request, "admin/channels/connection/items.html", context)


# what the merchant picks after the login, per platform, and where a new one can be made
WHAT_TO_PICK = {
    Channel.META: "catalog",
    Channel.GOOGLE: "Merchant Center data source",
    Channel.PINTEREST: "ad account",
    Channel.TIKTOK: "shop",
}
CAN_CREATE = {Channel.META, Channel.GOOGLE}


class LoginPickForm(forms.Form):
    destination = forms.ChoiceField(label="Connect to", required=False, widget=forms.RadioSelect)
    new_name = forms.CharField(
        label="Or create a new one named",
        required=False,
        max_length=100,
        help_text="Leave empty to use the one chosen above.",
    )
    country = forms.ChoiceField(choices=country_choices)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)
    # TikTok Shop only: the leaf category its products are listed in
    category_id = forms.CharField(
        label="Category id",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"aria-describedby": "id_category_id_help"}),
        help_text="The TikTok Shop leaf category your products are listed in (Seller Center "
        "→ Products → Add product shows it); empty keeps the one stored.",
    )

    def __init__(self, *args, destinations: list[oauth.Destination], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [
            (entry.id, f"{entry.name} — {entry.detail}" if entry.detail else entry.name)
            for entry in destinations
        ]

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("destination") and not (cleaned.get("new_name") or "").strip():
            raise forms.ValidationError("Choose a catalog, or name a new one.")
        return cleaned


def _logins(connection: Connection | None) -> list[dict]:
    """The "Connect with …" buttons for the channel page (one channel) or the add page
    (every channel with a login): configured or not (then the settings to set)."""
    channels = (
        [connection.channel]
        if connection is not None
        else [
            channel
            for channel in oauth.login_channels()
            if not Connection.objects.filter(channel=channel).exclude(tokens_encrypted="").exists()
        ]
    )
    logins = []
    for channel in channels:
        if channel not in oauth.login_channels():
            continue
        provider = oauth.provider_for(channel)
        logins.append(
            {
                "channel": channel,
                "name": Channel(channel).label,
                "is_configured": provider.is_configured(),
                "settings_names": provider.settings_names,
                "renews": provider.renews,
                "expiry_warning": oauth.expiry_warning(connection) if connection else "",
            }
        )
    return logins


def feed_urls(connection: Connection, request: HttpRequest) -> list[dict[str, str]]:
    """The connection's feed addresses, whole: the shop's address (with the scheme and
    port of the admin's request), path and token, one per format."""
    base = shop_url(db_connection.tenant, request)
    return [
        {
            "format": fmt,
            "url": base
            + reverse("channel-feed", kwargs={"channel": connection.channel, "file_format": fmt})
            + "?"
            + urlencode({"token": connection.feed_token}),
        }
        for fmt in FORMATS[connection.channel]
    ]


class OptionAttributeForm(forms.ModelForm):
    class Meta:
        model = OptionAttribute
        fields = ("option_name", "attribute")

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        stored = self.instance.option_name if self.instance.pk else None
        try:
            if stored is not None and stored.lower() != cleaned["option_name"].strip().lower():
                option_attribute_delete(mapping=self.instance)
            self.saved = option_attribute_set(
                option_name=cleaned["option_name"], attribute=cleaned.get("attribute", "")
            )
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None
        return cleaned

    def validate_unique(self) -> None:
        """The service matches names in any case (and saved in clean())."""

    def save(self, commit: bool = True) -> OptionAttribute:
        self.save_m2m = lambda: None
        return self.saved


@admin.register(OptionAttribute)
class OptionAttributeAdmin(admin.ModelAdmin):
    """The shop's mapping of option names to the attributes the channels send."""

    form = OptionAttributeForm
    list_display = ("option_name", "attribute")
    search_fields = ("option_name",)

    def changelist_view(self, request, extra_context=None):
        defaults = ", ".join(
            f"{name.title()} → {Attribute(attribute).label}"
            for name, attribute in DEFAULT_OPTION_ATTRIBUTES.items()
        )
        extra_context = {
            **(extra_context or {}),
            "subtitle": f"Without a mapping of your own: {defaults}.",
        }
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        """Saved through the services in the form's clean()."""

    def delete_model(self, request, obj) -> None:
        option_attribute_delete(mapping=obj)

    def delete_queryset(self, request, queryset) -> None:
        for mapping in queryset:
            option_attribute_delete(mapping=mapping)


def _sync_box(connection: Connection) -> dict:
    """``sync_status`` with, per rejected item, the link to fix its product."""
    status = sync_status(connection=connection)
    for item in status["rejected_items"]:
        item["fix_url"] = reverse("admin:catalog_product_change", args=[item["product_id"]])
    return status
