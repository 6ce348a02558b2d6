"""JSON API for tickets, inquiries and the knowledge base (mounted under /api/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import paginated
from apps.customerservice import selectors, services
from apps.customerservice.models import Inquiry, Ticket, TicketNote


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = TicketNote
        fields = ["id", "author", "body", "is_reply", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class TicketSerializer(serializers.ModelSerializer):
    inquiry_id = serializers.CharField(source="inquiry.code", default=None, read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "code",
            "inquiry_id",
            "subject",
            "reason",
            "priority",
            "status",
            "queue",
            "assignee",
            "sla_due_at",
            "is_overdue",
            "created_at",
            "closed_at",
        ]


class TicketDetailSerializer(TicketSerializer):
    notes = NoteSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "notes"]


class InquirySerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", default=None, read_only=True)

    class Meta:
        model = Inquiry
        fields = [
            "code",
            "customer",
            "customer_tier",
            "channel",
            "text",
            "category",
            "priority",
            "confidence",
            "reasons",
            "created_at",
        ]


class ArticleHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField()
    snippet = serializers.CharField()
    score = serializers.FloatField()


def _paginated(view: APIView, request: Request, rows, serializer_class) -> Response:  # type: ignore[no-untyped-def]
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class TicketListApi(APIView):
    @extend_schema(
        responses=paginated(TicketSerializer, "Ticket"),
        parameters=[
            OpenApiParameter(name, str, description=f"filter by {name}")
            for name in ("status", "priority", "assignee", "queue")
        ],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        assignee = params.get("assignee", "")
        if assignee == "me":
            assignee = str(request.user.pk)
        tickets = selectors.ticket_list(
            status=params.get("status", ""),
            priority=params.get("priority", ""),
            assignee=assignee,
            queue=params.get("queue", ""),
        )
        return _paginated(self, request, tickets, TicketSerializer)


def _ticket_or_404(code: str) -> Ticket:
    ticket = selectors.ticket_get(code=code)
    if ticket is None:
        raise NotFound(f"no ticket {code}")
    return ticket


class TicketDetailApi(APIView):
    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request: Request, code: str) -> Response:
        return Response(TicketDetailSerializer(_ticket_or_404(code)).data)


class TicketNoteCreateApi(APIView):
    @extend_schema(request=NoteSerializer, responses={201: NoteSerializer})
    def post(self, request: Request, code: str) -> Response:
        if not selectors.user_can_work_tickets(request.user):
            raise PermissionDenied("you may not work support tickets")
        ticket = _ticket_or_404(code)
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        body = payload.validated_data["body"]
        if not body.strip():
            raise serializers.ValidationError({"body": ["This field may not be blank."]})
        note = services.ticket_note_add(
            ticket=ticket,
            author=request.user,
            body=body,
            is_reply=payload.validated_data.get("is_reply", False),
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class InquiryListApi(APIView):
    @extend_schema(
        responses=paginated(InquirySerializer, "Inquiry"),
        parameters=[
            OpenApiParameter("category", str, description="filter by category"),
            OpenApiParameter("priority", str, description="filter by priority"),
        ],
    )
    def get(self, request: Request) -> Response:
        inquiries = selectors.inquiry_list(
            category=request.query_params.get("category", ""),
            priority=request.query_params.get("priority", ""),
        )
        return _paginated(self, request, inquiries, InquirySerializer)


class ArticleSearchApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            name="ArticleSearchResult",
            fields={
                "count": serializers.IntegerField(),
                "results": ArticleHitSerializer(many=True),
            },
        ),
        parameters=[
            OpenApiParameter("q", str, description="search words"),
            OpenApiParameter("category", str, description="category slug or 'all'"),
        ],
    )
    def get(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        category = request.query_params.get("category", "") or None
        if query.strip():
            hits = selectors.article_search(query=query, category=category, limit=20)
            return Response(
                {"count": len(hits), "results": ArticleHitSerializer(hits, many=True).data}
            )
        articles = selectors.article_list(category=category or "").filter(published=True)[:50]
        rows = [
            {
                "id": a.pk,
                "title": a.title,
                "category": a.category.slug,
                "snippet": a.body[:200],
                "score": 0.0,
            }
            for a in articles
        ]
        return Response({"count": len(rows), "results": rows})
