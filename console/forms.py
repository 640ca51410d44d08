"""Admin forms whose save is a service call, and admin actions that ask staff why.

The service runs while the form validates (the admin wraps the whole request in one
transaction), so whatever the service refuses shows in the form as an error, exactly like a
field error, and nothing is half-applied: a refusal rolls back its savepoint."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from core.errors import ApplicationError


class ServiceModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """Subclasses implement `apply()`: call the service, return the saved object."""

    actor: Any = None  # the staff user, set by ServiceModelAdmin.get_form

    def apply(self) -> models.Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.instance = self.apply()
        except ApplicationError as exc:
            self.add_error(None, exc.message)

    def save(self, commit: bool = True) -> Any:
        self.save_m2m = lambda: None  # type: ignore[method-assign]  # the service saved all
        return self.instance


class ServiceModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin that never writes rows itself: its ServiceModelForm did, through a service."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass


def service_errors_to_messages(
    request: HttpRequest, items: QuerySet[Any], call: Callable[[Any], Any], done: str
) -> int:
    """Runs `call(item)` for each selected row, each in its own transaction; a refusal is
    shown for that row and the others still run. Returns how many succeeded."""
    succeeded = 0
    for item in items:
        try:
            with transaction.atomic():
                call(item)
        except ApplicationError as exc:
            messages.error(request, f"{item}: {exc.message}")
        else:
            succeeded += 1
    if succeeded:
        messages.success(request, f"{done}: {succeeded}.")
    return succeeded


def reason_action(
    *, name: str, question: str, confirm: str, done: str, call: Callable[[Any, Any, str], Any]
) -> Callable[[Any, HttpRequest, QuerySet[Any]], Any]:
    """An admin action that first asks why, then runs `call(item, staff_user, reason)`."""

    def action(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        reason = request.POST.get("reason", "").strip()
        if "apply" in request.POST and reason:
            service_errors_to_messages(
                request, queryset, lambda item: call(item, request.user, reason), done
            )
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": confirm,
            "question": question,
            "confirm": confirm,
            "queryset": queryset,
            "action": request.POST.get("action", ""),
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "console/action_reason.html", context)

    action.__name__ = name
    return action
