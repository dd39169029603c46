// The auditor's page: the list of events scrolled to the selected one (the diagram: diagram.js).
(function () {
  const steps = document.getElementById("events");
  const selected = steps && steps.querySelector("li.selected");
  if (selected) steps.scrollTop = selected.offsetTop - steps.clientHeight / 2 + selected.clientHeight / 2;
})();

// The replay with documents running in the background: follow its progress, show the result when done.
(function () {
  const card = document.getElementById("replay-documents");
  const url = card && card.dataset.poll;
  if (!url) return;
  const bar = document.getElementById("replay-progress");
  const text = document.getElementById("replay-progress-text");
  const state = document.getElementById("replay-documents-state");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (job) {
        if (job.state === "done" || job.state === "failed") { window.location.reload(); return; }
        if (job.total) {
          bar.max = job.total; bar.value = job.done; bar.textContent = job.percent + " %";
          text.textContent = "шагов: " + job.done + " из " + job.total;
        }
        if (job.state === "running") state.textContent = "Выполняется";
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
