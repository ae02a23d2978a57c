"""The HTTP service (``yolo-desktop serve``): FastAPI on uvicorn, driving the one pipeline.

    routes_seed        the original service's routes (/upload, /view/<id>, /counts), compatible with its clients
    routes_deepstack   the DeepStack / CodeProject.AI detection API (/v1/vision/...)
    routes_native      /v1/detect (the command line's detections.json records), /v1/models, /v1/results/<id>
    routes_jobs        /v1/jobs, /v1/jobs/<id>: asynchronous requests, answered at once (also /upload?async=1)
    routes_health      /v2/health/live, /v2/health/ready
    routes_page        the drop page (static files in ``static/``)

Routes never run the network themselves: they read the upload, ask a ``Backend`` (``backend.py``: the process's
one inference thread in ``local_backend.py``, or with ``--redis`` the queue workers through ``queue_backend.py``, a
light front that loads no model) and adapt its ``ImageResult``s. No TensorFlow, no Qt here.
"""
