from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import selectors, services
from apps.accounts.forms import ApiKeyForm, ServiceAccountForm, ThrottledAuthenticationForm
from apps.accounts.throttling import client_ip

ACCOUNTS_PER_PAGE = 25


class LoginView(auth_views.LoginView):
    """The dashboard log-in, with failure throttling shared with the token API."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


def staff_access(request: HttpRequest) -> None:
    if not request.user.is_staff:  # type: ignore[union-attr]
        raise PermissionDenied("Service accounts are managed by staff only.")


def _list_page(request: HttpRequest, form: ServiceAccountForm, status: int = 200) -> HttpResponse:
    page = Paginator(selectors.service_account_list(), ACCOUNTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "form": form, "key_form": ApiKeyForm()}
    return render(request, "accounts/service_accounts.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def service_account_list(request: HttpRequest) -> HttpResponse:
    staff_access(request)
    if request.method != "POST":
        return _list_page(request, ServiceAccountForm())
    form = ServiceAccountForm(request.POST)
    if form.is_valid():
        try:
            account = services.service_account_create(
                username=form.cleaned_data["username"],
                roles=[group.name for group in form.cleaned_data["roles"]],
                description=form.cleaned_data["description"],
                created_by=request.user,  # type: ignore[arg-type]
                ip=client_ip(request),
            )
        except ValueError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(request, f"Service account {account} created. Now give it a key.")
            return redirect("accounts:service-accounts")
    return _list_page(request, form, status=400)


@never_cache
@login_required
@require_POST
def api_key_create(request: HttpRequest, account_id: int) -> HttpResponse:
    staff_access(request)
    account = selectors.service_account_get(pk=account_id)
    if account is None:
        raise Http404("no such service account")
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The key needs a name (and a valid expiry, if any).")
        return redirect("accounts:service-accounts")
    key, plaintext = services.api_key_create(
        account=account,
        name=form.cleaned_data["name"],
        expires_at=form.cleaned_data["expires_at"],
        created_by=request.user,  # type: ignore[arg-type]
        ip=client_ip(request),
    )
    context = {"account": account, "key": key, "plaintext": plaintext}
    return render(request, "accounts/key_created.html", context)


@login_required
@require_POST
def api_key_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    staff_access(request)
    key = selectors.api_key_get(prefix=prefix)
    if key is None:
        raise Http404("no such API key")
    services.api_key_revoke(key=key, actor=request.user, ip=client_ip(request))
    messages.success(request, f"Key {key.name} (owm_{key.prefix}_…) revoked: it no longer works.")
    return redirect("accounts:service-accounts")
