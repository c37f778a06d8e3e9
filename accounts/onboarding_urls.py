"""The onboarding pages, mounted at /welcome/ by macaron/urls.py."""

from django.urls import path

from accounts import onboarding_views as views

urlpatterns = [
    path("", views.start, name="onboarding"),
    path("q/<int:number>/", views.question, name="onboarding_question"),
    path("companion/", views.companion, name="onboarding_companion"),
    path("interests/", views.interests, name="onboarding_interests"),
    path("gift/", views.gift, name="onboarding_gift"),
    path("complete/", views.complete, name="onboarding_complete"),
    path("skip/", views.skip, name="onboarding_skip"),
]
