// The drop page's logic (yolo_desktop/service/static/logic.js) under Node's test runner: no browser needed.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const L = require(path.join(__dirname, "..", "..", "..", "yolo_desktop", "service", "static", "logic.js"));

const det = (label, score, box = [0, 0, 10, 10], class_id = 0) => ({ label, score, box, class_id });

test("counts are per label, most frequent first, ties by name", () => {
  const counts = L.countByLabel([det("dog", 0.9), det("bicycle", 0.5), det("dog", 0.4), det("cat", 0.3)]);
  assert.deepEqual([...counts.entries()], [["dog", 2], ["bicycle", 1], ["cat", 1]]);
  assert.equal(L.objectString(counts), "2 dog, 1 bicycle, 1 cat");
  assert.equal(L.objectString(L.countByLabel([])), "");
});

test("totals add up every photo", () => {
  const total = L.totalCounts([[det("cup", 0.9)], [det("cup", 0.8), det("person", 0.7)], []]);
  assert.deepEqual(Object.fromEntries(total), { cup: 2, person: 1 });
});

test("boxes scale from photo pixels to the canvas", () => {
  assert.deepEqual(L.scaleBox([100, 50, 300, 200], 600, 400, 300, 200), [50, 25, 150, 100]);
  assert.deepEqual(L.fitSize(2400, 1600, 720, 540), [720, 480]);
  assert.deepEqual(L.fitSize(300, 200, 720, 540), [300, 200]); // never enlarged
  assert.deepEqual(L.fitSize(400, 3000, 720, 540), [72, 540]);
});

test("class filter and the re-filter query", () => {
  assert.equal(L.parseClasses(" person, car ,, "), "person,car");
  assert.equal(L.parseClasses(""), null);
  assert.equal(L.thresholdQuery({ conf: "0.5", iou: "0.45", classes: "" }), "conf=0.5&iou=0.45");
  assert.equal(L.thresholdQuery({ conf: 0.3, iou: 0.6, classes: "cup, dining table" }),
    "conf=0.3&iou=0.6&classes=cup%2Cdining+table");
});

test("table rows: rank, label, 3 decimals, whole pixels", () => {
  assert.deepEqual(L.tableRows([det("cup", 0.59141, [149.43, 22.84, 427.84, 309.04])]),
    [["1", "cup", "0.591", "149", "23", "428", "309"]]);
});

test("errors say what the server said; retry delays are bounded", () => {
  assert.equal(L.errorMessage(415, { detail: "a.jpg: not a supported image" }), "a.jpg: not a supported image");
  assert.equal(L.errorMessage(400, { success: false, error: "no image" }), "no image");
  assert.equal(L.errorMessage(413, null), "the file is larger than the server accepts");
  assert.equal(L.errorMessage(500, "x"), "the server answered 500");
  assert.equal(L.retryDelay("3"), 3);
  assert.equal(L.retryDelay(null), 1);
  assert.equal(L.retryDelay("9999"), 30);
});

test("class colours differ between neighbouring classes", () => {
  const colours = new Set([0, 1, 2, 3, 4, 5, 6, 7].map(L.classColor));
  assert.equal(colours.size, 8);
});

test("label text is black on light colours and white on dark ones", () => {
  const hueOf = (id) => (id * 137.508) % 360;
  const yellowish = [...Array(80).keys()].find((id) => hueOf(id) > 50 && hueOf(id) < 70);
  const blueish = [...Array(80).keys()].find((id) => hueOf(id) > 230 && hueOf(id) < 250);
  assert.equal(L.labelTextColor(yellowish), "#000");
  assert.equal(L.labelTextColor(blueish), "#fff");
});
