/* 先锋: 批量审批's select-all. A `[data-select-all=NAME]` check box (hidden until this script shows it)
   ticks or clears every check box named NAME in its form, and shows itself ticked, cleared or
   half-ticked as those are. Without the script each row is ticked by hand. */
(function () {
  "use strict";

  function wire(all) {
    var form = all.form;
    var name = all.getAttribute("data-select-all");
    function boxes() {
      return Array.prototype.filter.call(form.elements, function (e) { return e.name === name && e.type === "checkbox"; });
    }
    function reflect() {
      var ticked = boxes().filter(function (b) { return b.checked; }).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      reflect();
    });
    form.addEventListener("change", function (event) { if (event.target.name === name) { reflect(); } });
    var holder = all.closest("[hidden]");
    if (holder) { holder.hidden = false; }
    reflect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), wire);
  });
})();
