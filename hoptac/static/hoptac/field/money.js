// Numbers on the phone, exactly as the server reads and computes them
// (hoptac/lib/units.py, hoptac/lib/money.py, offtake/services.py): quantities are kept as
// whole thousandths (grams, millilitres) in BigInt, money as whole đồng, and every rounding
// is ROUND_HALF_UP, so the amount the member is shown is the amount the server records.

const DIGITS = /^[0-9]+$/;

function grouped(text) {
  // "1.250.000": a first group of 1-3 digits (not "0"), then groups of exactly three.
  const groups = text.split(".");
  return (
    groups[0].length >= 1 &&
    groups[0].length <= 3 &&
    groups[0] !== "0" &&
    groups.slice(1).every((g) => g.length === 3) &&
    groups.every((g) => DIGITS.test(g))
  );
}

// A quantity typed the Vietnamese way (units.parse_quantity): "12,5" -> "12.5",
// "1.250" -> "1250", "12.5" -> "12.5" (a dot that cannot group thousands is a decimal
// point). Returns a plain decimal string with a dot, or null when it cannot be read.
export function parseQuantity(raw) {
  let text = String(raw == null ? "" : raw).replace(/[\s\u00a0\u202f]/g, "");
  let sign = "";
  if (text[0] === "-" || text[0] === "+") {
    sign = text[0] === "-" ? "-" : "";
    text = text.slice(1);
  }
  if (!text || !/^[0-9.,]+$/.test(text)) return null;
  if ((text.match(/,/g) || []).length > 1) return null;
  const [whole, decimals] = text.split(",");
  let number;
  if (decimals !== undefined) {
    if (!decimals || !DIGITS.test(decimals) || !whole) return null;
    if (whole.includes(".") && !grouped(whole)) return null;
    number = whole.replace(/\./g, "") + "." + decimals;
  } else if (!whole.includes(".")) {
    number = whole;
  } else if (grouped(whole)) {
    number = whole.replace(/\./g, "");
  } else if ((whole.match(/\./g) || []).length === 1) {
    const [left, right] = whole.split(".");
    if (!left || !right) return null;
    number = whole;
  } else {
    return null;
  }
  return normalise(sign + number);
}

function normalise(text) {
  // "012.500" -> "12.5", "12.0" -> "12"
  let [whole, frac = ""] = text.replace(/^-/, "").split(".");
  whole = whole.replace(/^0+(?=\d)/, "");
  frac = frac.replace(/0+$/, "");
  const sign = text.startsWith("-") && (whole !== "0" || frac) ? "-" : "";
  return sign + whole + (frac ? "." + frac : "");
}

// A decimal string with at most 3 decimals as whole thousandths (BigInt); null otherwise.
export function toMilli(decimal) {
  if (decimal == null) return null;
  const match = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(String(decimal));
  if (!match) return null;
  const value = BigInt(match[2]) * 1000n + BigInt((match[3] || "").padEnd(3, "0") || "0");
  return match[1] ? -value : value;
}

// Whole thousandths back to a decimal string with a dot: 12500n -> "12.5".
export function fromMilli(milli) {
  const negative = milli < 0n;
  const abs = negative ? -milli : milli;
  const whole = abs / 1000n;
  const frac = String(abs % 1000n).padStart(3, "0").replace(/0+$/, "");
  return (negative ? "-" : "") + whole + (frac ? "." + frac : "");
}

// round(a / b) with halves away from zero, for a >= 0 and b > 0.
function divHalfUp(a, b) {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  const q = (2n * abs + b) / (2n * b);
  return negative ? -q : q;
}

// Whole đồng as typed (money.parse_vnd): "1.250.000", "1,250,000 đ", "500000". null when
// it is not a whole number of đồng.
export function parseVnd(raw) {
  let text = String(raw == null ? "" : raw).trim().toLowerCase();
  for (const suffix of ["vnđ", "vnd", "đồng", "đ", "₫"]) {
    if (text.endsWith(suffix)) {
      text = text.slice(0, -suffix.length).trim();
      break;
    }
  }
  text = text.replace(/[\s\u00a0]/g, "");
  const negative = text.startsWith("-");
  text = text.replace(/^-+/, "");
  if (!text) return null;
  const compact = text.replace(/[.,]/g, "");
  if (!DIGITS.test(compact)) return null;
  const groups = text.replace(/,/g, ".").split(".");
  if (groups.length > 1 && (groups[0].length < 1 || groups[0].length > 3 || groups.slice(1).some((g) => g.length !== 3))) {
    return null;
  }
  const value = Number(compact);
  if (!Number.isSafeInteger(value)) return null;
  return negative ? -value : value;
}

// 1250000 -> "1.250.000" (Vietnamese grouping, whatever the page's language: money on a
// receipt is read by the member).
export function formatVnd(amount) {
  const sign = amount < 0 ? "-" : "";
  return sign + String(Math.abs(Math.trunc(Number(amount)))).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

// "12.5" -> "12,5"; "1250" -> "1.250".
export function formatQuantity(decimal) {
  const [whole, frac] = String(decimal).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return frac ? `${grouped},${frac}` : grouped;
}

const MASS = { kg: [1n, 1n], lang: [1n, 10n], yen: [10n, 1n], tan: [1000n, 1n] };

// A quantity (thousandths) of `unit` in the product's base unit, kept to 3 decimals
// (units.to_base); null when the unit does not fit the base unit.
export function toBaseMilli(qtyMilli, unit, base, kgPerTa = 100) {
  if (base === "l") return unit === "l" ? qtyMilli : null;
  if (unit === "l") return null;
  if (unit === "ta") return qtyMilli * BigInt(kgPerTa);
  const factor = MASS[unit];
  if (!factor) return null;
  return divHalfUp(qtyMilli * factor[0], factor[1]);
}

// The quantity paid for after the deduction (units.net_quantity), both in thousandths:
// base × (100 − ded) / 100, kept to 3 decimals, half up.
export function netMilli(baseMilli, dedMilli) {
  return divHalfUp(baseMilli * (100000n - dedMilli), 100000n);
}

// Net quantity × price per base unit, to a whole đồng, half up (units.line_amount).
export function lineAmount(netMilliValue, price) {
  return Number(divHalfUp(netMilliValue * BigInt(price), 1000n));
}

// A whole line as the server computes it: {base, net, amount} (base and net as decimal
// strings) or {error} with the key of the UI string to show.
export function priceLine({ qty, unit, baseUnit, ded = "0", price, kgPerTa = 100 }) {
  const qtyMilli = toMilli(qty);
  if (qtyMilli === null) return { error: "tooManyDecimals" };
  if (qtyMilli <= 0n) return { error: "mustBePositive" };
  const dedMilli = toMilli(ded || "0");
  if (dedMilli === null) return { error: "tooManyDecimals" };
  if (dedMilli < 0n || dedMilli > 50000n) return { error: "deductionRange" };
  const base = toBaseMilli(qtyMilli, unit, baseUnit, kgPerTa);
  if (base === null) return { error: "unit" };
  if (base <= 0n) return { error: "mustBePositive" };
  const net = netMilli(base, dedMilli);
  if (price === null || price === undefined) return { base: fromMilli(base), net: fromMilli(net), error: "noPrice" };
  return { base: fromMilli(base), net: fromMilli(net), amount: lineAmount(net, price) };
}

// The price the phone knows for a line (offtake.services._line_price): the price in force
// for the product and grade, replaced by the member's agreement (a fixed price) or raised
// to its floor. Returns {price, rule} (price null when there is none).
export function priceFor({ prices, agreements, member, product, grade, day }) {
  const row = prices.find((p) => String(p.product) === String(product) && Number(p.grade) === Number(grade));
  let price = row ? Number(row.price) : null;
  let rule = "";
  const ids = member ? [member.id, member.uuid, member.key].filter((v) => v !== undefined && v !== null).map(String) : [];
  const agreement = agreements.find(
    (a) =>
      ids.includes(String(a.member)) &&
      String(a.product) === String(product) &&
      (!a.from || String(a.from) <= day) &&
      (!a.to || day <= String(a.to)),
  );
  if (agreement) {
    if (agreement.rule === "fixed" && agreement.fixed) {
      price = Number(agreement.fixed);
      rule = "fixed";
    } else if (price !== null && agreement.floor && Number(agreement.floor) > price) {
      price = Number(agreement.floor);
      rule = "floor";
    }
  }
  return { price, rule };
}
