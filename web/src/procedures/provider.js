// 先锋: a properties-panel provider for what our diagrams say in SpiffWorkflow's extension elements
// (engine/process/task_properties.py): the lane's role, a task's form, instructions, due days,
// reminders, escalation, assignee; a start event's cycle and subjects; scripts, conditions, the
// called process and decision, an end event's outcome, and every element's English name.
// Every edit goes through `modeling`, so it is undoable; missing extension elements are created.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const PROPERTIES = "spiffworkflow:Properties";
const PROPERTY = "spiffworkflow:Property";

function extension(bo, type) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((each) => each.$type === type);
}

export function propertyOf(bo, name) {
  const holder = extension(bo, PROPERTIES);
  const found = holder && (holder.properties || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function ensureExtensions(element, bo, services) {
  const { bpmnFactory, modeling } = services;
  if (!bo.extensionElements) {
    const made = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    made.$parent = bo;
    modeling.updateModdleProperties(element, bo, { extensionElements: made });
  }
  return bo.extensionElements;
}

function ensureChild(element, bo, type, services, attrs) {
  const found = extension(bo, type);
  if (found) {
    return found;
  }
  const holder = ensureExtensions(element, bo, services);
  const made = services.bpmnFactory.create(type, attrs || {});
  made.$parent = holder;
  services.modeling.updateModdleProperties(element, holder, { values: [...(holder.values || []), made] });
  return made;
}

export function setProperty(element, name, value, services) {
  const bo = getBusinessObject(element);
  const text = (value || "").trim();
  const holder = extension(bo, PROPERTIES);
  const found = holder && (holder.properties || []).find((p) => p.name === name);
  if (!text) {
    if (found) {
      const kept = holder.properties.filter((p) => p !== found);
      services.modeling.updateModdleProperties(element, holder, { properties: kept });
    }
    return;
  }
  if (found) {
    services.modeling.updateModdleProperties(element, found, { value: text });
    return;
  }
  const properties = ensureChild(element, bo, PROPERTIES, services, { properties: [] });
  const made = services.bpmnFactory.create(PROPERTY, { name, value: text });
  made.$parent = properties;
  services.modeling.updateModdleProperties(element, properties, {
    properties: [...(properties.properties || []), made],
  });
}

function bodyOf(bo, type) {
  const found = extension(bo, type);
  return found ? found.value || "" : "";
}

function setBody(element, type, value, services) {
  const bo = getBusinessObject(element);
  const found = extension(bo, type);
  if (!value) {
    if (found) {
      const holder = bo.extensionElements;
      services.modeling.updateModdleProperties(element, holder, {
        values: holder.values.filter((each) => each !== found),
      });
    }
    return;
  }
  const child = ensureChild(element, bo, type, services, {});
  services.modeling.updateModdleProperties(element, child, { value });
}

function useServices() {
  return {
    bpmnFactory: useService("bpmnFactory"),
    modeling: useService("modeling"),
    debounce: useService("debounceInput"),
  };
}

// Entry factories: one preact component per kind of field, parameterised by what it reads and writes.
function textEntry(id, label, read, write, { area = false, monospace = false } = {}) {
  function Entry(props) {
    const services = useServices();
    const { element } = props;
    return h(area ? TextAreaEntry : TextFieldEntry, {
      id,
      element,
      label,
      monospace,
      rows: area ? 4 : undefined,
      debounce: services.debounce,
      getValue: () => read(getBusinessObject(element)),
      setValue: (value) => write(element, value || "", services),
    });
  }
  return { id, component: Entry, isEdited: area ? isTextAreaEntryEdited : isTextFieldEntryEdited };
}

function selectEntry(id, label, choices, read, write, description) {
  function Entry(props) {
    const services = useServices();
    const { element } = props;
    return h(SelectEntry, {
      id,
      element,
      label,
      description,
      getOptions: () => choices.map(([value, text]) => ({ value, label: text })),
      getValue: () => read(getBusinessObject(element)),
      setValue: (value) => write(element, value || "", services),
    });
  }
  return { id, component: Entry, isEdited: isSelectEntryEdited };
}

function property(name, label, options) {
  return textEntry(
    `xf-${name}`,
    label,
    (bo) => propertyOf(bo, name),
    (element, value, services) => setProperty(element, name, value, services),
    options,
  );
}

function propertySelect(name, label, choices, description) {
  return selectEntry(
    `xf-${name}`,
    label,
    choices,
    (bo) => propertyOf(bo, name),
    (element, value, services) => setProperty(element, name, value, services),
    description,
  );
}

function body(type, id, label, options) {
  return textEntry(
    id,
    label,
    (bo) => bodyOf(bo, type),
    (element, value, services) => setBody(element, type, value, services),
    options,
  );
}

function attribute(name, id, label, options) {
  return textEntry(
    id,
    label,
    (bo) => bo.get(name) || "",
    (element, value, services) => services.modeling.updateProperties(element, { [name]: value || undefined }),
    options,
  );
}

function conditionEntry(label) {
  return textEntry(
    "xf-condition",
    label,
    (bo) => (bo.conditionExpression && bo.conditionExpression.body) || "",
    (element, value, services) => {
      const expression = value
        ? services.bpmnFactory.create("bpmn:FormalExpression", { body: value })
        : undefined;
      services.modeling.updateProperties(element, { conditionExpression: expression });
    },
    { area: true, monospace: true },
  );
}

function withNone(pairs, texts) {
  return [["", texts.none], ...pairs];
}

function groupsFor(element, config) {
  const { texts, options } = config;
  const forms = withNone(options.forms.map((name) => [name, name]), texts);
  const groups = [];
  const add = (id, label, entries) => groups.push({ id, label, entries: entries.map((e) => ({ ...e, element })) });
  if (is(element, "bpmn:Lane")) {
    add("xianfeng-lane", texts.group_lane, [
      selectEntry("xf-lane-role", texts.role, withNone(options.roles, texts), (bo) => bo.name || "",
        (el, value, services) => services.modeling.updateProperties(el, { name: value })),
    ]);
  }
  if (is(element, "bpmn:UserTask")) {
    add("xianfeng-task", texts.group_task, [
      propertySelect("formJsonSchemaFilename", texts.form, forms, texts.batch_hint),
      body("spiffworkflow:InstructionsForEndUser", "xf-instructions", texts.instructions, { area: true }),
      body("spiffworkflow:VariableName", "xf-variable", texts.variableName),
      property("dueInWorkingDays", texts.dueInWorkingDays),
      property("dueAt", texts.dueAt),
      property("remindBeforeWorkingDays", texts.remindBeforeWorkingDays),
      propertySelect("escalateTo", texts.escalateTo, withNone(options.escalation, texts)),
      property("assignee", texts.assignee),
      property("returnTargets", texts.returnTargets),
    ]);
  }
  if (is(element, "bpmn:StartEvent")) {
    add("xianfeng-start", texts.group_start, [
      propertySelect("formJsonSchemaFilename", texts.form, forms),
      property("cycle", texts.cycle),
      propertySelect("startFor", texts.startFor, withNone(options.subjects, texts)),
    ]);
  }
  if (is(element, "bpmn:ScriptTask")) {
    add("xianfeng-script", texts.group_script, [attribute("script", "xf-script", texts.script, { area: true, monospace: true })]);
  }
  if (is(element, "bpmn:SequenceFlow")) {
    add("xianfeng-condition", texts.group_condition, [conditionEntry(texts.condition)]);
  }
  if (is(element, "bpmn:CallActivity")) {
    const processes = withNone(options.processes.map((key) => [key, key]), texts);
    add("xianfeng-call", texts.group_call, [
      selectEntry("xf-called", texts.calledElement, processes, (bo) => bo.calledElement || "",
        (el, value, services) => services.modeling.updateProperties(el, { calledElement: value || undefined })),
    ]);
  }
  if (is(element, "bpmn:BusinessRuleTask")) {
    add("xianfeng-decision", texts.group_decision, [
      body("spiffworkflow:CalledDecisionId", "xf-decision", texts.calledDecisionId),
    ]);
  }
  if (is(element, "bpmn:EndEvent")) {
    add("xianfeng-end", texts.group_end, [property("outcome", texts.outcome)]);
  }
  if (is(element, "bpmn:FlowNode")) {
    add("xianfeng-names", texts.group_names, [property("nameEn", texts.nameEn)]);
  }
  return groups;
}

export function providerModule(config) {
  function XianfengPropertiesProvider(propertiesPanel) {
    propertiesPanel.registerProvider(500, this);
  }
  XianfengPropertiesProvider.$inject = ["propertiesPanel"];
  XianfengPropertiesProvider.prototype.getGroups = function getGroups(element) {
    return (groups) => [...groupsFor(element, config), ...groups];
  };
  return {
    __init__: ["xianfengPropertiesProvider"],
    xianfengPropertiesProvider: ["type", XianfengPropertiesProvider],
  };
}
