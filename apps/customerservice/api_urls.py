from django.urls import path

from apps.customerservice import apis

urlpatterns = [
    path("tickets/", apis.TicketListApi.as_view(), name="api-support-tickets"),
    path("tickets/<str:code>/", apis.TicketDetailApi.as_view(), name="api-support-ticket"),
    path(
        "tickets/<str:code>/notes/",
        apis.TicketNoteCreateApi.as_view(),
        name="api-support-ticket-notes",
    ),
    path("inquiries/", apis.InquiryListApi.as_view(), name="api-support-inquiries"),
    path("kb/articles/", apis.ArticleSearchApi.as_view(), name="api-support-articles"),
]
