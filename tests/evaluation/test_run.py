"""A real model over real photos (YOLOv3-tiny, a few of the COCO sample's) scored by the one metric: the same
mAP as pycocotools on the same detections, a photo the model cannot read is a counted error, the speed is the
run's own."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.conftest import from_shared
from tests.labels.conftest import COCO_SAMPLE
from yolo_desktop.evaluation.coco import coco_map
from yolo_desktop.evaluation.inputs import inputs_of
from yolo_desktop.evaluation.matching import Truth
from yolo_desktop.evaluation.run import run_model
from yolo_desktop.evaluation.scoring import ModelScore
from yolo_desktop.inference.model_spec import DetectorChoice
from yolo_desktop.labels.dataset import read_labels
from yolo_desktop.settings import DetectorSettings

PHOTOS = 24


@pytest.fixture(scope="module")
def scored_run(tiny_model, tmp_path_factory):
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    inputs = inputs_of(read_labels(COCO_SAMPLE / "instances.json"))
    photos = sorted(inputs.photos, key=lambda p: p.path.name)[:PHOTOS]
    broken = tmp_path_factory.mktemp("broken") / "broken.jpg"
    broken.write_bytes(b"not a photo")
    photos.append(replace(photos[0], path=broken, rel="broken.jpg", truth=Truth.of([], [])))
    choice = DetectorChoice(tiny_model, DetectorSettings(size=416))
    run = run_model("yolov3-tiny", choice, photos)
    return inputs, photos, run, ModelScore(run, inputs.names, [p.truth for p in photos])


def test_a_photo_the_model_cannot_read_is_a_counted_error(scored_run):
    _inputs, photos, run, score = scored_run
    assert run.done == PHOTOS and [i for i, _reason in run.errors] == [PHOTOS]
    assert run.found[PHOTOS] is None and score.scored == list(range(PHOTOS))
    assert "broken.jpg" in photos[run.errors[0][0]].rel


def test_map_of_a_real_run_equals_pycocotools(scored_run):
    _inputs, photos, run, score = scored_run
    document = json.loads((COCO_SAMPLE / "instances.json").read_text())
    ids = {image["file_name"]: image["id"] for image in document["images"]}
    categories = sorted(c["id"] for c in document["categories"])
    records = [
        {
            "image_id": ids[p.path.name],
            "category_id": categories[d.class_id],
            "bbox": [d.x1, d.y1, d.width, d.height],
            "score": d.score,
        }
        for p, found in zip(photos, run.found)
        if found is not None
        for d in found
    ]
    theirs = coco_map(COCO_SAMPLE / "instances.json", records, [ids[p.path.name] for p in photos[:PHOTOS]])
    scores = score.scores(0.25)
    assert scores.map50 == pytest.approx(theirs[0], abs=0.0005)  # 0.05 points
    assert scores.map50_95 == pytest.approx(theirs[1], abs=0.0005)
    assert 0.2 < scores.map50 < 0.8 and scores.photos == PHOTOS


def test_the_scores_name_speed_engine_and_classes(scored_run):
    _inputs, _photos, run, score = scored_run
    scores = score.scores(0.25)
    speed = scores.speed
    assert speed is not None and speed.photos == PHOTOS and speed.engine == run.engine and speed.engine
    assert 0 < speed.low_ms <= speed.median_ms <= speed.high_ms
    # Darknet's coco.names and COCO's categories: the same 80 classes under 4 other spellings.
    assert scores.labels_only == () and scores.model_only == ()
    renamed = dict(scores.renamed)
    assert renamed["aeroplane"] == "airplane" and renamed["motorbike"] == "motorcycle" and renamed["sofa"] == "couch"
    assert renamed["tvmonitor"] == "tv" and renamed["diningtable"] == "dining table"
    person = next(c for c in scores.classes if c.name == "person")
    assert person.predictable and person.objects > 20 and person.ap50 is not None
    assert person.counts.true + person.counts.missed == person.objects
    pooled = scores.counts
    assert pooled.true == sum(c.counts.true for c in scores.classes)
    # each error is a row or a column of the confusion matrix, off its diagonal
    diagonal = int(scores.confusion.diagonal()[:-1].sum())
    assert diagonal == pooled.true and int(scores.confusion.sum()) - diagonal == len(scores.errors)


def test_a_model_class_the_labels_lack_is_reported(scored_run, tiny_model):
    inputs, photos, run, _score = scored_run
    names = tuple(n for n in inputs.names if n != "person")  # labels without people
    truths = []
    for p in photos:
        keep = [inputs.names[c] != "person" for c in p.truth.classes.tolist()]
        truths.append(Truth.of(p.truth.boxes[keep], [names.index(inputs.names[c]) for c in p.truth.classes[keep]]))
    scores = ModelScore(run, names, truths).scores(0.25)
    assert [name for name, _count in scores.model_only] == ["person"] and scores.model_only[0][1] >= 5
    fewer = ModelScore(run, (*names, "unicorn"), truths).scores(0.25)
    unicorn = fewer.classes[-1]
    assert fewer.labels_only == ("unicorn",) and not unicorn.predictable and unicorn.ap50 is None


def test_review_next_ranks_unreviewed_photos_by_errors_near_scores_and_disagreement(scored_run):
    from yolo_desktop.evaluation.review_next import rank
    from yolo_desktop.labels.states import REVIEWED

    _inputs, photos, run, score = scored_run
    photos = photos[:PHOTOS]
    errors = score.scores(0.25).errors
    alone = rank(photos, [(score, 0.25, errors)])
    per_photo = {i: sum(e.photo == i for e in errors) for i in range(PHOTOS)}
    assert alone and all(r.errors == per_photo[r.photo] for r in alone) and alone[0].disagreements == 0
    assert [r.priority for r in alone] == sorted((r.priority for r in alone), reverse=True)
    # The same run against itself at another threshold: the boxes between the two thresholds are disagreements.
    twice = rank(photos, [(score, 0.25, errors), (score, 0.5, score.scores(0.5).errors)])
    between = {i: int(((f.scores >= 0.25) & (f.scores < 0.5)).sum()) for i, f in enumerate(run.found[:PHOTOS])}
    assert all(r.disagreements == between[r.photo] for r in twice) and any(r.disagreements for r in twice)
    # Reviewed photos are not ranked.
    top = alone[0].photo
    reviewed = [replace(p, state=REVIEWED) if i == top else p for i, p in enumerate(photos)]
    assert top not in [r.photo for r in rank(reviewed, [(score, 0.25, errors)])]
