// Opening routes: the teacher search asks /api/pickers/teachers as one types and lists the
// matches as rows with checkboxes; a checked row moves up among the chosen and stays there.
// Without JavaScript the search form is a plain GET and "Оставить отмеченных" keeps the checks.
(function () {
  "use strict";
  var search = document.getElementById("teacher-search");
  var input = document.getElementById("q");
  var chosen = document.getElementById("chosen");
  var found = document.getElementById("found");
  var status = document.getElementById("found-status");
  var template = document.getElementById("teacher-row");
  if (!search || !input || !chosen || !found || !template) { return; }
  var api = search.getAttribute("data-api");
  var timer = null;
  var asked = 0;

  function keep(row) {
    var box = row.querySelector('input[name="teacher"]');
    if (box && box.checked && row.parentNode === found) { chosen.appendChild(row); }
  }

  function makeRow(person) {
    var row = template.content.firstElementChild.cloneNode(true);
    var box = row.querySelector('input[name="teacher"]');
    var id = "t" + person.id;
    box.value = String(person.id);
    box.id = id;
    var label = row.querySelector("label");
    label.htmlFor = id;
    label.textContent = person.full_name;
    row.querySelector("div.small").textContent = person.position || "";
    row.querySelector("div.school").textContent = person.unit;
    var select = row.querySelector("select");
    select.name = "tutor_" + person.id;
    select.setAttribute("aria-label", "Тьютор для педагога " + person.full_name);
    box.addEventListener("change", function () { keep(row); });
    return row;
  }

  function show(people) {
    Array.prototype.slice.call(found.children).forEach(function (row) { keep(row); });
    while (found.firstChild) { found.removeChild(found.firstChild); }
    var shown = 0;
    people.forEach(function (person) {
      if (document.getElementById("t" + person.id)) { return; }
      found.appendChild(makeRow(person));
      shown += 1;
    });
    status.textContent = people.length ? "Найдено: " + people.length + (shown < people.length ? " (часть уже выбрана)" : "")
      : "Никого не найдено.";
  }

  function run() {
    var q = input.value.trim();
    if (q.length < 2) { status.textContent = "Введите не меньше 2 букв фамилии или имени."; return; }
    var mine = ++asked;
    fetch(api + "?q=" + encodeURIComponent(q), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) { if (mine === asked) { show(body.people); } })
      .catch(function () { if (mine === asked) { status.textContent = "Поиск не удался: нажмите «Найти»."; } });
  }

  Array.prototype.slice.call(found.querySelectorAll('input[name="teacher"]')).forEach(function (box) {
    box.addEventListener("change", function () { keep(box.closest("tr")); });
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
  });
  search.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  // Typed before this script loaded (a slow connection): search for it now.
  if (input.value !== input.defaultValue) { run(); }
})();
