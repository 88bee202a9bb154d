/**
 * A small element builder. Every piece of text goes in through
 * `textContent` or an attribute, never through HTML parsing, so values
 * from the server cannot inject markup.
 */

/** A child of an element: a node, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes and event handlers of an element made by {@link h}. */
export interface Props {
  [name: string]: string | number | boolean | undefined | ((event: Event) => void);
}

/**
 * Makes an element. A prop whose name starts with `on` becomes an event
 * listener, `true` sets a boolean attribute, and `false` or `undefined`
 * leaves the attribute out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

/** Appends children to an element, skipping empty ones. */
export function append(element: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces every child of an element. */
export function replace(element: Element, ...children: Child[]): void {
  element.replaceChildren();
  append(element, children);
}

/** Makes a link to a route of the UI. */
export function link(route: string, label: string, props: Props = {}): HTMLAnchorElement {
  return h('a', { ...props, href: `#${route}` }, label);
}

/** Makes a table with a header row and one row per entry of `rows`. */
export function table(headings: string[], rows: Child[][], props: Props = {}): HTMLTableElement {
  return h(
    'table',
    props,
    h('thead', null, h('tr', null, ...headings.map((heading) => h('th', null, heading)))),
    h('tbody', null, ...rows.map((cells) => h('tr', null, ...cells.map((cell) => h('td', null, cell))))),
  );
}

/** Makes a labelled form field around an input, select or textarea. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  // A wrapping label would name a select after its options too, so the control gets the label's text as its name.
  if (!control.hasAttribute('aria-label')) control.setAttribute('aria-label', label);
  return h('label', { class: 'field' }, h('span', { class: 'label' }, label), control, hint === undefined ? null : h('small', null, hint));
}

/** Returns the value of the form control named `name` in `form`, trimmed, or '' when missing. */
export function valueOf(form: HTMLFormElement, name: string): string {
  return rawValueOf(form, name).trim();
}

/**
 * Returns the value of the form control named `name` in `form` as typed, or
 * '' when missing. Passwords and text to hash use it, because spaces at
 * either end are part of them.
 */
export function rawValueOf(form: HTMLFormElement, name: string): string {
  const control = form.elements.namedItem(name);
  if (control instanceof HTMLInputElement || control instanceof HTMLTextAreaElement || control instanceof HTMLSelectElement) {
    return control.value;
  }
  return '';
}
