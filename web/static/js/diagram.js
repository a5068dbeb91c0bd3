/* 先锋: show an instance's pinned BPMN diagrams with bpmn-js (bundled into /assets/viewer.js), marking the
   elements already done (green) and the steps waiting now (orange).
   Each `.diagrams[data-src]` names the JSON endpoint and, in data-processes, the processes to show;
   the instance's main process is always shown after them. A container with data-marks
   ({"completed": [...], "current": [...]}) marks those elements instead of the instance's state
   now: the history page shows the case as it stood after an earlier event. */
(function () {
  "use strict";

  function message(container, text) {
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    container.appendChild(p);
  }

  function wanted(container, data) {
    var names = (container.getAttribute("data-processes") || "").split(",").filter(Boolean);
    if (names.indexOf(data.process_key) < 0) { names.push(data.process_key); }
    return names.map(function (id) {
      return data.diagrams.filter(function (d) { return d.process_id === id; })[0];
    }).filter(Boolean);
  }

  function mark(viewer, ids, marker) {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    ids.forEach(function (id) {
      if (registry.get(id)) { canvas.addMarker(id, marker); }
    });
  }

  /* A call activity is waiting while the process it calls has a step waiting. */
  function runningCalls(viewer, data) {
    var waiting = {};
    data.diagrams.forEach(function (d) {
      waiting[d.process_id] = (data.current || []).some(function (id) {
        return d.xml.indexOf('id="' + id + '"') >= 0;
      });
    });
    return viewer.get("elementRegistry").filter(function (element) {
      var called = element.businessObject && element.businessObject.calledElement;
      return element.type === "bpmn:CallActivity" && waiting[called];
    }).map(function (element) { return element.id; });
  }

  /* On a phone a whole diagram fitted into the screen is too small to read. There it is drawn at a
     readable scale into a box that scrolls with the finger, scrolled to the current step. */
  var PHONE_WIDTH = 600;
  var PHONE_SCALE = 0.7;
  var MARGIN = 20;

  function readableOnPhone(viewer, scroller, box, currentIds) {
    var canvas = viewer.get("canvas");
    var inner = canvas.viewbox().inner;
    box.style.width = Math.ceil(inner.width * PHONE_SCALE + 2 * MARGIN) + "px";
    box.style.height = Math.ceil(inner.height * PHONE_SCALE + 2 * MARGIN) + "px";
    canvas.resized();
    canvas.viewbox({
      x: inner.x - MARGIN / PHONE_SCALE,
      y: inner.y - MARGIN / PHONE_SCALE,
      width: box.clientWidth / PHONE_SCALE,
      height: box.clientHeight / PHONE_SCALE
    });
    var registry = viewer.get("elementRegistry");
    var first = currentIds.map(function (id) { return registry.get(id); }).filter(Boolean)[0];
    if (first) {
      var across = (first.x + first.width / 2 - inner.x) * PHONE_SCALE + MARGIN;
      var down = (first.y + first.height / 2 - inner.y) * PHONE_SCALE + MARGIN;
      scroller.scrollLeft = Math.max(0, across - scroller.clientWidth / 2);
      scroller.scrollTop = Math.max(0, down - scroller.clientHeight / 2);
    }
  }

  function show(container, diagram, data) {
    var scroller = document.createElement("div");
    scroller.className = "diagram-scroll";
    var box = document.createElement("div");
    box.className = "diagram";
    box.setAttribute("aria-label", diagram.name);
    scroller.appendChild(box);
    container.appendChild(scroller);
    var phone = container.clientWidth < PHONE_WIDTH;
    var viewer = new window.BpmnJS({ container: box });
    return viewer.importXML(diagram.xml).then(function () {
      var current = data.current || [];
      var waiting = current.concat(runningCalls(viewer, data));
      if (phone) {
        scroller.classList.add("phone");
        readableOnPhone(viewer, scroller, box, waiting);
      } else {
        viewer.get("canvas").zoom("fit-viewport");
      }
      mark(viewer, (data.completed || []).filter(function (id) { return current.indexOf(id) < 0; }), "done");
      mark(viewer, waiting, "current");
    });
  }

  function marked(container, data) {
    var given = container.getAttribute("data-marks");
    if (!given) { return data; }
    var marks = JSON.parse(given);
    data.completed = marks.completed || [];
    data.current = marks.current || [];
    return data;
  }

  function load(container) {
    var failed = container.getAttribute("data-failed") || "diagram unavailable";
    if (!window.BpmnJS) { message(container, failed); return; }
    fetch(container.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        data = marked(container, data);
        return Promise.all(wanted(container, data).map(function (d) { return show(container, d, data); }));
      })
      .catch(function () { message(container, failed); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".diagrams[data-src]"), load);
  });
})();
