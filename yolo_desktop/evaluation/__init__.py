"""Accuracy: matching detections to true boxes, COCO mAP with pycocotools."""
