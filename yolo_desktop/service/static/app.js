/* The drop page: photos go to /v1/detect one or two at a time; thresholds re-filter the kept results on the
   server (/v1/results/<id>, no network run); boxes are drawn over the local file in a canvas. */
(function () {
  "use strict";
  const L = window.DropLogic;
  const $ = (id) => document.getElementById(id);
  const photos = [];
  const UPLOADS_AT_ONCE = 2;
  let waiting = [];
  let running = 0;
  let refilterTimer = null;

  function thresholds() {
    return { conf: $("conf").value, iou: $("iou").value, classes: $("classes").value };
  }

  function headers() {
    const key = $("api-key").value.trim();
    return key ? { "X-API-Key": key } : {};
  }

  async function readJson(response) {
    try { return await response.json(); } catch (e) { return null; }
  }

  function needKey(message) {
    $("key-label").hidden = false;
    setStatus(message || "This server needs an API key: enter it above, then drop the photos again.");
  }

  function setStatus(text) { $("status").textContent = text; }

  async function checkReady() {
    try {
      const response = await fetch("/v2/health/ready", { cache: "no-store" });
      const body = await readJson(response);
      if (response.ok && body) {
        const m = (body.models || [])[0];
        setStatus(m ? `Ready: ${m.name} (${m.input_size}, ${m.precision}, ${m.engine})` : "Ready");
        return;
      }
      if (body && body.status === "failed") { setStatus(`The model could not be loaded: ${body.error}`); return; }
      // serve --redis: Redis unreachable, or no queue worker yet (asked again every second)
      setStatus(body && body.status === "unavailable" ? `Not ready: ${body.error}` : "Loading the model…");
    } catch (e) {
      setStatus("The server does not answer.");
    }
    setTimeout(checkReady, 1000);
  }

  function addFiles(files) {
    for (const file of files) {
      const card = $("photo-template").content.firstElementChild.cloneNode(true);
      card.querySelector(".name").textContent = file.name;
      const photo = { file, card, bitmap: null, record: null, resultUrl: null };
      setState(photo, "queued", "queued");
      $("photos").append(card);
      photos.push(photo);
      createImageBitmap(file).then((bitmap) => { photo.bitmap = bitmap; draw(photo); }, () => {});
      waiting.push(photo);
    }
    pump();
  }

  function setState(photo, state, text) {
    photo.card.dataset.state = state;
    photo.card.classList.toggle("failed", state === "failed");
    photo.card.querySelector(".state").textContent = text;
  }

  function pump() {
    while (running < UPLOADS_AT_ONCE && waiting.length) {
      const photo = waiting.shift();
      running += 1;
      upload(photo).finally(() => { running -= 1; pump(); });
    }
  }

  async function upload(photo) {
    setState(photo, "running", "detecting…");
    const t = thresholds();
    for (;;) {
      const form = new FormData();
      form.append("file", photo.file, photo.file.name);
      form.append("conf", t.conf);
      form.append("iou", t.iou);
      const classes = L.parseClasses(t.classes);
      if (classes) form.append("classes", classes);
      let response;
      try {
        response = await fetch("/v1/detect", { method: "POST", body: form, headers: headers() });
      } catch (e) {
        setState(photo, "failed", "the server does not answer");
        return;
      }
      if (response.status === 503 && response.headers.get("Retry-After")) {
        setState(photo, "queued", "the server is busy: waiting…");
        await new Promise((r) => setTimeout(r, 1000 * L.retryDelay(response.headers.get("Retry-After"))));
        continue;
      }
      const body = await readJson(response);
      if (response.status === 401) {
        needKey();
        setState(photo, "failed", "needs the API key");
        return;
      }
      if (!response.ok || !body) {
        setState(photo, "failed", L.errorMessage(response.status, body));
        return;
      }
      photo.record = body.images[0];
      photo.resultUrl = body.results[0];
      if (photo.record.error) { setState(photo, "failed", `${photo.record.path}: ${photo.record.error}`); return; }
      show(photo);
      return;
    }
  }

  function show(photo) {
    const detections = photo.record.detections;
    const counts = L.countByLabel(detections);
    setState(photo, "done", `${photo.record.width} × ${photo.record.height}, ${detections.length} detection${detections.length === 1 ? "" : "s"}`);
    photo.card.querySelector(".counts").textContent = L.objectString(counts) || "nothing found";
    const body = photo.card.querySelector(".detections tbody");
    body.replaceChildren(...L.tableRows(detections).map((cells) => {
      const row = document.createElement("tr");
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }));
    draw(photo);
    showTotals();
  }

  function draw(photo) {
    const canvas = photo.card.querySelector("canvas");
    if (!photo.bitmap) return;
    const [w, h] = L.fitSize(photo.bitmap.width, photo.bitmap.height, 720, 540);
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext("2d");
    g.drawImage(photo.bitmap, 0, 0, w, h);
    if (!photo.record || photo.record.error) return;
    g.lineWidth = 2;
    g.font = "13px system-ui, sans-serif";
    g.textBaseline = "top";
    for (const d of photo.record.detections) {
      const [x1, y1, x2, y2] = L.scaleBox(d.box, photo.record.width, photo.record.height, w, h);
      const color = L.classColor(d.class_id);
      g.strokeStyle = color;
      g.strokeRect(x1, y1, x2 - x1, y2 - y1);
      const text = `${d.label} ${d.score.toFixed(2)}`;
      const tw = g.measureText(text).width + 6;
      const ty = y1 >= 17 ? y1 - 17 : y1;
      g.fillStyle = color;
      g.fillRect(x1, ty, tw, 17);
      g.fillStyle = L.labelTextColor(d.class_id);
      g.fillText(text, x1 + 3, ty + 2);
    }
  }

  function showTotals() {
    const done = photos.filter((p) => p.record && !p.record.error);
    $("totals").hidden = done.length === 0;
    const counts = L.totalCounts(done.map((p) => p.record.detections));
    $("total-string").textContent = L.objectString(counts) || "nothing found";
    $("total-table").querySelector("tbody").replaceChildren(...[...counts.entries()].map(([label, n]) => {
      const row = document.createElement("tr");
      row.innerHTML = "<td></td><td></td>";
      row.children[0].textContent = label;
      row.children[1].textContent = String(n);
      return row;
    }));
  }

  async function refilterAll() {
    const query = L.thresholdQuery(thresholds());
    await Promise.all(photos.filter((p) => p.resultUrl).map(async (photo) => {
      const response = await fetch(`${photo.resultUrl}?${query}`, { headers: headers() });
      const body = await readJson(response);
      if (response.ok && body) {
        photo.record = body.images[0];
        show(photo);
      } else if (response.status === 404) {
        setState(photo, "failed", "the server no longer keeps this result: drop the photo again");
      } else {
        setState(photo, "failed", L.errorMessage(response.status, body));
      }
    }));
    document.body.dataset.refiltered = query;
  }

  function thresholdsChanged() {
    $("conf-value").textContent = Number($("conf").value).toFixed(2);
    $("iou-value").textContent = Number($("iou").value).toFixed(2);
    clearTimeout(refilterTimer);
    refilterTimer = setTimeout(refilterAll, 150);
  }

  for (const id of ["conf", "iou"]) $(id).addEventListener("input", thresholdsChanged);
  $("classes").addEventListener("change", thresholdsChanged);
  $("files").addEventListener("change", (e) => { addFiles([...e.target.files]); e.target.value = ""; });
  $("clear").addEventListener("click", () => {
    waiting = [];
    photos.splice(0).forEach((p) => p.card.remove());
    showTotals();
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    addFiles([...e.dataTransfer.files]);
  });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => e.preventDefault());
  checkReady();
})();
