"""URLs of the platform host (public schema)."""

from django.urls import path

from shops import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
]
