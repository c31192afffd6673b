"""Root URLconf: Django's auth views (name "logout" -> LogoutView), the admin, and the apps."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("library/", include("library.urls")),
    path("catalog/", include("catalog.urls")),
    path("me/", include("accounts.urls")),
]
