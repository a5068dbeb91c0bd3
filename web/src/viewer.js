// The read-only diagram viewer every case page uses: bpmn-js's navigated viewer (zoom and pan) with
// diagram-js-minimap (an overview of a large diagram, open by default where the diagram is larger than
// its box), bundled from the npm registry with their styles, exposed as window.BpmnJS for
// web/static/js/diagram.js, which adds the zoom and fit buttons and the marks of a case's steps.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import MinimapModule from "diagram-js-minimap";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "diagram-js-minimap/assets/diagram-js-minimap.css";

class CaseViewer extends NavigatedViewer {}

CaseViewer.prototype._modules = [...NavigatedViewer.prototype._modules, MinimapModule];

window.BpmnJS = CaseViewer;
