"""The Evaluate panel's tables, filled from the report's document (the very numbers ``report.json`` holds): one row
per model, and per class side by side with, for two models, the second's AP@0.5 gain highlighted (green: gains,
red: loses, more than ``NOTABLE`` points)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

NOTABLE = 0.01  # AP@0.5 difference (fraction) worth a colour
GAIN, LOSS = QColor(200, 240, 200), QColor(250, 210, 210)
MODEL_COLUMNS = ("Model", "Photos", "Errors", "mAP@0.5", "mAP@0.5:0.95", "Precision", "Recall", "TP", "FP", "Missed",
                 "Threshold", "Best F1 threshold", "ms per photo", "Engine")  # fmt: skip


def new_table(columns: tuple[str, ...] | list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    return table


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}"


def cell(text: str, number: float | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if number is not None:
        item.setData(Qt.ItemDataRole.UserRole, number)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def fill_models(table: QTableWidget, document: dict[str, Any]) -> None:
    models = document["models"]
    table.setRowCount(len(models))
    for row, m in enumerate(models):
        if "map50" not in m:
            cells = [m["label"], str(m["photos_detected"]), str(len(m["errors"])), f"failed: {m['failure'] or '—'}"]
            cells += [""] * (len(MODEL_COLUMNS) - len(cells))
        else:
            at, best, speed = m["at_conf"], m["best_f1"], m["speed"]
            ms = "—" if speed is None else f"{speed['median_ms']:.1f} ({speed['p10_ms']:.1f}–{speed['p90_ms']:.1f})"
            cells = [
                m["label"], str(m["photos_detected"]), str(len(m["errors"])), percent(m["map50"]),
                percent(m["map50_95"]), percent(at["precision"]), percent(at["recall"]), str(at["true_positives"]),
                str(at["false_positives"]), str(at["missed"]), f"{at['conf']:.3f}",
                "—" if best is None else f"{best['conf']:.3f} (F1 {percent(best['f1'])})", ms, m["engine"] or "",
            ]  # fmt: skip
        for column, text in enumerate(cells):
            table.setItem(row, column, cell(text))
    table.resizeColumnsToContents()


def fill_classes(table: QTableWidget, document: dict[str, Any]) -> None:
    """Classes with labelled objects (or found by a model); per model AP@0.5, precision, recall, TP, FP, missed."""
    scored = [m for m in document["models"] if "map50" in m]
    two = len(scored) == 2
    columns = ["Class", "Objects"]
    for n, _m in enumerate(scored, start=1):
        columns += [f"#{n} AP@0.5", f"#{n} P", f"#{n} R", f"#{n} TP", f"#{n} FP", f"#{n} missed"]
    if two:
        columns.append("AP@0.5 gain")
    table.clear()
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels(columns)
    rows = []
    if scored:
        for k, c in enumerate(scored[0]["classes"]):
            entries = [m["classes"][k] for m in scored]
            if c["objects"] or any(e["false_positives"] for e in entries):
                rows.append((c, entries))
    table.setRowCount(len(rows))
    for row, (c, entries) in enumerate(rows):
        cells = [cell(c["name"]), cell(str(c["objects"]), c["objects"])]
        for e in entries:
            if not e["predictable"]:
                cells += [cell("cannot predict")] + [cell("") for _ in range(5)]
                continue
            cells += [
                cell(percent(e["ap50"]), e["ap50"]), cell(percent(e["precision"])), cell(percent(e["recall"])),
                cell(str(e["true_positives"])), cell(str(e["false_positives"])), cell(str(e["missed"])),
            ]  # fmt: skip
        if two:
            first, second = entries[0]["ap50"], entries[1]["ap50"]
            gain = None if first is None or second is None else second - first
            item = cell("—" if gain is None else f"{gain * 100:+.1f}", gain)
            if gain is not None and abs(gain) > NOTABLE:
                item.setBackground(QBrush(GAIN if gain > 0 else LOSS))
            cells.append(item)
        for column, item in enumerate(cells):
            table.setItem(row, column, item)
    table.resizeColumnsToContents()
