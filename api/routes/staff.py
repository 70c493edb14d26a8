"""Staff views: each domain's staff routes under `/api/staff` and its dashboard page, as
`domains.registry` lists them.

Staff are users with the staff flag (`convonet grant-staff EMAIL`); everyone else gets 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from api.deps import get_staff_user
from api.web import page
from domains import registry
from domains.domain import Domain


def _page(folder: str) -> Callable[[], Awaitable[FileResponse]]:
    async def show() -> FileResponse:
        return page(folder)

    return show


def build_router(domains: tuple[Domain, ...] | None = None) -> APIRouter:
    """The staff API of `domains` (the registry's when None), behind the staff check, and their dashboard pages."""
    if domains is None:
        domains = registry.DOMAINS
    router = APIRouter(tags=["staff"])
    api = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(get_staff_user)])
    for domain in domains:
        if domain.page:
            router.add_api_route(f"/{domain.page}", _page(domain.page), methods=["GET"], include_in_schema=False)
        if domain.staff:
            api.include_router(domain.staff)
    router.include_router(api)
    return router
