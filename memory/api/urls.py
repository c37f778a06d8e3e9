from django.urls import path

from memory.api import views

urlpatterns = [
    path("memories/", views.MemoryListApi.as_view(), name="memory-list"),
    path("memories/forget/", views.MemoryForgetApi.as_view(), name="memory-forget"),
    path("memories/search/", views.MemorySearchApi.as_view(), name="memory-search"),
    path("memories/<int:memory_id>/", views.MemoryDetailApi.as_view(), name="memory-detail"),
    path(
        "memories/<int:memory_id>/feedback/",
        views.MemoryFeedbackApi.as_view(),
        name="memory-feedback",
    ),
]
