// Draws the route's BPMN (bpmn-js viewer) and highlights where the route stands.
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
      // The process is wide: show the current step at a readable scale (the viewer pans and zooms).
      // Where the route is now; on a finished route, the furthest step it reached.
      const done = d.done.map((id) => registry.get(id)).filter(Boolean).sort((a, b) => b.x - a.x);
      const here = d.current.map((id) => registry.get(id)).filter(Boolean)[0] || done[0];
      if (here) {
        canvas.zoom(0.75, { x: here.x + here.width / 2, y: here.y + here.height / 2 });
        const vb = canvas.viewbox();
        canvas.viewbox({ x: here.x + here.width / 2 - vb.width / 2, y: vb.y, width: vb.width, height: vb.height });
      } else {
        canvas.zoom("fit-viewport");
      }
      box.dataset.ready = "1";
    })
    .catch((e) => { box.textContent = "Схему не удалось показать: " + e.message; });
})();
