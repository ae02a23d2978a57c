"""Accuracy on labelled photos: one metric (COCO's, in numpy) for the window's Evaluate panel and `evaluate`; the
report and plots; pycocotools as the tests' and benches' reference (docs/evaluation.md)."""
