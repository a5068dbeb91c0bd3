/* 先锋: show an instance's pinned BPMN diagrams with bpmn-js (bundled into /assets/viewer.js), marking the
   elements already done (green) and the steps waiting now (orange).
   Each `.diagrams[data-src]` names the JSON endpoint and, in data-processes, the processes to show;
   the instance's main process is always shown after them. A container with data-marks
   ({"completed": [...], "current": [...]}) marks those elements instead of the instance's state
   now: the history page shows the case as it stood after an earlier event.

   Every diagram gets zoom and fit buttons and, where it is larger than its box, a minimap; it opens at
   a scale whose labels can be read, on the step waiting now. A call activity opens the diagram of the
   process it calls (a button under the diagram, or a click on the activity). The buttons' words come
   from the container's data-* attributes, in the page's language; the server already put the lane and
   element names in the reader's language. */
(function () {
  "use strict";

  var PHONE_WIDTH = 600;
  var READABLE = 0.8; // below this scale a diagram's labels are too small to read
  var PHONE_SCALE = 0.7;
  var MARGIN = 20;

  function message(container, text) {
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    container.appendChild(p);
  }

  function words(container, name, fallback) {
    var shared = document.getElementById("diagram-words");
    return container.getAttribute("data-" + name) || (shared && shared.getAttribute("data-" + name)) || fallback;
  }

  function wanted(container, data) {
    var names = (container.getAttribute("data-processes") || "").split(",").filter(Boolean);
    if (names.indexOf(data.process_key) < 0) { names.push(data.process_key); }
    return names.map(function (id) { return diagramOf(data, id); }).filter(Boolean);
  }

  function diagramOf(data, processId) {
    return data.diagrams.filter(function (d) { return d.process_id === processId; })[0];
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
    return callActivities(viewer).filter(function (element) {
      return waiting[element.businessObject.calledElement];
    }).map(function (element) { return element.id; });
  }

  function callActivities(viewer) {
    return viewer.get("elementRegistry").filter(function (element) {
      return element.type === "bpmn:CallActivity" && element.businessObject.calledElement;
    });
  }

  function firstOf(viewer, ids) {
    var registry = viewer.get("elementRegistry");
    return ids.map(function (id) { return registry.get(id); }).filter(function (e) { return e && !e.waypoints; })[0];
  }

  /* On a phone a whole diagram fitted into the screen is too small to read. There it is drawn at a
     readable scale into a box that scrolls with the finger, scrolled to the current step. */
  function layOutOnPhone(view, scale) {
    var canvas = view.viewer.get("canvas");
    var inner = view.inner;
    view.scale = scale;
    view.box.style.width = Math.ceil(inner.width * scale + 2 * MARGIN) + "px";
    view.box.style.height = Math.ceil(inner.height * scale + 2 * MARGIN) + "px";
    canvas.resized();
    canvas.viewbox({
      x: inner.x - MARGIN / scale,
      y: inner.y - MARGIN / scale,
      width: view.box.clientWidth / scale,
      height: view.box.clientHeight / scale
    });
  }

  function scrollToOnPhone(view, element) {
    if (!element) { return; }
    var across = (element.x + element.width / 2 - view.inner.x) * view.scale + MARGIN;
    var down = (element.y + element.height / 2 - view.inner.y) * view.scale + MARGIN;
    view.scroller.scrollLeft = Math.max(0, across - view.scroller.clientWidth / 2);
    view.scroller.scrollTop = Math.max(0, down - view.scroller.clientHeight / 2);
  }

  /* On a desktop the diagram opens fitted when that is readable, else at a readable scale centred
     on the step waiting now, with the minimap for the whole. */
  function openOnDesktop(view, element) {
    var canvas = view.viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() >= READABLE) { return; }
    var centre = element
      ? { x: element.x + element.width / 2, y: element.y + element.height / 2 }
      : { x: view.inner.x + view.box.clientWidth / (2 * READABLE), y: view.inner.y + view.inner.height / 2 };
    canvas.zoom(READABLE, centre);
    var box = canvas.viewbox();
    canvas.viewbox({ x: centre.x - box.width / 2, y: centre.y - box.height / 2, width: box.width, height: box.height });
    showMinimap(view, true);
  }

  function showMinimap(view, open) {
    var minimap;
    try { minimap = view.viewer.get("minimap"); } catch (e) { return; }
    if (open) { minimap.open(); } else { minimap.close(); }
  }

  /* The viewer's own words (the minimap's toggle) in the page's language. */
  function translation(container) {
    var known = {
      "Open minimap": words(container, "map-open", "Open minimap"),
      "Close minimap": words(container, "map-close", "Close minimap")
    };
    return {
      translate: ["value", function (template, replacements) {
        var text = known[template] || template;
        return text.replace(/{([^}]+)}/g, function (_, key) { return (replacements || {})[key] || "{" + key + "}"; });
      }]
    };
  }

  function button(text, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "diagram-button";
    b.textContent = text;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  function zoomBy(view, factor) {
    if (view.phone) {
      layOutOnPhone(view, Math.min(2, Math.max(0.2, view.scale * factor)));
      return;
    }
    var canvas = view.viewer.get("canvas");
    canvas.zoom(Math.min(4, Math.max(0.1, canvas.zoom() * factor)), "auto");
  }

  function fit(view) {
    if (view.phone) {
      layOutOnPhone(view, Math.max(0.2, (view.scroller.clientWidth - 2 * MARGIN) / view.inner.width));
      return;
    }
    view.viewer.get("canvas").zoom("fit-viewport", "auto");
  }

  function toolbar(container, view) {
    var bar = document.createElement("div");
    bar.className = "diagram-tools";
    bar.appendChild(button("+", words(container, "zoom-in", "Zoom in"), function () { zoomBy(view, 1.25); }));
    bar.appendChild(button("−", words(container, "zoom-out", "Zoom out"), function () { zoomBy(view, 0.8); }));
    bar.appendChild(button(words(container, "fit", "Fit"), words(container, "fit", "Fit"), function () { fit(view); }));
    return bar;
  }

  function calledButtons(container, view, data, area) {
    var calls = callActivities(view.viewer).filter(function (e) {
      return diagramOf(data, e.businessObject.calledElement);
    });
    if (!calls.length) { return null; }
    var list = document.createElement("p");
    list.className = "called-diagrams";
    calls.forEach(function (element) {
      var target = diagramOf(data, element.businessObject.calledElement);
      var label = words(container, "open", "Open") + (target.title || element.businessObject.name);
      list.appendChild(button(label, label, function () { openCalled(container, target, data, area); }));
    });
    view.viewer.on("element.click", function (event) {
      var target = event.element.type === "bpmn:CallActivity" && diagramOf(data, event.element.businessObject.calledElement);
      if (target) { openCalled(container, target, data, area); }
    });
    return list;
  }

  function openCalled(container, diagram, data, area) {
    area.textContent = "";
    var head = document.createElement("div");
    head.className = "called-head";
    var title = document.createElement("h3");
    title.textContent = diagram.title;
    head.appendChild(title);
    head.appendChild(button(words(container, "close", "Close"), words(container, "close", "Close"), function () {
      area.textContent = "";
    }));
    area.appendChild(head);
    show(area, container, diagram, data, null).then(function () {
      area.scrollIntoView({ block: "nearest" });
    });
  }

  function show(target, container, diagram, data, area) {
    var frame = document.createElement("div");
    frame.className = "diagram-frame";
    var scroller = document.createElement("div");
    scroller.className = "diagram-scroll";
    var box = document.createElement("div");
    box.className = "diagram";
    box.setAttribute("aria-label", diagram.title || diagram.name);
    box.setAttribute("data-process", diagram.process_id);
    scroller.appendChild(box);
    frame.appendChild(scroller);
    target.appendChild(frame);
    var view = {
      viewer: new window.BpmnJS({ container: box, additionalModules: [translation(container)] }),
      box: box,
      scroller: scroller
    };
    view.phone = container.clientWidth < PHONE_WIDTH;
    return view.viewer.importXML(diagram.xml).then(function () {
      var current = data.current || [];
      var waiting = current.concat(runningCalls(view.viewer, data));
      view.inner = view.viewer.get("canvas").viewbox().inner;
      var first = firstOf(view.viewer, waiting);
      if (view.phone) {
        scroller.classList.add("phone");
        layOutOnPhone(view, PHONE_SCALE);
        scrollToOnPhone(view, first);
        showMinimap(view, false);
      } else {
        openOnDesktop(view, first);
      }
      frame.insertBefore(toolbar(container, view), scroller);
      if (area) {
        var calls = calledButtons(container, view, data, area);
        if (calls) { frame.appendChild(calls); }
      }
      mark(view.viewer, (data.completed || []).filter(function (id) { return current.indexOf(id) < 0; }), "done");
      mark(view.viewer, waiting, "current");
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
        var area = document.createElement("div");
        area.className = "called-area";
        var shown = wanted(container, data).map(function (d) { return show(container, container, d, data, area); });
        container.appendChild(area);
        return Promise.all(shown);
      })
      .catch(function () { message(container, failed); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".diagrams[data-src]"), load);
  });
})();
