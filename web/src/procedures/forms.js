// 先锋: a form file in a plain text area, its JSON checked as it is typed, with a live preview drawn
// on the server by the renderer the task page uses (in Chinese and in English, one at a time).
// A text area rather than a code editor from npm: a form is a few hundred lines of JSON, and the
// check and the preview are what catch mistakes.

export class FormEditor {
  constructor({ textarea, check, preview, previewUrl, csrf, texts }) {
    this.textarea = textarea;
    this.check = check;
    this.preview = preview;
    this.previewUrl = previewUrl;
    this.csrf = csrf;
    this.texts = texts;
    this.name = "";
    this.lang = "zh_CN";
    this.rendered = null;
    this.timer = 0;
    this.onChange = () => {};
    textarea.addEventListener("input", () => {
      this.onChange();
      this.validate();
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.refresh(), 400);
    });
  }

  open(name, text) {
    this.name = name;
    this.textarea.value = text;
    this.validate();
    this.refresh();
  }

  value() {
    return this.textarea.value;
  }

  validate() {
    try {
      JSON.parse(this.textarea.value);
      this.check.textContent = "✓ JSON";
      this.check.className = "form-check ok";
      return true;
    } catch (error) {
      this.check.textContent = this.texts.json_invalid + error.message;
      this.check.className = "form-check bad";
      return false;
    }
  }

  refresh() {
    if (!this.validate()) {
      return;
    }
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.csrf) {
      headers["X-CSRFToken"] = this.csrf;
    }
    fetch(this.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers,
      body: JSON.stringify({ name: this.name, text: this.textarea.value }),
    })
      .then((response) => response.json())
      .then((answer) => this.show(answer))
      .catch((error) => this.show({ ok: false, message: String(error) }));
  }

  show(answer) {
    if (!answer.ok) {
      this.rendered = null;
      this.preview.replaceChildren();
      const p = document.createElement("p");
      p.className = "form-check bad";
      p.textContent = this.texts.preview_failed + (answer.message || "");
      this.preview.append(p);
      return;
    }
    this.rendered = answer;
    this.draw();
  }

  draw() {
    this.preview.replaceChildren();
    const switcher = document.createElement("div");
    switcher.className = "preview-langs";
    for (const [code, text] of [["zh_CN", "中文"], ["en", "English"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.setAttribute("aria-pressed", String(code === this.lang));
      button.addEventListener("click", () => {
        this.lang = code;
        this.draw();
      });
      switcher.append(button);
    }
    const body = document.createElement("div");
    body.className = "preview-body";
    // The server's own rendering of the form (escaped by Jinja): no script runs from it.
    body.innerHTML = this.lang === "en" ? this.rendered.en : this.rendered.zh_CN;
    this.preview.append(switcher, body);
  }
}
