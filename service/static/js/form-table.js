// Editable table rows of the forms rendered by templates/web/_fields.html.
// "Добавить строку" (.row-add[data-table]) appends a copy of the table's <template> row with
// "__i__" replaced by the next free row index; "Удалить" (.row-remove) removes its row.
// Indices may have holes: the server reads the rows in order and re-numbers them.
(function () {
  "use strict";

  var PLACEHOLDER = "__i__";
  var ATTRIBUTES = ["name", "id", "for", "aria-describedby", "data-index"];

  function byTable(selector, name) {
    return document.querySelector(selector + '[data-table="' + CSS.escape(name) + '"]');
  }

  function addRow(button) {
    var name = button.getAttribute("data-table");
    var table = byTable("table.edit-table", name);
    var template = byTable("template", name);
    if (!table || !template) return;
    var body = table.tBodies[0] || table.createTBody();
    var next = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var index = parseInt(row.getAttribute("data-index"), 10);
      if (index >= next) next = index + 1;
    });
    var fragment = template.content.cloneNode(true);
    fragment.querySelectorAll("*").forEach(function (element) {
      ATTRIBUTES.forEach(function (attribute) {
        var value = element.getAttribute(attribute);
        if (value !== null && value.indexOf(PLACEHOLDER) !== -1) {
          element.setAttribute(attribute, value.split(PLACEHOLDER).join(String(next)));
        }
      });
    });
    var row = fragment.querySelector("tr");
    body.appendChild(fragment);
    var first = row && row.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  function removeRow(button) {
    var row = button.closest("tr");
    var table = row && row.closest("table.edit-table");
    if (!row || !table) return;
    row.remove();
    var add = byTable(".row-add", table.getAttribute("data-table"));
    if (add) add.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var add = target && target.closest(".row-add");
    if (add) {
      event.preventDefault();
      addRow(add);
      return;
    }
    var remove = target && target.closest(".row-remove");
    if (remove) {
      event.preventDefault();
      removeRow(remove);
    }
  });
})();
