/**
 * The editor of a secret's data: one row per key with a text value, or a
 * JSON text for data whose values are not all strings.
 */
import { h } from '../dom.js';

/** The editor's element and the controls its value is read from. */
export interface Editor {
  element: HTMLElement;
  rows: HTMLElement;
  json: HTMLTextAreaElement;
  mode(): 'rows' | 'json';
}

/**
 * Builds an editor holding `data`; rows when every value is a string, JSON
 * otherwise. `onError` gets the reason a switch from invalid JSON to rows fails.
 */
export function editor(data: Record<string, unknown>, onError: (err: unknown) => void): Editor {
  const rows = h('div', { class: 'rows' });
  const json = h('textarea', { name: 'json', rows: 10, spellcheck: 'false', 'aria-label': 'secret data as JSON' });
  json.value = JSON.stringify(data, null, 2);
  let mode: 'rows' | 'json' = Object.values(data).every((value) => typeof value === 'string') ? 'rows' : 'json';

  const entries = Object.entries(data);
  for (const [key, value] of entries.length === 0 ? [['', '']] : entries) rows.append(row(key, String(value)));
  const add = h('button', { type: 'button', class: 'secondary', onclick: () => rows.append(row('', '')) }, 'Add field');
  const rowsPart = h('div', null, rows, add);
  const jsonPart = h('div', null, json);
  const toggle = h('button', { type: 'button', class: 'link' }, '');

  const show = (): void => {
    rowsPart.hidden = mode !== 'rows';
    jsonPart.hidden = mode !== 'json';
    toggle.textContent = mode === 'rows' ? 'Edit as JSON' : 'Edit as fields';
  };
  toggle.addEventListener('click', () => {
    // Carry the data over, so switching keeps what was typed.
    try {
      if (mode === 'rows') json.value = JSON.stringify(rowsData(rows), null, 2);
      else {
        const parsed = parseJson(json.value);
        rows.replaceChildren(...Object.entries(parsed).map(([key, value]) => row(key, typeof value === 'string' ? value : JSON.stringify(value))));
      }
    } catch (err) {
      // Stay in the current mode, so the text that failed can be fixed.
      onError(err);
      return;
    }
    mode = mode === 'rows' ? 'json' : 'rows';
    show();
  });
  show();
  return { element: h('fieldset', null, h('legend', null, 'Data'), rowsPart, jsonPart, toggle), rows, json, mode: () => mode };
}

/**
 * Returns the data the editor holds.
 * @throws Error naming the problem: a duplicate or empty key, or invalid JSON.
 */
export function readEditor(editor: Editor): Record<string, unknown> {
  const data = editor.mode() === 'json' ? parseJson(editor.json.value) : rowsData(editor.rows);
  if (Object.keys(data).length === 0) throw new Error('Add at least one key and value.');
  return data;
}

function row(key: string, value: string): HTMLElement {
  const remove = h('button', { type: 'button', class: 'link', 'aria-label': 'remove field' }, 'Remove');
  const element = h(
    'div',
    { class: 'row' },
    h('input', { name: 'key', value: key, placeholder: 'key', 'aria-label': 'key' }),
    h('input', { name: 'value', value, placeholder: 'value', type: 'password', autocomplete: 'off', 'aria-label': 'value' }),
    remove,
  );
  remove.addEventListener('click', () => element.remove());
  return element;
}

function rowsData(rows: HTMLElement): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const element of rows.querySelectorAll('.row')) {
    const [keyInput, valueInput] = element.querySelectorAll('input');
    // A row left blank, like the one a new secret starts with, is skipped.
    if (keyInput.value.trim() === '' && valueInput.value === '') continue;
    const key = keyInput.value.trim();
    if (key === '') throw new Error(`A value has no key: give every value a key, or remove its row.`);
    if (Object.hasOwn(data, key)) throw new Error(`The key "${key}" appears twice.`);
    data[key] = valueInput.value;
  }
  return data;
}

function parseJson(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`The JSON is invalid: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('The JSON must be an object of keys and values.');
  return parsed as Record<string, unknown>;
}
