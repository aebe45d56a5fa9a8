"""人工审核 evidence: the page of one case and its kept frames, for staff of
the case's region (province: all). The frames are never at a public URL: each
is opened by this view after the region check, audited, and not cached."""

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render

from lifecert.accounts.access import AuthenticatedRequest, parse_uuid, staff_required
from lifecert.certification.access import access_review
from lifecert.certification.review_evidence import (
    NO_FRAME,
    evidence_of,
    open_review_frame,
)
from lifecert.core.audit import client_ip
from lifecert.core.methods import download, require_safe


@staff_required
@require_safe
def review_detail(request: AuthenticatedRequest, public_id: str) -> HttpResponse:
    review = access_review(request.user, parse_uuid(public_id))
    evidence = evidence_of(review)
    return render(
        request,
        "backoffice/review_detail.html",
        {
            "review": review,
            "evidence": evidence,
            "frame_numbers": range(evidence.frames) if not evidence.purged else [],
            "keep_days": settings.FACE_REVIEW_KEEP_DAYS,
        },
    )


@staff_required
@require_safe
def review_frame(
    request: AuthenticatedRequest, public_id: str, index: int
) -> HttpResponseBase:
    review = access_review(request.user, parse_uuid(public_id))
    if not evidence_of(review).has_frame(index):
        raise Http404(NO_FRAME)
    # Opening a frame is audited: a HEAD opens none.
    response = download(
        request,
        lambda: open_review_frame(
            review=review, index=index, acting_user=request.user, ip=client_ip(request)
        ),
        content_type="image/jpeg",
        as_attachment=False,
    )
    # Biometric data: no copy in any cache, the browser's included.
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    return response
