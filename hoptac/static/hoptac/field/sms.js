// The SMS hand-over of a field record: one text of at most 160 GSM-7 characters to the
// cooperative's inbound number, read by the server's hoptac/sync/smsform.py (the form is
// described there and in docs/sync-protocol.md; the two are tested against each other).
//
//   import { encodeRecord, smsLink, canEncode } from "./sms.js";
//   try {
//     const text = encodeRecord(record, { smsKey: device.sms_key, coopCode });
//     location.href = smsLink(device.sms_number, text);   // opens the phone's SMS app
//   } catch (err) { /* err.code: "too_long" | "unsupported": wait for data */ }
//
// encodeRecord checks that the text reads back as exactly the record it was given (same
// key, kind, number, time and body), so a record sent by SMS and pushed later through the
// API is one record. It is synchronous and needs no secure context (SHA-256 and HMAC are
// written here: crypto.subtle is asynchronous and missing on plain http).

export const FORM = "HT1";
export const MAX_LENGTH = 160;
const CHECK_LENGTH = 8;
const KIND_LETTER = { receipt: "R", advance: "A", loan: "L", household: "H" };
const LETTER_KIND = { R: "receipt", A: "advance", L: "loan", H: "household" };
const FIELDS = {
  receipt: [["member", "uuid"], ["point", "int"], ["total", "int"], ["note", "str"]],
  advance: [["member", "uuid"], ["amount", "int"], ["memo", "str"]],
  loan: [["member", "uuid"], ["item", "str"], ["qty", "str"], ["unit", "str"], ["value", "int"], ["memo", "str"]],
  household: [["name", "str"], ["phone", "str"], ["village", "str"], ["commune", "int"],
    ["gender", "str"], ["ethnicity", "str"], ["birth_year", "int"]],
};
const LINE_FIELDS = [["product", "int"], ["grade", "int"], ["qty", "str"], ["unit", "str"],
  ["ded", "str"], ["price", "int"]];
const EMPTY = "=-";
const HOME_OFFSET = "+07:00";
const VI_LETTERS = Array.from(
  "àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬèéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆìíỉĩịÌÍỈĨỊòóỏõọơờớởỡợôồốổỗộ" +
  "ÒÓỎÕỌƠỜỚỞỠỢÔỒỐỔỖỘùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰỳýỷỹỵỲÝỶỸỴđĐ");
const VI_CODES = (
  "a1a2a3a4a5a6a7a8a9aaabacadaeafagahA1A2A3A4A5A6A7A8A9AaAbAcAdAeAfAgAhe1e2e3e4e5ecedeeefegeh" +
  "E1E2E3E4E5EcEdEeEfEgEhi1i2i3i4i5I1I2I3I4I5o1o2o3o4o5o6o7o8o9oaobocodoeofogohO1O2O3O4O5O6" +
  "O7O8O9OaObOcOdOeOfOgOhu1u2u3u4u5u6u7u8u9uaubU1U2U3U4U5U6U7U8U9UaUby1y2y3y4y5Y1Y2Y3Y4Y5diDi"
).match(/../g);
const TO_CODE = new Map(VI_LETTERS.map((ch, i) => [ch, VI_CODES[i]]));
const FROM_CODE = new Map(VI_LETTERS.map((ch, i) => [VI_CODES[i], ch]));
const PLAIN = new Set(
  "!\"#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const AT_RE = /^20(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?(Z|[+-]\d\d:\d\d)$/;
const TIME_RE = /^(\d{12})(\d{3})?(Z|[+-]\d{4})?$/;

export class SmsFormError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // "unsupported" | "too_long" | "malformed" | "not_form"
  }
}

const fail = (code, message) => { throw new SmsFormError(code, message); };

// --- SHA-256 and HMAC (FIPS 180-4, RFC 2104) ---------------------------------------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(bytes) {
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const total = Math.ceil((bytes.length + 9) / 64) * 64;
  const data = new Uint8Array(total);
  data.set(bytes);
  data[bytes.length] = 0x80;
  const view = new DataView(data.buffer);
  view.setUint32(total - 8, Math.floor(bytes.length / 0x20000000));
  view.setUint32(total - 4, (bytes.length * 8) >>> 0);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]);
  return out;
}

export function hmacSha256(key, message) {
  let k = key.length > 64 ? sha256(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

function base32(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

function unbase32(text) {
  if (!/^[A-Z2-7]{26}$/.test(text)) fail("malformed", "not a key");
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (value !== 0) fail("malformed", "not a key");
  return bytes;
}

const utf8 = (text) => new TextEncoder().encode(text);

export function checkCode(signed, smsKey) {
  return base32(hmacSha256(utf8(smsKey), utf8(signed))).slice(0, CHECK_LENGTH);
}

// --- values ------------------------------------------------------------------------------------

function intOut(value) {
  if (value === null) return "-";
  if (typeof value !== "number" || !Number.isSafeInteger(value)) fail("unsupported", "not an integer");
  return value.toString(36).toUpperCase();
}

function intIn(token) {
  if (token === "-") return null;
  const digits = token.replace(/^-/, "");
  if (!/^-?[0-9A-Z]+$/.test(token) || token === "-0" || (digits.length > 1 && digits[0] === "0")
      || digits.length > 11) {
    fail("malformed", "not a number");
  }
  return parseInt(token, 36);
}

function uuidOut(value) {
  if (typeof value !== "string" || !UUID_RE.test(value)) fail("unsupported", "not a UUID");
  const hex = value.replace(/-/g, "");
  const bytes = [];
  for (let i = 0; i < 32; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return base32(bytes);
}

function uuidIn(token) {
  const hex = unbase32(token).map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function strOut(value) {
  if (typeof value !== "string") fail("unsupported", "not a text");
  if (value === "") return EMPTY;
  let out = "";
  for (const ch of value) {
    if (PLAIN.has(ch)) out += ch;
    else if (ch === " ") out += "_";
    else if (ch === "=" || ch === "_" || ch === ",") out += "=" + ch;
    else if (TO_CODE.has(ch)) out += "=" + TO_CODE.get(ch);
    else fail("unsupported", `a character the SMS form cannot carry: ${ch}`);
  }
  return out;
}

function strIn(token) {
  if (token === EMPTY) return "";
  let out = "";
  for (let i = 0; i < token.length;) {
    const ch = token[i];
    if (ch === "_") { out += " "; i += 1; }
    else if (ch === "=") {
      const next = token[i + 1];
      if (next === "=" || next === "_" || next === ",") { out += next; i += 2; }
      else if (FROM_CODE.has(token.slice(i + 1, i + 3))) { out += FROM_CODE.get(token.slice(i + 1, i + 3)); i += 3; }
      else fail("malformed", "a bad escape");
    } else if (PLAIN.has(ch)) { out += ch; i += 1; }
    else fail("malformed", "an unexpected character");
  }
  return out;
}

function timeOut(value) {
  const m = typeof value === "string" ? AT_RE.exec(value) : null;
  if (!m) fail("unsupported", "a time the SMS form cannot carry");
  const zone = m[8] === HOME_OFFSET ? "" : m[8].replace(":", "");
  return m.slice(1, 7).join("") + (m[7] || "") + zone;
}

function timeIn(token) {
  const m = TIME_RE.exec(token);
  if (!m) fail("malformed", "not a time");
  const d = m[1].match(/../g);
  const zone = m[3] === undefined ? HOME_OFFSET : m[3] === "Z" ? "Z" : `${m[3].slice(0, 3)}:${m[3].slice(3)}`;
  return `20${d[0]}-${d[1]}-${d[2]}T${d[3]}:${d[4]}:${d[5]}` + (m[2] ? `.${m[2]}` : "") + zone;
}

const OUT = { uuid: uuidOut, int: intOut, str: strOut };
const IN = { uuid: uuidIn, int: intIn, str: strIn };

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function fieldsOut(body, fields) {
  if (!isPlainObject(body)) fail("unsupported", "not an object");
  const names = Object.keys(body).sort().join(",");
  if (names !== fields.map(([name]) => name).sort().join(",")) {
    fail("unsupported", "the fields are not those the SMS form carries");
  }
  return fields.map(([name, type]) => OUT[type](body[name]));
}

function fieldsIn(tokens, fields) {
  const body = {};
  fields.forEach(([name, type], i) => { body[name] = IN[type](tokens[i]); });
  return body;
}

function splitLine(token) {
  const parts = [];
  let current = "";
  for (let i = 0; i < token.length;) {
    if (token[i] === "=") { current += token.slice(i, i + 2); i += 2; }
    else if (token[i] === ",") { parts.push(current); current = ""; i += 1; }
    else { current += token[i]; i += 1; }
  }
  parts.push(current);
  return parts;
}

// --- the whole text ----------------------------------------------------------------------------

function sameJson(a, b) {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isPlainObject(a)) {
    const keys = Object.keys(a);
    return isPlainObject(b) && keys.length === Object.keys(b).length
      && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
  }
  return a === b;
}

/** The text of the SMS that hands `record` over ({key, kind, no, at, body} as in the
 * protocol; the phone's other fields — state, tries… — are left out). Throws SmsFormError
 * ("unsupported" or "too_long") when the record cannot go as one SMS: it then waits for
 * data. `coopCode` is accepted for the interface; the form does not need it (the server
 * finds the device by the sender's phone, the prefix and the check code). */
export function encodeRecord(record, { smsKey, coopCode = "" } = {}) {
  void coopCode;
  if (!isPlainObject(record)) fail("unsupported", "not a record");
  if (typeof smsKey !== "string" || !smsKey) fail("unsupported", "the device has no SMS key");
  const { key, kind, no, at, body } = record;
  if (!(kind in KIND_LETTER)) fail("unsupported", "a kind the SMS form cannot carry");
  if (typeof no !== "string" || !no.includes("-")) fail("unsupported", "a number without the prefix");
  const tokens = [FORM, KIND_LETTER[kind] + strOut(no), uuidOut(key), timeOut(at)];
  if (kind === "receipt") {
    if (!isPlainObject(body) || !Array.isArray(body.lines) || !body.lines.length) {
      fail("unsupported", "a receipt without lines");
    }
    const { lines, ...rest } = body;
    tokens.push(...fieldsOut(rest, FIELDS.receipt));
    for (const line of lines) tokens.push(fieldsOut(line, LINE_FIELDS).join(","));
  } else {
    tokens.push(...fieldsOut(body, FIELDS[kind]));
  }
  const signed = tokens.join(" ");
  const text = `${signed} ${checkCode(signed, smsKey)}`;
  if (text.length > MAX_LENGTH) fail("too_long", `${text.length} characters, more than one SMS`);
  const back = decodeText(text).record;
  const sent = { key, kind, no, at, body };
  if (!sameJson(back, sent)) fail("unsupported", "the record does not read back the same");
  return text;
}

/** Whether `record` can be handed over as one SMS (the "Send by SMS" button's test). */
export function canEncode(record, options) {
  try {
    encodeRecord(record, options);
    return true;
  } catch (err) {
    if (err instanceof SmsFormError) return false;
    throw err;
  }
}

/** Read a text of the form (as the server does; the check code is not verified). */
export function decodeText(text) {
  const tokens = text.trim().split(" ");
  if (tokens[0].toUpperCase() !== FORM) fail("not_form", "not a field record");
  if (tokens.length < 5) fail("malformed", "too few parts");
  const check = tokens[tokens.length - 1];
  const head = tokens[1];
  const kind = LETTER_KIND[head[0]];
  if (!kind) fail("malformed", "an unknown kind");
  const no = strIn(head.slice(1));
  const values = tokens.slice(4, -1);
  const fields = FIELDS[kind];
  let body;
  if (kind === "receipt") {
    if (values.length <= fields.length) fail("malformed", "a receipt without lines");
    body = fieldsIn(values.slice(0, fields.length), fields);
    body.lines = values.slice(fields.length).map((token) => {
      const parts = splitLine(token);
      if (parts.length !== LINE_FIELDS.length) fail("malformed", "a line that cannot be read");
      return fieldsIn(parts, LINE_FIELDS);
    });
  } else {
    if (values.length !== fields.length) fail("malformed", "wrong number of fields");
    body = fieldsIn(values, fields);
  }
  return { record: { key: uuidIn(tokens[2]), kind, no, at: timeIn(tokens[3]), body }, check };
}

/** An `sms:` link that opens the phone's SMS app with the text filled in (Android's form,
 * `?body=`, which iOS reads too). */
export function smsLink(number, text) {
  const to = String(number || "").replace(/[^0-9+]/g, "");
  return `sms:${to}?body=${encodeURIComponent(text)}`;
}
