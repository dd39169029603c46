// A batch migration running in the background: follow its progress, show the report when done.
(function () {
  const card = document.getElementById("migration-batch");
  const url = card && card.dataset.poll;
  if (!url) return;
  const bar = document.getElementById("migration-progress");
  const text = document.getElementById("migration-progress-text");
  const state = document.getElementById("migration-batch-state");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (batch) {
        if (batch.state === "done" || batch.state === "failed") { window.location.reload(); return; }
        if (batch.total) {
          bar.max = batch.total; bar.value = batch.done; bar.textContent = batch.percent + " %";
          text.textContent = "маршрутов: " + batch.done + " из " + batch.total;
        }
        if (batch.state === "running") state.textContent = "Выполняется";
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
