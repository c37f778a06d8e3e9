from django.urls import path

from memory import views

urlpatterns = [
    path("", views.memory_list, name="memories"),
    path("forget/", views.memories_forget_many, name="memories_forget"),
    path("<int:memory_id>/edit/", views.memory_edit, name="memory_edit"),
    path("<int:memory_id>/pin/", views.memory_pin, name="memory_pin"),
    path("<int:memory_id>/privacy/", views.memory_privacy, name="memory_privacy"),
    path("<int:memory_id>/forget/", views.memory_forget, name="memory_forget"),
]
