"""The HTTP service (``yolo-desktop serve``): FastAPI on uvicorn, driving the one pipeline.

    routes_seed        the original service's routes (/upload, /view/<id>, /counts), compatible with its clients
    routes_deepstack   the DeepStack / CodeProject.AI detection API (/v1/vision/...)
    routes_native      /v1/detect (the command line's detections.json records), /v1/models, /v1/results/<id>
    routes_health      /v2/health/live, /v2/health/ready
    routes_page        the drop page (static files in ``static/``)

Routes never run the network themselves: they read the upload, ask a ``Backend`` (``backend.py``; today the
process's one inference thread in ``local_backend.py``) and adapt its ``ImageResult``s. No TensorFlow, no Qt here.
"""
