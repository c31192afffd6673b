"""Account routes, included at "me/" by the root URLconf (namespace "accounts")."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("quick-logout/", views.quick_logout, name="quick_logout"),
    path("sign-out/", views.sign_out, name="sign_out"),
]
