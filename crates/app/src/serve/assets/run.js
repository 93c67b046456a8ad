// aprende's run page: draws, uploads or fills in a row, asks the run's API and shows the
// answer. No framework, no build step.
(() => {
  "use strict";
  const meta = JSON.parse(document.getElementById("run-meta").textContent);
  const api = "/api/runs/" + encodeURIComponent(meta.name);
  const answer = document.getElementById("answer");
  const classes = Math.max(meta.classes.length, 1);

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.forEach((c) => node.append(c));
    return node;
  };

  function busy() {
    answer.dataset.state = "busy";
  }

  function fail(message) {
    answer.dataset.state = "error";
    answer.dataset.answer = "";
    answer.replaceChildren(el("p", { role: "alert" }, "Error: " + message));
  }

  // One prediction: the classes as bars, or the predicted value.
  function prediction(p, titled) {
    const box = el("div", { class: "prediction" });
    if (titled) box.append(el("h3", {}, p.path || ""));
    if (p.top && p.top.length) {
      const best = p.top[0];
      box.append(el("p", { class: "headline" }, best.class + " ",
        el("span", {}, "(" + (100 * best.probability).toFixed(1) + "%)")));
      const list = el("ol", { class: "bars", "aria-label": "class probabilities" });
      p.top.forEach((c) => {
        const pct = (100 * c.probability).toFixed(1) + "%";
        list.append(el("li", {},
          el("span", { class: "label" }, c.class),
          el("span", { class: "bar", role: "presentation" }, el("span", { style: "width:" + pct })),
          el("span", { class: "value" }, pct)));
      });
      box.append(list);
    } else if (p.prediction !== undefined) {
      box.append(el("p", { class: "headline" }, String(+p.prediction.toFixed(4))));
    } else {
      box.append(el("pre", {}, JSON.stringify(p, null, 2)));
    }
    return box;
  }

  function show(predictions) {
    answer.replaceChildren(...predictions.map((p) => prediction(p, predictions.length > 1)));
    const first = predictions[0] || {};
    answer.dataset.answer = first.top && first.top.length ? first.top[0].class
      : first.prediction !== undefined ? String(first.prediction) : "";
    answer.dataset.state = "done";
  }

  async function ask(url, options) {
    busy();
    try {
      const response = await fetch(url, options);
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
      return body;
    } catch (e) {
      fail(e.message);
      return null;
    }
  }

  async function predict(body, type) {
    const headers = type ? { "Content-Type": type } : {};
    const reply = await ask(api + "/predict?top=" + classes, { method: "POST", body, headers });
    if (reply) show(reply.predictions);
  }

  function sendFiles(files) {
    if (!files || !files.length) return;
    const form = new FormData();
    Array.from(files).forEach((f) => form.append("file", f, f.name));
    const preview = document.getElementById("preview");
    if (preview) {
      preview.src = URL.createObjectURL(files[0]);
      preview.hidden = false;
    }
    predict(form);
  }

  const file = document.getElementById("file");
  if (file) file.addEventListener("change", () => sendFiles(file.files));

  // A canvas to draw on: light ink on black, as MNIST's digits are.
  const pad = document.getElementById("pad");
  if (pad) {
    const ctx = pad.getContext("2d");
    const clear = () => {
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, pad.width, pad.height);
    };
    clear();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 22;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    let drawing = false;
    let last = 0;
    const send = () => pad.toBlob((blob) => predict(blob, "image/png"), "image/png");
    const point = (e) => {
      const r = pad.getBoundingClientRect();
      return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
    };
    pad.addEventListener("pointerdown", (e) => {
      drawing = true;
      pad.setPointerCapture(e.pointerId);
      const [x, y] = point(e);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x, y);
      ctx.stroke();
    });
    pad.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = point(e);
      ctx.lineTo(x, y);
      ctx.stroke();
      // Live: a prediction at most every 300 ms while drawing.
      if (Date.now() - last > 300) {
        last = Date.now();
        send();
      }
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      send();
    };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    document.getElementById("clear").addEventListener("click", () => {
      clear();
      answer.dataset.answer = "";
      answer.dataset.state = "idle";
      answer.replaceChildren(el("p", {}, "Nothing asked yet."));
    });
    document.getElementById("predict").addEventListener("click", send);
  }

  // A drop zone for photos.
  const drop = document.getElementById("drop");
  if (drop) {
    drop.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      sendFiles(e.dataTransfer.files);
    });
    drop.addEventListener("click", () => file.click());
    drop.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        file.click();
      }
    });
  }

  // A form of a table's features.
  const row = document.getElementById("row");
  if (row) {
    row.addEventListener("submit", (e) => {
      e.preventDefault();
      const values = Array.from(row.querySelectorAll("input")).map((i) => parseFloat(i.value));
      predict(JSON.stringify({ rows: [values] }), "application/json");
    });
  }

  // A recommender: a user's recommendations, an item's look-alikes.
  function items(list, what) {
    const ol = el("ol", { class: "items" });
    list.forEach((i) => ol.append(el("li", {}, (i.title || "item " + i.item) + " — " + what + " " + i.score.toFixed(2))));
    return ol;
  }
  const userForm = document.getElementById("user-form");
  if (userForm) {
    userForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const user = document.getElementById("user").value.trim();
      const reply = await ask(api + "/recommend?user=" + encodeURIComponent(user));
      if (!reply) return;
      const note = reply.known_user ? "For user " + user + ":"
        : "User " + user + " has no ratings here: the most rated items.";
      answer.replaceChildren(el("p", {}, note), items(reply.items, "predicted"));
      answer.dataset.answer = reply.items.length ? reply.items[0].item : "";
      answer.dataset.state = "done";
    });
    document.getElementById("item-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const item = document.getElementById("item").value.trim();
      const reply = await ask(api + "/recommend?similar_to=" + encodeURIComponent(item));
      if (!reply) return;
      answer.replaceChildren(el("p", {}, "Items like " + (reply.item.title || reply.item.item) + ":"),
        items(reply.similar, "similarity"));
      answer.dataset.answer = reply.similar.length ? reply.similar[0].item : "";
      answer.dataset.state = "done";
    });
  }
})();
