"""Where generated reports and uploaded files live: a private file store.

It follows MEDIA_ROOT when the project sets one and falls back to
`<OWM_VAR_DIR>/media` otherwise. Files are never served as public media;
they go out through authenticated download views only."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property


@deconstructible
class PrivateStorage(FileSystemStorage):
    @cached_property
    def base_location(self) -> str:
        media_root = getattr(settings, "MEDIA_ROOT", "")
        if media_root:
            return str(media_root)
        var_dir = getattr(settings, "VAR_DIR", Path(settings.BASE_DIR) / "var")
        return str(Path(var_dir) / "media")

    @cached_property
    def base_url(self) -> None:  # type: ignore[override]  # never a public URL
        return None


private_storage = PrivateStorage()
