from django.urls import path

from memory import data_views as views

urlpatterns = [
    path("", views.data_page, name="data"),
    path("export/", views.data_export, name="data-export"),
    path("import/", views.data_import, name="data-import"),
]
