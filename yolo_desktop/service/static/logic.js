/* The drop page's logic, without the DOM: counting, labels, box scaling, queries, table rows.
   A plain script (no modules): the page loads it with a <script> tag, Node's test runner with require(). */
(function (root) {
  "use strict";

  /** {label: count} for a list of detections, most frequent first (ties by label). */
  function countByLabel(detections) {
    const counts = new Map();
    for (const d of detections) counts.set(d.label, (counts.get(d.label) || 0) + 1);
    return new Map([...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  }

  /** Counts over several photos' detections (the batch total). */
  function totalCounts(listOfDetections) {
    return countByLabel(listOfDetections.flat());
  }

  /** "2 dog, 1 bicycle", as the original service wrote it. */
  function objectString(counts) {
    return [...counts.entries()].map(([label, n]) => `${n} ${label}`).join(", ");
  }

  /** A box [x1, y1, x2, y2] in the photo's pixels (width × height) → in a canvas of canvasWidth × canvasHeight. */
  function scaleBox(box, width, height, canvasWidth, canvasHeight) {
    const sx = canvasWidth / width;
    const sy = canvasHeight / height;
    return [box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy];
  }

  /** The canvas size that shows a width × height photo within maxWidth × maxHeight (never enlarged). */
  function fitSize(width, height, maxWidth, maxHeight) {
    const scale = Math.min(1, maxWidth / width, maxHeight / height);
    return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
  }

  /** "person, car ,," → "person,car"; "" → null (every class). */
  function parseClasses(text) {
    const labels = String(text || "").split(",").map((s) => s.trim()).filter(Boolean);
    return labels.length ? labels.join(",") : null;
  }

  /** The query string of a re-filter request for these thresholds. */
  function thresholdQuery(thresholds) {
    const params = new URLSearchParams();
    params.set("conf", String(thresholds.conf));
    params.set("iou", String(thresholds.iou));
    const classes = parseClasses(thresholds.classes);
    if (classes) params.set("classes", classes);
    return params.toString();
  }

  /** Table rows: #, class, confidence (3 decimals), x1, y1, x2, y2 (whole pixels). */
  function tableRows(detections) {
    return detections.map((d, i) => [
      String(i + 1),
      d.label,
      d.score.toFixed(3),
      ...d.box.map((v) => String(Math.round(v))),
    ]);
  }

  /** A distinct colour per class id (golden-angle hues), as CSS. */
  function classColor(classId) {
    const hue = Math.round((classId * 137.508) % 360);
    return `hsl(${hue}, 85%, 50%)`;
  }

  /** Black or white, whichever reads better on a class's colour (ITU-R BT.601 luma, as the exported images). */
  function labelTextColor(classId) {
    const hue = ((classId * 137.508) % 360) / 360;
    const s = 0.85;
    const l = 0.5;
    const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
    const p = 2 * l - q;
    const channel = (t) => {
      t = (t + 1) % 1;
      if (t < 1 / 6) return p + (q - p) * 6 * t;
      if (t < 1 / 2) return q;
      if (t < 2 / 3) return p + (q - p) * (2 / 3 - t) * 6;
      return p;
    };
    const [r, g, b] = [channel(hue + 1 / 3), channel(hue), channel(hue - 1 / 3)].map((v) => v * 255);
    return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#000" : "#fff";
  }

  /** The message to show for a failed request: the server's words when it sent any. */
  function errorMessage(status, body) {
    if (body && typeof body === "object") {
      if (typeof body.detail === "string") return body.detail;
      if (typeof body.error === "string") return body.error;
    }
    if (status === 413) return "the file is larger than the server accepts";
    if (status === 503) return "the server is busy";
    return `the server answered ${status}`;
  }

  /** Seconds to wait before retrying a 503, from its Retry-After header (1–30 s). */
  function retryDelay(header) {
    const seconds = parseInt(header, 10);
    return Math.min(30, Math.max(1, Number.isFinite(seconds) ? seconds : 1));
  }

  const DropLogic = {
    countByLabel, totalCounts, objectString, scaleBox, fitSize, parseClasses, thresholdQuery, tableRows,
    classColor, labelTextColor, errorMessage, retryDelay,
  };
  if (typeof module !== "undefined" && module.exports) module.exports = DropLogic;
  else root.DropLogic = DropLogic;
})(typeof window !== "undefined" ? window : globalThis);
