// The auditor's page: the list of events scrolled to the selected one (the diagram: diagram.js).
(function () {
  const steps = document.getElementById("events");
  const selected = steps && steps.querySelector("li.selected");
  if (selected) steps.scrollTop = selected.offsetTop - steps.clientHeight / 2 + selected.clientHeight / 2;
})();
