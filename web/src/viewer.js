// The read-only diagram viewer every case page uses: bpmn-js's navigated viewer (zoom and pan),
// bundled from the npm registry with its styles, exposed as window.BpmnJS for web/static/js/diagram.js.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";

window.BpmnJS = NavigatedViewer;
