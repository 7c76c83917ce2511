"""Template context every page needs: platform name, the user's roles and unread notices."""

from django.conf import settings

from community.access import scope_for


def platform(request):
    user = getattr(request, "user", None)
    scope = scope_for(user) if user is not None else None
    unread = 0
    if user is not None and user.is_authenticated:
        from notices.selectors import unread_count

        unread = unread_count(user=user)
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "user_roles": scope.roles if scope else frozenset(),
        "unread_notice_count": unread,
    }
