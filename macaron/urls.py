from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from macaron import views

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("memory.api.urls")),
    path("subagents/", include("subagents.api.urls")),
    path("", include("community.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The live strings of static/js (gettext() there), in the page's language; served by us.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("accounts.urls")),
    path("welcome/", include("accounts.onboarding_urls")),
    path("memories/", include("memory.urls")),
    path("chat/", include("memory.chat_urls")),
    path("notifications/", include("memory.reminder_urls")),
    path("data/", include("memory.data_urls")),
    path("privacy/", include("memory.privacy_urls")),
    path("tools/", include("subagents.urls")),
    path("community/", include("community.urls")),
    path("staff/moderation/", include("community.staff_urls")),
    path("staff/", include("memory.staff.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=): no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "macaron.errors_views.not_found"
handler500 = "macaron.errors_views.server_error"
