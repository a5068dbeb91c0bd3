// 先锋: the visual diff of two versions of a diagram. Each changed .bpmn file is drawn twice in
// read-only viewers (old left, new right) and bpmn-js-differ colours what was added, removed,
// changed or only moved. Two of the differ's habits are worked around: it hands old and new values
// swapped, and an edit inside a `spiffworkflow:` extension marks its element changed with empty
// attributes. So the server's list (which reads the extensions: the table below the diagrams) is
// joined to the differ's, and the values shown come from the server alone. Data and words arrive
// in <script type="application/json" id="diff-data">.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { BpmnModdle } from "bpmn-moddle";
import { diff } from "bpmn-js-differ";
import spiffworkflow from "./spiffworkflow.json";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";

const moddle = new BpmnModdle({ spiffworkflow });

async function differences(oldXml, newXml) {
  // The differ throws on a diagram whose layout names a missing element: then the server's lists stand alone.
  try {
    const [before, after] = await Promise.all([moddle.fromXML(oldXml), moddle.fromXML(newXml)]);
    const found = diff(before.rootElement, after.rootElement);
    return {
      added: Object.keys(found._added),
      removed: Object.keys(found._removed),
      changed: Object.keys(found._changed),
      layout: Object.keys(found._layoutChanged),
    };
  } catch (error) {
    return { added: [], removed: [], changed: [], layout: [], error: String(error) };
  }
}

async function draw(container, xml, marks) {
  const viewer = new NavigatedViewer({ container, moddleExtensions: { spiffworkflow } });
  await viewer.importXML(xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport");
  for (const [marker, ids] of Object.entries(marks)) {
    for (const id of new Set(ids)) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    }
  }
  container.dataset.marked = JSON.stringify(marks);
  return viewer;
}

function note(container, text) {
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = text;
  container.append(p);
}

async function show(diagram, texts) {
  const holder = document.querySelector(`.diff-viewers[data-diagram="${CSS.escape(diagram.file)}"]`);
  if (!holder) return;
  const oldBox = holder.querySelector('[data-side="old"]');
  const newBox = holder.querySelector('[data-side="new"]');
  const found = diagram.old && diagram.new ? await differences(diagram.old, diagram.new) : null;
  const changed = [...diagram.changed, ...(found ? found.changed : [])];
  const layout = found ? found.layout.filter((id) => !changed.includes(id)) : [];
  const jobs = [];
  if (diagram.old) {
    jobs.push(draw(oldBox, diagram.old, {
      "diff-removed": [...diagram.removed, ...(found ? found.removed : [])],
      "diff-changed": changed,
      "diff-layout": layout,
    }).catch((error) => note(oldBox, texts.failed + error.message)));
  }
  if (diagram.new) {
    jobs.push(draw(newBox, diagram.new, {
      "diff-added": [...diagram.added, ...(found ? found.added : [])],
      "diff-changed": changed,
      "diff-layout": layout,
    }).catch((error) => note(newBox, texts.failed + error.message)));
  }
  await Promise.all(jobs);
  holder.dataset.ready = "true";
}

async function boot() {
  const block = document.getElementById("diff-data");
  if (!block) return;
  const data = JSON.parse(block.textContent);
  await Promise.all(data.diagrams.map((diagram) => show(diagram, data.texts)));
  document.body.dataset.diffReady = "true";
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", boot);
} else {
  boot();
}
