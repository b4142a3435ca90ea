// The reference page's script (no inline script: the page's CSP allows only
// its own origin). Redoc renders the OpenAPI document; the socket protocol
// (AsyncAPI, which Redoc 2 does not render) is listed here from its document:
// every message, its direction, what it is, its fields and an example.
/* global Redoc */
(function () {
  "use strict";
  const redoc = document.getElementById("redoc");
  if (typeof Redoc !== "undefined" && redoc) {
    // No search: its worker would need a blob: URL the CSP does not allow.
    // The nonce: Redoc's styles are <style> elements, which the CSP allows with this response's nonce only.
    Redoc.init(redoc.dataset.spec, { disableSearch: true, expandResponses: "200,201", nonce: redoc.dataset.nonce }, redoc);
  }

  const section = document.getElementById("socket-protocol");
  const element = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  };
  const resolve = (document, ref) => ref.replace(/^#\//, "").split("/").reduce((node, key) => (node ? node[key] : undefined), document);

  function fieldsOf(document, schema) {
    const table = element("table");
    const head = table.createTHead().insertRow();
    for (const title of ["field", "type", "required", "description"]) head.appendChild(element("th", title));
    const required = new Set(schema.required || []);
    for (const [name, property] of Object.entries(schema.properties || {})) {
      const row = table.insertRow();
      const target = property.$ref ? resolve(document, property.$ref) : property;
      const type = property.$ref ? property.$ref.split("/").pop()
        : property.const !== undefined ? JSON.stringify(property.const)
        : property.type === "array" && property.items && property.items.$ref ? `${property.items.$ref.split("/").pop()}[]`
        : [].concat(property.type || (property.anyOf ? property.anyOf.map((entry) => entry.type || "object") : "any")).join(" | ");
      row.insertCell().appendChild(element("code", name));
      row.insertCell().appendChild(element("code", type));
      row.insertCell().textContent = required.has(name) ? "yes" : "";
      row.insertCell().textContent = property.description || (target && target.description) || "";
    }
    return table;
  }

  async function renderSocket() {
    const response = await fetch(section.dataset.spec, { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`${section.dataset.spec}: HTTP ${response.status}`);
    const doc = await response.json();
    section.replaceChildren(element("h2", doc.info.title));
    const channel = doc.channels.react;
    section.appendChild(element("p")).appendChild(element("code", `GET ${channel.address} (WebSocket upgrade)`));
    section.appendChild(element("pre", channel.description));
    for (const operation of Object.values(doc.operations)) {
      section.appendChild(element("h3", `${operation.title}: ${operation.action === "receive" ? "the client sends" : "the service sends"}`));
      section.appendChild(element("p", operation.summary));
      for (const ref of operation.messages) {
        const message = resolve(doc, resolve(doc, ref.$ref).$ref);
        const schema = resolve(doc, message.payload.$ref);
        const block = section.appendChild(element("article"));
        block.id = `message-${message.name}`;
        block.appendChild(element("h4")).appendChild(element("code", message.name));
        block.lastChild.append(` — ${message.title}`);
        if (message.summary) block.appendChild(element("p", message.summary));
        block.appendChild(fieldsOf(doc, schema));
        const example = message.examples && message.examples[0];
        if (example) block.appendChild(element("pre", JSON.stringify(example.payload, null, 2)));
      }
    }
  }
  if (section) {
    renderSocket().catch((error) => {
      section.appendChild(element("p", `The socket protocol document could not be loaded: ${error.message}`, "docs-error"));
    });
  }
})();
