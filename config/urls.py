"""URL map: / portal, /admin/, /accounts/, /api/v1/, /api/schema/, /api/docs/, /healthz/."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core import views as core_views

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("community.api_urls")),
    path("", include("notices.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("points.api_urls")),
    path("", include("contracts.api_urls")),
    path("", include("councils.api_urls")),
    path("", include("volunteers.api_urls")),
    path("", include("dashboards.api_urls")),
]

urlpatterns = [
    path("", include("core.urls")),
    path("accounts/", include("community.urls")),
    path("notices/", include("notices.urls")),
    path("record/", include("audit.urls")),
    path("points/", include("points.urls")),
    path("contracts/", include("contracts.urls")),
    path("councils/", include("councils.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
]

handler403 = "core.views.permission_denied"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
