from django.urls import path

from memory.staff import views

urlpatterns = [
    path("", views.people, name="staff-people"),
    path("people/<int:person_id>/", views.person, name="staff-person"),
    path("people/<int:person_id>/export/", views.person_export, name="staff-person-export"),
    path(
        "people/<int:person_id>/exports/<uuid:job_id>/download/",
        views.export_download,
        name="staff-export-download",
    ),
    path("people/<int:person_id>/erasure/", views.person_erasure, name="staff-person-erasure"),
    path("people/<int:person_id>/read/", views.person_read, name="staff-person-read"),
    path("audit/", views.audit, name="staff-audit"),
    path("report/", views.report, name="staff-report"),
    path("system/", views.system, name="staff-system"),
    path("policies/", views.policies, name="staff-policies"),
    path("policies/activate/", views.policy_activate, name="staff-policy-activate"),
]
