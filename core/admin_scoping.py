"""A ModelAdmin mixin that keeps the back office inside the user's areas and sends every write to a service.

Use it before the admin base class, for example `class AreaAdmin(ScopedAdminMixin, SimpleHistoryAdmin)`:

- lists, change pages, history and foreign-key choices show only `Model.objects.visible_to(user)`;
  an object outside that answers 404, the same as one that does not exist;
- permissions are the named rules `"<app>.<verb>_<model>"` (django-rules), asked with the object;
- the concrete admin writes through services by implementing `create_object`, `update_object` and
  `delete_object`; an action whose hook is missing is not offered at all, superusers included;
- an `ApplicationError` raised by a service (a rule, a business check) rolls the attempt back and
  shows the same form again with the reason, in the user's language;
- with django-simple-history, the history is shown for visible objects only and reverting (which
  would write around the services) is switched off.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .exceptions import ApplicationError

SERVICE_ERROR_ATTR = "_admin_service_error"


def brand_admin_site(site) -> None:
    """Titles of the back office, translated like every other string (zh-hans first)."""
    site.site_header = _("Yuecheng Co-construction Platform · Back office")
    site.site_title = _("Yuecheng back office")
    site.index_title = _("Administration")


def scoped(queryset: models.QuerySet, user) -> models.QuerySet:
    """`queryset.visible_to(user)` where the model has a scope; unscoped models are left alone."""
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user)
    return queryset


def model_field_values(form, model: type[models.Model], names=None) -> dict[str, Any]:
    """The cleaned values of the form's fields that are concrete, editable fields of `model`."""
    field_names = {f.name for f in model._meta.concrete_fields if f.editable}
    names = form.cleaned_data.keys() if names is None else names
    return {
        name: form.cleaned_data[name] for name in names if name in field_names and name in form.cleaned_data
    }


def _with_service_error(form_class, error: ApplicationError):
    """The same form class, failing validation with the error a service raised on the first attempt."""

    class FormWithServiceError(form_class):
        def clean(self):
            cleaned = super().clean()
            for field, field_messages in (error.extra or {}).items():
                if field in self.fields:
                    for message in field_messages:
                        self.add_error(field, message)
            self.add_error(None, str(error.message))
            return cleaned

    FormWithServiceError.__name__ = form_class.__name__
    FormWithServiceError.__qualname__ = form_class.__qualname__
    return FormWithServiceError


def _keeping_current_choices(form_class):
    """The same form class, whose foreign-key choices also hold the value the object has now.

    A community's parent street, or an in-service member's workplace Party organisation, may lie
    outside the user's scope: the form must still show and keep it, while offering nothing else
    from outside.
    """

    class FormKeepingCurrentChoices(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            instance = self.instance
            if instance is None or instance.pk is None:
                return
            for name, field in self.fields.items():
                if not isinstance(field, forms.ModelChoiceField) or isinstance(
                    field, forms.ModelMultipleChoiceField
                ):
                    continue
                current = getattr(instance, f"{name}_id", None)
                if current is not None and not field.queryset.filter(pk=current).exists():
                    field.queryset = field.queryset | field.queryset.model._default_manager.filter(pk=current)

    FormKeepingCurrentChoices.__name__ = form_class.__name__
    FormKeepingCurrentChoices.__qualname__ = form_class.__qualname__
    return FormKeepingCurrentChoices


class _ScopedFieldsMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and request is not None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = scoped(queryset, request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and request is not None:
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
            if queryset is None:
                queryset = db_field.remote_field.model._default_manager.all()
            kwargs["queryset"] = scoped(queryset, request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def permission_name(self, verb: str) -> str:
        return f"{self.opts.app_label}.{verb}_{self.opts.model_name}"


class ScopedAdminMixin(_ScopedFieldsMixin):
    # --- Writes: the concrete admin calls its services here ---------------------------------

    def create_object(self, request, data: dict[str, Any], form) -> models.Model:
        """Create through a service from the form's model-field values; return the new object."""
        raise NotImplementedError

    def update_object(self, request, obj: models.Model, changes: dict[str, Any], form) -> models.Model:
        """Apply `changes` (only the fields the user changed) to `obj` as stored, through a service."""
        raise NotImplementedError

    def delete_object(self, request, obj: models.Model) -> None:
        """Remove (or revoke) through a service."""
        raise NotImplementedError

    def save_inline(self, request, form, formset, change: bool) -> None:
        """Save an inline formset through services (needed only by admins whose inlines can change)."""
        raise ImproperlyConfigured(f"{type(self).__name__} has inlines that change but no save_inline().")

    def _implements(self, hook: str) -> bool:
        return getattr(type(self), hook) is not getattr(ScopedAdminMixin, hook)

    # --- Scope ----------------------------------------------------------------------------

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django sends a missing object to the index with "perhaps it was deleted?". Outside the
        # user's scope it must be indistinguishable from absent, and a plain 404 says both.
        raise Http404(_("Not found."))

    # --- Permissions: the rules table, asked with the object ---------------------------------

    def has_module_permission(self, request):
        return request.user.has_perm(self.permission_name("view")) or request.user.has_perm(
            self.permission_name("change")
        )

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.permission_name("view"), obj)

    def has_add_permission(self, request):
        return self._implements("create_object") and request.user.has_perm(self.permission_name("add"))

    def has_change_permission(self, request, obj=None):
        return self._implements("update_object") and request.user.has_perm(
            self.permission_name("change"), obj
        )

    def has_delete_permission(self, request, obj=None):
        return self._implements("delete_object") and request.user.has_perm(
            self.permission_name("delete"), obj
        )

    # --- Saving through services --------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            stored = self.model._default_manager.get(pk=obj.pk)
            changes = model_field_values(form, self.model, form.changed_data)
            saved = self.update_object(request, stored, changes, form) if changes else stored
        else:
            saved = self.create_object(request, model_field_values(form, self.model), form)
        # The admin goes on with the form's instance (logging, redirects, inlines): make it the saved one.
        obj.__dict__.update(saved.__dict__)

    def save_formset(self, request, form, formset, change):
        if formset.has_changed() or formset.deleted_forms:
            self.save_inline(request, form, formset, change)
        else:
            # What formset.save() would have recorded; the change message reads it.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_model(self, request, obj):
        self.delete_object(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_object(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form_class = _keeping_current_choices(form_class)
        error = getattr(request, SERVICE_ERROR_ATTR, None)
        return form_class if error is None else _with_service_error(form_class, error)

    # --- Service errors become messages, never a 500 ---------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as exc:
            if request.method != "POST" or getattr(request, SERVICE_ERROR_ATTR, None) is not None:
                raise
            # The attempt's transaction is rolled back; show the same form with the service's reason.
            setattr(request, SERVICE_ERROR_ATTR, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- History (django-simple-history) -------------------------------------------------------

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("Not found."))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404(_("Not found."))
        if request.method != "GET":
            # Reverting saves an old version around the services and their rules.
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ScopedInlineMixin(_ScopedFieldsMixin):
    """For inlines: rows and choices limited to what the user may see; the parent admin saves them.

    Inline permissions are asked without an object (the parent is not the inline's object); the
    services check each row when the parent admin's `save_inline` calls them.
    """

    can_change_rows = False

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.permission_name("view"))

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(self.permission_name("add"))

    def has_change_permission(self, request, obj=None):
        return self.can_change_rows and request.user.has_perm(self.permission_name("change"))

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(self.permission_name("delete"))


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under their parent and never changed there (their changes go through services)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
