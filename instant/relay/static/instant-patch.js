// instant-patch.js: apply instant.relay's patch stream to a plain value, live.
//
// No dependencies and no build step: an ES module to serve as it is (the Python package
// ships it: instant.relay.javascript() gives its text).
//
//   import { subscribe } from "/instant-patch.js";
//   subscribe("/stream", {
//     onMessage(ops, doc) { ... },     // after each event's operations: render here
//     onChange(change, doc) { ... },   // after each operation: {op, path, value}, the document
//     onDone(path, value) { ... },     // a value is complete (see PatchDocument)
//     onEnd(doc) { ... },              // the stream's "end" event: the final document
//   });
//
// Operations: RFC 6902 "add", "replace" and "remove", and "append": {"op": "append",
// "path": "/answer", "value": "more text"} puts the text at the end of the string there.
// Paths are JSON Pointers; "-" as the last token of an "add" is a new array item.

const INDEX = /^(0|[1-9][0-9]*)$/;
const own = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

/** The reference tokens of a JSON Pointer ("" is the whole document). */
export function parsePointer(pointer) {
  if (pointer === "") return [];
  if (typeof pointer !== "string" || pointer[0] !== "/") {
    throw new Error(`not a JSON Pointer: ${JSON.stringify(pointer)}`);
  }
  return pointer
    .slice(1)
    .split("/")
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new Error(`bad '~' escape in ${pointer}`);
      return token.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

// "__proto__" is a key like any other in JSON: store it as an own property, never as the
// object's prototype (what plain assignment would do).
function setMember(object, key, value) {
  if (key === "__proto__") {
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = value;
  }
}

function child(node, token, pointer) {
  if (Array.isArray(node)) {
    if (!INDEX.test(token) || Number(token) >= node.length) {
      throw new Error(`${pointer}: no array item ${token}`);
    }
    return node[Number(token)];
  }
  if (node !== null && typeof node === "object" && own(node, token)) return node[token];
  throw new Error(`${pointer}: no member ${JSON.stringify(token)}`);
}

/**
 * Apply one operation to `doc`; returns [the new document, the path it resolved to].
 * Containers change in place; an operation at "" replaces the whole document.
 */
export function applyOperation(doc, op) {
  const { op: kind, path: pointer, value } = op;
  if (!["add", "replace", "remove", "append"].includes(kind)) {
    throw new Error(`unsupported operation ${JSON.stringify(kind)}`);
  }
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) {
    if (kind === "remove") return [null, []];
    if (kind === "append") {
      if (typeof doc !== "string") throw new Error("append to a value that is not a string");
      return [doc + value, []];
    }
    return [value, []];
  }
  let node = doc;
  const path = []; // the resolved path: array indexes as numbers
  for (const token of tokens.slice(0, -1)) {
    const key = Array.isArray(node) ? Number(token) : token;
    node = child(node, token, pointer);
    path.push(key);
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(node)) {
    if (kind === "add" && last === "-") {
      node.push(value);
      path.push(node.length - 1);
      return [doc, path];
    }
    const limit = kind === "add" ? node.length + 1 : node.length;
    if (!INDEX.test(last) || Number(last) >= limit) throw new Error(`${pointer}: index out of range`);
    const i = Number(last);
    if (kind === "add") node.splice(i, 0, value);
    else if (kind === "remove") node.splice(i, 1);
    else if (kind === "replace") node[i] = value;
    else if (typeof node[i] === "string") node[i] += value;
    else throw new Error(`${pointer}: append to a value that is not a string`);
    path.push(i);
    return [doc, path];
  }
  if (node === null || typeof node !== "object") throw new Error(`${pointer}: no container there`);
  if (kind !== "add" && !own(node, last)) throw new Error(`${pointer}: no member ${JSON.stringify(last)}`);
  if (kind === "remove") delete node[last];
  else if (kind === "append") {
    if (typeof node[last] !== "string") throw new Error(`${pointer}: append to a value that is not a string`);
    node[last] += value;
  } else setMember(node, last, value);
  path.push(last);
  return [doc, path];
}

/** Apply a list of operations to `doc` and return the new document. */
export function applyPatch(doc, ops) {
  for (const op of ops) [doc] = applyOperation(doc, op);
  return doc;
}

function valueAt(doc, path) {
  let node = doc;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !own(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/**
 * A document kept up to date by a patch stream, with a callback per change and one per
 * completed value.
 *
 * instant sends operations in document order, so a value is complete once an operation
 * lands outside it, or replaces it, or the stream ends (finish()): onDone(path, value) is
 * called then, innermost first, e.g. for each item of a list as the next one begins.
 */
export class PatchDocument {
  constructor({ onChange, onDone } = {}) {
    this.value = null;
    this.onChange = onChange;
    this.onDone = onDone;
    this._last = null; // the resolved path of the last operation
  }

  apply(ops) {
    for (const op of ops) this.applyOperation(op);
    return this.value;
  }

  applyOperation(op) {
    const tokens = parsePointer(op.path);
    if (this._last !== null && this.onDone) this._completed(tokens, op.op);
    const [value, path] = applyOperation(this.value, op);
    this.value = value;
    this._last = path;
    if (this.onChange) this.onChange({ op: op.op, path, value: valueAt(value, path) }, value);
    return value;
  }

  /** The stream ended: everything on the last path is complete, the root last. */
  finish() {
    if (this._last !== null && this.onDone) this._report(this._last, 0);
    this._last = null;
    return this.value;
  }

  _completed(tokens, kind) {
    const last = this._last;
    let k = 0; // how many leading tokens the new operation shares with the last path
    while (k < last.length && k < tokens.length && String(last[k]) === tokens[k]) k++;
    if (k === tokens.length && k === last.length && (kind === "append" || kind === "replace")) {
      return; // the same string goes on
    }
    // a value written at the last path or above it replaces the old one: complete too
    this._report(last, k === tokens.length ? k : k + 1);
  }

  _report(path, depth) {
    for (let i = path.length; i >= depth; i--) {
      const prefix = path.slice(0, i);
      this.onDone(prefix, valueAt(this.value, prefix));
    }
  }
}

/**
 * Follow a patch stream sent as Server-Sent Events (each event's data: a JSON list of
 * operations, as instant.relay.sse(json_patch(events), end="end") sends it):
 * onChange per operation, onMessage(ops, doc) per event, onDone per completed value,
 * onEnd(doc) at the end event.
 * Returns {document, source, close}; reconnects (with Last-Event-ID) as EventSource does.
 */
export function subscribe(url, { onChange, onMessage, onDone, onEnd, onError, end = "end" } = {}) {
  const document = new PatchDocument({ onChange, onDone });
  const source = new EventSource(url);
  source.onmessage = (event) => {
    const ops = JSON.parse(event.data);
    document.apply(ops);
    if (onMessage) onMessage(ops, document.value);
  };
  source.addEventListener(end, () => {
    source.close();
    document.finish();
    if (onEnd) onEnd(document.value);
  });
  if (onError) source.onerror = onError;
  return { document, source, close: () => source.close() };
}

/**
 * Read a streamed text response (instant.relay.text()) as it arrives:
 * onText(piece, textSoFar) for each piece, then onEnd(text).
 */
export async function streamText(url, { onText, onEnd } = {}) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    const piece = decoder.decode(value, { stream: !done });
    if (piece) {
      text += piece;
      if (onText) onText(piece, text);
    }
    if (done) break;
  }
  if (onEnd) onEnd(text);
  return text;
}
