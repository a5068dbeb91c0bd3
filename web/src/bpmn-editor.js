// 先锋: the procedure editor page. bpmn-js's modeler with the properties panel (our provider for
// SpiffWorkflow's extension elements, procedures/provider.js) and bpmnlint's style hints; dmn-js
// for decision tables (dmn-editor.js, loaded by the same page); forms in a text area with a live
// preview (procedures/forms.js). Everything comes from the npm registry, bundled; the page's data
// and words arrive in <script type="application/json" id="editor-data">, so nothing runs inline.
//
// Saving posts the changed files to the server, which checks them as publishing would and answers
// with the problems: each is listed, and marked on the diagram at its element. Publishing stays
// off while there are problems or unsaved changes (the server refuses it anyway).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import packedLintConfig from "xianfeng-bpmnlint-config";
import spiffworkflow from "./spiffworkflow.json";
import { providerModule } from "./procedures/provider.js";
import { FormEditor } from "./procedures/forms.js";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import "bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css";

const byId = (id) => document.getElementById(id);

function kindOf(name) {
  if (name.endsWith(".bpmn")) return "bpmn";
  if (name.endsWith(".dmn")) return "dmn";
  return "form";
}

class EditorPage {
  constructor(data) {
    this.data = data;
    this.texts = data.texts;
    this.loaded = { ...data.files }; // what the server holds for each file
    this.current = { ...data.files }; // what the editor holds (written back when leaving a file)
    this.problems = data.problems;
    this.publishable = data.publishable;
    this.file = null;
    this.importing = false;
    this.queue = Promise.resolve();
    this.baseline = ""; // the open diagram as exported right after import: edits are compared to it
    this.readonly = byId("editor").dataset.readonly === "true";
    this.csrf = byId("csrf-token") ? byId("csrf-token").value : "";
    this.bpmn = null;
    this.dmn = null;
    this.forms = new FormEditor({
      textarea: byId("form-text"),
      check: byId("form-check"),
      preview: byId("form-preview"),
      previewUrl: data.previewUrl,
      csrf: this.csrf,
      texts: this.texts,
    });
    this.forms.onChange = () => this.edited();
  }

  start() {
    document.querySelectorAll(".file-tab").forEach((tab) => {
      tab.addEventListener("click", () => this.open(tab.dataset.file));
    });
    const save = byId("save");
    if (save) save.addEventListener("click", () => this.save());
    byId("problem-list").addEventListener("click", (event) => {
      const item = event.target.closest("li[data-element]");
      if (item) this.reveal(item.dataset.file, item.dataset.element);
    });
    this.showProblems();
    const names = Object.keys(this.data.files);
    const own = names.find((n) => this.data.files[n].includes(`id="${this.data.process}"`) && n.endsWith(".bpmn"));
    return this.open(own || names[0]);
  }

  modeler() {
    if (!this.bpmn) {
      this.bpmn = new Modeler({
        container: byId("bpmn-canvas"),
        propertiesPanel: { parent: byId("bpmn-properties") },
        additionalModules: [
          BpmnPropertiesPanelModule,
          BpmnPropertiesProviderModule,
          providerModule({ texts: this.texts, options: this.data.options }),
          lintModule,
        ],
        moddleExtensions: { spiffworkflow },
        linting: { bpmnlint: packedLintConfig, active: true },
      });
      this.bpmn.on("commandStack.changed", (event) => {
        if (event.trigger !== "clear" && !this.importing) this.edited();
      });
      window.xianfengModeler = this.bpmn; // for the browser tests and the console
    }
    return this.bpmn;
  }

  dmnEditor() {
    if (!this.dmn) {
      this.dmn = window.XianfengDmn.create(byId("dmn-canvas"));
      this.dmn.onChange(() => {
        if (!this.importing) this.edited();
      });
    }
    return this.dmn;
  }

  async leave() {
    const name = this.file;
    if (!name) return;
    const kind = kindOf(name);
    if (kind === "form") {
      this.current[name] = this.forms.value();
      return;
    }
    const xml = kind === "bpmn" ? (await this.bpmn.saveXML({ format: true })).xml : await this.dmn.save();
    if (xml !== this.baseline) this.current[name] = xml;
  }

  open(name) {
    // One file at a time: a tab clicked while another file is still importing waits for it.
    this.queue = this.queue.catch(() => {}).then(() => this.switchTo(name));
    return this.queue;
  }

  async switchTo(name) {
    await this.leave();
    this.file = name;
    const kind = kindOf(name);
    document.querySelectorAll(".file-tab").forEach((tab) => {
      tab.setAttribute("aria-selected", String(tab.dataset.file === name));
    });
    for (const pane of ["bpmn", "dmn", "form"]) byId(`pane-${pane}`).hidden = pane !== kind;
    this.importing = true;
    try {
      if (kind === "bpmn") {
        const modeler = this.modeler();
        await modeler.importXML(this.current[name]);
        this.baseline = (await modeler.saveXML({ format: true })).xml;
        modeler.get("canvas").zoom("fit-viewport");
        this.markProblems();
      } else if (kind === "dmn") {
        const editor = this.dmnEditor();
        await editor.open(this.current[name]);
        this.baseline = await editor.save();
      } else {
        this.forms.open(name, this.current[name]);
      }
    } catch (error) {
      this.status(this.texts.import_failed + error.message);
    } finally {
      this.importing = false;
    }
    byId("editor").dataset.open = name;
  }

  edited() {
    if (this.readonly) return;
    const save = byId("save");
    if (save) save.disabled = false;
    this.publishable = false;
    this.publishState();
    this.status(this.texts.unsaved);
  }

  status(text) {
    const node = byId("save-status");
    if (node) node.textContent = text;
  }

  async changedFiles() {
    await this.leave();
    const files = {};
    for (const [name, text] of Object.entries(this.current)) {
      if (text !== this.loaded[name]) files[name] = text;
    }
    return files;
  }

  async save() {
    const button = byId("save");
    button.disabled = true;
    this.status(this.texts.saving);
    const files = await this.changedFiles();
    let answer;
    try {
      const response = await fetch(this.data.saveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
        body: JSON.stringify({ files }),
      });
      answer = await response.json();
      if (!response.ok) throw new Error(answer.message || String(response.status));
    } catch (error) {
      button.disabled = false;
      this.status(this.texts.save_failed + error.message);
      return;
    }
    Object.assign(this.loaded, files);
    this.problems = answer.problems;
    this.publishable = answer.publishable;
    byId("summary").textContent = answer.summary;
    byId("summary").className = answer.problems.length ? "bad" : "ok";
    for (const name of answer.changed) {
      const tab = document.querySelector(`.file-tab[data-file="${CSS.escape(name)}"]`);
      if (tab) tab.classList.add("changed");
    }
    this.showProblems();
    this.markProblems();
    this.publishState();
    this.status(this.texts.saved);
  }

  publishState() {
    const button = byId("publish-button");
    if (button) button.disabled = !this.publishable;
  }

  showProblems() {
    const list = byId("problem-list");
    list.replaceChildren();
    for (const problem of this.problems) {
      const item = document.createElement("li");
      item.textContent = problem.text;
      item.dataset.file = problem.file;
      if (problem.element) item.dataset.element = problem.element;
      list.append(item);
    }
    document.querySelectorAll(".file-tab").forEach((tab) => {
      tab.classList.toggle("has-problem", this.problems.some((p) => p.file === tab.dataset.file));
    });
  }

  markProblems() {
    if (!this.bpmn || kindOf(this.file || "") !== "bpmn") return;
    const registry = this.bpmn.get("elementRegistry");
    const canvas = this.bpmn.get("canvas");
    const overlays = this.bpmn.get("overlays");
    overlays.remove({ type: "xf-problem" });
    registry.forEach((element) => canvas.removeMarker(element, "xf-problem"));
    for (const problem of this.problems) {
      if (problem.file !== this.file || !problem.element || !registry.get(problem.element)) continue;
      canvas.addMarker(problem.element, "xf-problem");
      const note = document.createElement("div");
      note.className = "xf-problem-note";
      note.textContent = problem.message;
      note.title = problem.text;
      overlays.add(problem.element, "xf-problem", { position: { bottom: -6, left: 0 }, html: note });
    }
  }

  async reveal(file, element) {
    if (file !== this.file) await this.open(file);
    if (!this.bpmn || kindOf(file) !== "bpmn") return;
    const shape = this.bpmn.get("elementRegistry").get(element);
    if (!shape) return;
    this.bpmn.get("canvas").scrollToElement(shape);
    this.bpmn.get("selection").select(shape);
  }
}

function boot() {
  const block = byId("editor-data");
  if (!block) return;
  const page = new EditorPage(JSON.parse(block.textContent));
  window.xianfengEditor = page;
  page.start();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", boot);
} else {
  boot();
}
