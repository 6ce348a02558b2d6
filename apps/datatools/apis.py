from __future__ import annotations

from django.http import FileResponse, Http404
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.datatools import selectors
from apps.datatools.models import Dataset, Report
from apps.datatools.views import report_file_response


class DatasetSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None)
    parent = serializers.CharField(source="parent.data_id", default=None)

    class Meta:
        model = Dataset
        fields = [
            "data_id",
            "name",
            "source_type",
            "source",
            "parameters",
            "columns",
            "row_count",
            "truncated",
            "parent",
            "operation",
            "created_by",
            "created_at",
        ]


class DatasetDetailSerializer(DatasetSerializer):
    class Meta(DatasetSerializer.Meta):
        fields = [*DatasetSerializer.Meta.fields, "rows"]


class ReportSerializer(serializers.ModelSerializer):
    data_id = serializers.CharField(source="dataset.data_id")
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = Report
        fields = [
            "report_id",
            "title",
            "data_id",
            "report_type",
            "format",
            "content_type",
            "size",
            "created_by",
            "created_at",
        ]


class DatasetListApi(generics.ListAPIView):
    serializer_class = DatasetSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        datasets = selectors.datasets_visible_to(self.request.user).defer("rows", "text")
        if source := self.request.query_params.get("source_type"):
            datasets = datasets.filter(source_type=source)
        return datasets


class DatasetDetailApi(generics.RetrieveAPIView):
    serializer_class = DatasetDetailSerializer

    def get_object(self) -> Dataset:
        found = selectors.dataset_get_for(user=self.request.user, data_id=self.kwargs["data_id"])
        if found is None:
            raise Http404("no such dataset")
        return found


class ReportListApi(generics.ListAPIView):
    serializer_class = ReportSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.reports_visible_to(self.request.user)


class ReportDownloadApi(APIView):
    def get(self, request: Request, report_id: str) -> FileResponse:
        report = selectors.report_get_for(user=request.user, report_id=report_id)
        if report is None or not report.file:
            raise Http404("no such report")
        return report_file_response(report)
