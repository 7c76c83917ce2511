"""The one check of an uploaded photo: a JPG or PNG by its name and by its first bytes, within a size."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .exceptions import ValidationFailed

PHOTO_TYPES = (".jpg", ".jpeg", ".png")
PHOTO_MAX_BYTES = 8 * 1024 * 1024
# What a JPG and a PNG file start with: a file renamed to .jpg is refused.
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def check_photo(photo, *, field: str = "photo", max_bytes: int = PHOTO_MAX_BYTES) -> None:
    """Refuse (400, nothing saved) anything but a JPG or PNG picture of at most `max_bytes`; None passes."""
    if photo is None:
        return
    if photo.size > max_bytes:
        raise ValidationFailed(
            _("The photo may be at most %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)},
            code="photo_too_large",
            extra={field: [_("Too large.")]},
        )
    name = (getattr(photo, "name", "") or "").lower()
    head = b""
    if name.endswith(PHOTO_TYPES):
        position = photo.tell() if hasattr(photo, "tell") else 0
        photo.seek(0)
        head = photo.read(8)
        photo.seek(position)
    if not head.startswith(_SIGNATURES):
        raise ValidationFailed(
            _("The photo must be a JPG or PNG picture."), code="photo_type", extra={field: [_("Wrong type.")]}
        )
