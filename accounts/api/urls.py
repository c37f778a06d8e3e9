from django.urls import path

from accounts.api import onboarding, tokens, views

urlpatterns = [
    path("auth/signup/", views.SignupApi.as_view(), name="signup"),
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("auth/tokens/", tokens.ApiTokensApi.as_view(), name="tokens"),
    path("auth/tokens/<int:token_id>/", tokens.ApiTokenDetailApi.as_view(), name="token-detail"),
    path(
        "auth/logout-everywhere/",
        tokens.LogoutEverywhereApi.as_view(),
        name="logout-everywhere",
    ),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/step-up/", views.StepUpApi.as_view(), name="step-up"),
    path("onboarding/", onboarding.OnboardingApi.as_view(), name="onboarding"),
    path(
        "onboarding/answers/",
        onboarding.OnboardingAnswerApi.as_view(),
        name="onboarding-answers",
    ),
    path(
        "onboarding/interests/",
        onboarding.OnboardingInterestsApi.as_view(),
        name="onboarding-interests",
    ),
    path(
        "onboarding/complete/",
        onboarding.OnboardingCompleteApi.as_view(),
        name="onboarding-complete",
    ),
    path("companion/", onboarding.CompanionApi.as_view(), name="companion"),
]
