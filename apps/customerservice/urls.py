from django.urls import path

from apps.customerservice import views

app_name = "customerservice"

urlpatterns = [
    path("", views.ticket_list, name="tickets"),
    path("tickets/<str:code>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:code>/assign/", views.ticket_assign, name="ticket-assign"),
    path("tickets/<str:code>/notes/", views.ticket_note, name="ticket-note"),
    path("tickets/<str:code>/status/", views.ticket_status, name="ticket-status"),
    path("inquiries/", views.inquiry_list, name="inquiries"),
    path("kb/", views.article_list, name="articles"),
    path("kb/new/", views.article_edit, name="article-new"),
    path("kb/<int:article_id>/edit/", views.article_edit, name="article-edit"),
]
