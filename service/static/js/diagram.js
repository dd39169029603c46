// Draws the route's BPMN (bpmn-js viewer), marks the steps done and waiting, and centres the view
// on where the route stands (or, when nothing waits, the furthest step done).
(function () {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((r) => r.json())
    .then(async (d) => {
      await viewer.importXML(d.xml);
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      d.done.forEach((id) => registry.get(id) && canvas.addMarker(id, "done"));
      d.current.forEach((id) => registry.get(id) && canvas.addMarker(id, "current"));
      // Show every step waiting then (or, when none, the furthest one done) at a readable scale,
      // centred both ways: the process is wide and tall.
      let shown = d.current.map((id) => registry.get(id)).filter(Boolean);
      if (!shown.length) {
        shown = d.done.map((id) => registry.get(id)).filter(Boolean).sort((a, b) => b.x - a.x).slice(0, 1);
      }
      if (!shown.length) {
        canvas.zoom("fit-viewport");
      } else {
        const left = Math.min(...shown.map((e) => e.x)) - 60;
        const top = Math.min(...shown.map((e) => e.y)) - 60;
        const right = Math.max(...shown.map((e) => e.x + e.width)) + 60;
        const bottom = Math.max(...shown.map((e) => e.y + e.height)) + 60;
        const outer = canvas.viewbox().outer;
        const scale = Math.min(0.75, outer.width / (right - left), outer.height / (bottom - top));
        const width = outer.width / scale;
        const height = outer.height / scale;
        canvas.viewbox({ x: (left + right) / 2 - width / 2, y: (top + bottom) / 2 - height / 2, width, height });
      }
      box.dataset.ready = "1";
    })
    .catch((e) => { box.textContent = "Схему не удалось показать: " + e.message; });
})();
