from django.urls import path

from memory import views

urlpatterns = [
    path("", views.memory_list, name="memories"),
    path("forget/", views.memories_forget_many, name="memories_forget"),
    path("trash/", views.memories_trash_page, name="memories_trash"),
    path("trash/restore/", views.memories_restore_many, name="memories_restore"),
    path("trash/erase/", views.memories_trash_erase, name="memories_trash_erase"),
    path("<int:memory_id>/edit/", views.memory_edit, name="memory_edit"),
    path("<int:memory_id>/pin/", views.memory_pin, name="memory_pin"),
    path("<int:memory_id>/privacy/", views.memory_privacy, name="memory_privacy"),
    path("<int:memory_id>/forget/", views.memory_forget, name="memory_forget"),
]
