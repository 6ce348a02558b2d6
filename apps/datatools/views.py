from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.datatools import selectors, services
from apps.datatools.models import Dataset, Report

PER_PAGE = 20
PREVIEW_PER_PAGE = 50
UPLOAD_SUFFIXES = (".csv", ".tsv", ".json", ".xlsx")


@login_required
def dataset_list(request: HttpRequest) -> HttpResponse:
    datasets = selectors.datasets_visible_to(request.user).defer("rows", "text")
    source = request.GET.get("source", "")
    q = request.GET.get("q", "").strip()
    if source:
        datasets = datasets.filter(source_type=source)
    if q:
        datasets = datasets.filter(name__icontains=q) | datasets.filter(data_id__iexact=q)
    page = Paginator(datasets, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "datatools/dataset_list.html",
        {
            "page": page,
            "source": source,
            "q": q,
            "sources": Dataset.Source.choices,
        },
    )


def _dataset_or_404(request: HttpRequest, data_id: str) -> Dataset:
    dataset = selectors.dataset_get_for(user=request.user, data_id=data_id)
    if dataset is None:
        raise Http404("no such dataset")
    return dataset


@login_required
def dataset_detail(request: HttpRequest, data_id: str) -> HttpResponse:
    dataset = _dataset_or_404(request, data_id)
    page = Paginator(dataset.rows, PREVIEW_PER_PAGE).get_page(request.GET.get("page"))
    table = [[row.get(c) for c in dataset.columns] for row in page.object_list]
    return render(
        request,
        "datatools/dataset_detail.html",
        {
            "dataset": dataset,
            "page": page,
            "table": table,
            "analyses": selectors.analyses_for(dataset=dataset)[:10],
            "children": selectors.datasets_visible_to(request.user)
            .filter(parent=dataset)
            .defer("rows", "text"),
            "reports": dataset.reports.all()[:20],
        },
    )


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    reports = selectors.reports_visible_to(request.user)
    fmt = request.GET.get("format", "")
    if fmt:
        reports = reports.filter(format=fmt)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "datatools/report_list.html",
        {
            "page": page,
            "format": fmt,
            "formats": Report.Format.choices,
        },
    )


def report_file_response(report: Report) -> FileResponse:
    """The report as a download: an attachment, never rendered inline."""
    response = FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.filename,
        content_type=report.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_download(request: HttpRequest, report_id: str) -> FileResponse:
    report = selectors.report_get_for(user=request.user, report_id=report_id)
    if report is None or not report.file:
        raise Http404("no such report")
    return report_file_response(report)


@login_required
def analysis_chart(request: HttpRequest, analysis_id: str) -> HttpResponse:
    found = selectors.analysis_get_for(user=request.user, analysis_id=analysis_id)
    if found is None or not found.chart_svg:
        raise Http404("no chart")
    response = HttpResponse(found.chart_svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _may_upload(user: object) -> bool:
    return bool(getattr(user, "is_staff", False) or user.has_perm("tools.use_tools"))  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def file_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not _may_upload(request.user):
            messages.error(request, "You may not upload files.")
        elif upload is None or not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            messages.error(request, "Choose a .csv, .tsv, .json or .xlsx file.")
        elif upload.size > services.sources.fetch_max_bytes():
            messages.error(request, "The file is larger than the fetch limit.")
        else:
            saved = services.uploaded_file_create(
                name=upload.name, content=upload.read(), uploaded_by=request.user
            )
            messages.success(request, f"Uploaded {saved.name} (id {saved.pk}).")
            return redirect("datatools:files")
    files = selectors.uploaded_files_visible_to(request.user).select_related("uploaded_by")
    page = Paginator(files, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "datatools/file_list.html",
        {
            "page": page,
            "may_upload": _may_upload(request.user),
        },
    )
