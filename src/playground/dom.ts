/**
 * The one way the playground makes elements: tag, class and text, never a
 * markup string, so nothing the server or the model wrote can become HTML.
 *
 * @module
 */

/** `document.createElement(tag)` with a class name and text content. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A `<button type="button">` with a class, a label and an accessible name. */
export function button(className: string, label: string, name: string, onClick: () => void): HTMLButtonElement {
  const element = h("button", className, label);
  element.type = "button";
  element.title = name;
  element.setAttribute("aria-label", name);
  element.addEventListener("click", onClick);
  return element;
}
