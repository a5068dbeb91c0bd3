// 先锋: the decision-table editor (dmn-js's modeler, from the npm registry, bundled here with its
// styles). The procedure editor (bpmn-editor.js) opens a .dmn file with it, on the decision table
// itself where there is one. Exposed as window.XianfengDmn for that page; no inline script needed.
import DmnModeler from "dmn-js/lib/Modeler";
import "dmn-js/dist/assets/diagram-js.css";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression.css";
import "dmn-js/dist/assets/dmn-js-boxed-expression-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";

async function open(modeler, xml) {
  const result = await modeler.importXML(xml);
  const table = modeler.getViews().find((view) => view.type === "decisionTable");
  if (table) {
    await modeler.open(table);
  }
  return result;
}

window.XianfengDmn = {
  create(container) {
    const modeler = new DmnModeler({ container });
    const listeners = [];
    modeler.on("views.changed", () => {
      const viewer = modeler.getActiveViewer();
      if (viewer && !viewer.xianfengWatched) {
        viewer.xianfengWatched = true;
        viewer.on("commandStack.changed", (event) => {
          if (event.trigger !== "clear") listeners.forEach((listener) => listener());
        });
      }
    });
    return {
      modeler,
      onChange: (listener) => listeners.push(listener),
      open: (xml) => open(modeler, xml),
      save: async () => (await modeler.saveXML({ format: true })).xml,
    };
  },
};
