"""Documentation-only pieces of the OpenAPI schema: reply models (never used to validate at run time) and the
multipart request bodies the routes read themselves (``uploads.read_form``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


def multipart_body(files: dict[str, str], fields: dict[str, tuple[str, str]], many: bool = False) -> dict[str, Any]:
    """``openapi_extra`` for a route reading a multipart form: file fields (binary) and text fields."""
    properties: dict[str, Any] = {}
    for name, description in files.items():
        binary = {"type": "string", "format": "binary"}
        properties[name] = {"type": "array", "items": binary} if many else binary
        properties[name]["description"] = description
    for name, (kind, description) in fields.items():
        properties[name] = {"type": kind, "description": description}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": properties, "required": list(files)}}
            },
        }
    }


JPEG_REPLY: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "JPEG"}}


class Problem(BaseModel):
    detail: str


class ScoredObject(BaseModel):
    object: str
    score: str = Field(description="the score as a string with 4 decimals (the original service's type)")
    top: int
    left: int
    bottom: int
    right: int
    mid_v: int = Field(description="vertical middle of the box, pixels")
    mid_h: int = Field(description="horizontal middle of the box, pixels")


class SeedInfo(BaseModel):
    success: bool
    objects: list[str] = []
    object_string: str = Field("", examples=["2 dog, 1 bicycle"])
    scored_objects: list[ScoredObject] = []
    timings: dict[str, float] = Field({}, description="milliseconds per stage, and total")
    error: str | None = None


class SeedReply(BaseModel):
    id: str | None = Field(description="/view/<uuid>: the annotated image, kept for a while")
    info: SeedInfo


class Prediction(BaseModel):
    label: str
    confidence: float
    x_min: int
    y_min: int
    x_max: int
    y_max: int


class DeepStackReply(BaseModel):
    success: bool
    message: str | None = None
    predictions: list[Prediction] = []
    count: int = 0
    inferenceMs: int = 0
    processMs: int = 0
    duration: int = 0
    error: str | None = None


class DeepStackModels(BaseModel):
    success: bool
    models: list[str]


class DetectionRecord(BaseModel):
    class_id: int
    label: str
    score: float
    box: list[float] = Field(description="[x1, y1, x2, y2], pixels of the upright image")


class ImageRecord(BaseModel):
    path: str = Field(description="the upload's file name")
    width: int
    height: int
    detections: list[DetectionRecord]
    error: str | None


class DetectionsDocument(BaseModel):
    """The command line's detections.json, plus where each result can be re-filtered."""

    generator: str
    model: dict[str, Any]
    settings: dict[str, Any]
    summary: dict[str, Any]
    images: list[ImageRecord]
    results: list[str | None] = []


class JobAccepted(BaseModel):
    id: str = Field(description="the job's id")
    url: str = Field(description="/view/<id>: the annotated image once done (202 'processing' until then)")
    job: str = Field(description="/v1/jobs/<id>: the job's state, and its detections once done")
    state: str = Field(description="queued")


class JobReply(BaseModel):
    id: str
    state: str = Field(description="queued, processing, done or failed")
    position: int | None = Field(None, description="while queued: jobs ahead of it (0 = next), when known")
    url: str = Field(description="/view/<id>: the annotated image")
    result: ImageRecord | None = Field(
        None, description="the detections.json record, once done (or failed on a bad image)"
    )
    results: str | None = Field(None, description="/v1/results/<id>: the result at other thresholds, once done")
    model: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    error: str | None = Field(None, description="failed: why, naming the upload")


class ViewState(BaseModel):
    status: str = Field(description="processing (202) or failed (with the failure's status)")
    state: str | None = Field(None, description="queued or processing")
    position: int | None = None
    error: str | None = None


class Health(BaseModel):
    status: str
    error: str | None = None
    pid: int | None = None
    model_loads: int | None = None
