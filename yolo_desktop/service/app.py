"""The FastAPI application: ``create_app(config)``, and ``app_from_env`` for uvicorn's worker processes.

The lifespan starts the backend, whose inference thread loads the model in the background: the process answers
``/v2/health/live`` at once and ``/v2/health/ready`` only once the model is loaded. uvicorn starts each worker
as a fresh process (spawn), so no model is ever loaded before a fork.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline

from .. import TAGLINE, __version__
from . import routes_deepstack, routes_health, routes_jobs, routes_native, routes_page, routes_seed
from .backend import Backend, Jobs
from .config import ServiceConfig
from .context import Counts, Service, service_of
from .local_jobs import LocalJobs
from .store import Store

DESCRIPTION = f"""{TAGLINE}.

Three families of routes read the same detections: the original service's (`/upload`, `/view/<id>`, `/counts`),
the DeepStack / CodeProject.AI API (`/v1/vision/...`), and the native `/v1/detect` (the command line's
`detections.json`). Asynchronous requests (`POST /v1/jobs`, `/upload?async=1`) are answered at once with an id;
`/view/<id>` and `/v1/jobs/<id>` say `processing` until done. With an API key, every route but health needs
`Authorization: Bearer KEY` or `X-API-Key: KEY`.
"""

DOCS_STATIC = "/static-docs"  # Swagger UI's and ReDoc's files
REDOC_ASSET = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the server's --api-key")
_bearer = HTTPBearer(auto_error=False, description="the server's --api-key as a bearer token")


class Unauthorized(HTTPException):
    def __init__(self) -> None:
        super().__init__(401, "a valid API key is required", headers={"WWW-Authenticate": "Bearer"})


async def require_key(
    request: Request,
    header: str | None = Security(_api_key_header),
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),
) -> None:
    service = service_of(request)
    if not service.key_matches(header or (bearer.credentials if bearer else None)):
        raise Unauthorized()


def default_backend(config: ServiceConfig) -> Backend:
    """``--redis``: a light front whose queue workers detect; otherwise the model runs in this process."""
    if config.redis:
        from .queue_backend import QueueBackend

        return QueueBackend(config)
    from .local_backend import LocalBackend

    return LocalBackend(config)


def create_app(config: ServiceConfig, backend: Backend | None = None) -> FastAPI:
    backend = backend or default_backend(config)
    store = Store(config.keep_results, int(config.keep_mb * 1024 * 1024), config.keep_minutes * 60)
    # A backend whose workers count (in Redis, shared by every front) brings its own counter.
    counts = getattr(backend, "counts", None) or Counts()
    # A backend that queues jobs elsewhere answers for them itself; otherwise jobs run here and the store keeps them.
    jobs = backend if isinstance(backend, Jobs) else LocalJobs(backend, store, counts.add)
    service = Service(config=config, backend=backend, store=store, jobs=jobs, counts=counts)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.backend.start()
        try:
            yield
        finally:
            service.backend.stop()

    # /docs (Swagger UI) and /redoc with their scripts and styles from the fastapi-offline package, not a CDN: the
    # service runs on LAN boxes with no internet, where a CDN-loaded page is blank.
    app = FastAPIOffline(
        redoc_url="/redoc" if REDOC_ASSET.is_file() else None,  # the standalone app ships Swagger UI only
        title="YOLO Desktop",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url=DOCS_STATIC,
    )
    app.state.service = service
    protected = [Depends(require_key)]
    app.include_router(routes_health.router)
    app.include_router(routes_seed.router, dependencies=protected)
    # DeepStack clients may send the key as a form field, so those routes check it themselves.
    app.include_router(routes_deepstack.router)
    app.include_router(routes_native.router, dependencies=protected)
    app.include_router(routes_jobs.router, dependencies=protected)
    app.include_router(routes_page.router)
    app.mount("/static", routes_page.static_files(), name="static")

    @app.exception_handler(Unauthorized)
    async def unauthorized(_request: Request, exc: Unauthorized) -> JSONResponse:
        # One body that every family's clients understand: FastAPI's ``detail`` and DeepStack's success/error.
        return JSONResponse(
            {"detail": exc.detail, "success": False, "error": exc.detail}, exc.status_code, headers=exc.headers
        )

    return app


def app_from_env() -> FastAPI:
    """uvicorn's factory in each worker process: the configuration comes from ``serve`` through the environment."""
    _log_like_uvicorn()
    return create_app(ServiceConfig.from_env())


def _log_like_uvicorn() -> None:
    """The service's messages (model loading, conversion) go where uvicorn's own go, in its format."""
    ours, theirs = logging.getLogger("yolo_desktop"), logging.getLogger("uvicorn")
    if not ours.handlers and theirs.handlers:
        for handler in theirs.handlers:
            ours.addHandler(handler)
        ours.setLevel(theirs.getEffectiveLevel())
        ours.propagate = False
