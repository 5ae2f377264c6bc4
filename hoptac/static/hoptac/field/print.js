// Printing a record on a Bluetooth thermal printer (58 mm, ESC/POS) through Web Bluetooth,
// where the browser allows it (Chrome on Android and desktop; not Firefox, not iOS). The
// text goes without diacritics: most cheap printers have no Vietnamese code page, and
// "Giang Thi My" reads better than question marks.

// The BLE "serial" services that cheap ESC/POS printers expose, and their write
// characteristics, most common first.
const SERVICES = [
  "000018f0-0000-1000-8000-00805f9b34fb",
  "0000ff00-0000-1000-8000-00805f9b34fb",
  "0000ffe0-0000-1000-8000-00805f9b34fb",
  "e7810a71-73ae-499d-8c15-faa9aef0c3f2",
  "49535343-fe7d-4ae5-8fa9-9fafd205e455",
];

const WIDTH = 32; // characters on a 58 mm roll in the printer's normal font

export function bluetoothAvailable() {
  return !!(globalThis.navigator && navigator.bluetooth && navigator.bluetooth.requestDevice);
}

// Text as the printer can show it: no diacritics (đ -> d), printable ASCII only.
export function plain(text) {
  return String(text == null ? "" : text)
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/₫/g, "d")
    .replace(/[^\x20-\x7e\n]/g, "?");
}

// "Tong        1.250.000" on one line of the roll.
export function row(left, right) {
  const l = plain(left);
  const r = plain(right);
  const space = WIDTH - l.length - r.length;
  if (space >= 1) return l + " ".repeat(space) + r;
  return l + "\n" + " ".repeat(Math.max(0, WIDTH - r.length)) + r;
}

const ESC = 0x1b;
const GS = 0x1d;

// The bytes of a receipt: `blocks` is a list of {text, big, centre, bold} or strings.
export function escpos(blocks) {
  const bytes = [ESC, 0x40]; // initialise
  for (const block of blocks) {
    const b = typeof block === "string" ? { text: block } : block;
    bytes.push(ESC, 0x61, b.centre ? 1 : 0); // align
    bytes.push(ESC, 0x45, b.bold || b.big ? 1 : 0); // bold
    bytes.push(GS, 0x21, b.big ? 0x11 : 0x00); // double width and height
    for (const ch of plain(b.text) + "\n") bytes.push(ch.charCodeAt(0));
  }
  bytes.push(GS, 0x21, 0, ESC, 0x45, 0, ESC, 0x61, 0);
  bytes.push(0x0a, 0x0a, 0x0a); // feed past the cutter
  return new Uint8Array(bytes);
}

let remembered = null; // the printer chosen in this visit: the next print needs no choosing

async function writable(server) {
  for (const uuid of SERVICES) {
    try {
      const service = await server.getPrimaryService(uuid);
      for (const ch of await service.getCharacteristics()) {
        if (ch.properties.write || ch.properties.writeWithoutResponse) return ch;
      }
    } catch {
      // not this service
    }
  }
  throw new Error("no printing service on this device");
}

// Sends `bytes` to a printer the collector picks (the browser shows its own list).
export async function printBluetooth(bytes) {
  if (!bluetoothAvailable()) throw new Error("Web Bluetooth is not available");
  let device = remembered;
  if (!device) {
    device = await navigator.bluetooth.requestDevice({ acceptAllDevices: true, optionalServices: SERVICES });
  }
  const server = device.gatt.connected ? device.gatt : await device.gatt.connect();
  const characteristic = await writable(server);
  remembered = device;
  const chunk = 100;
  for (let i = 0; i < bytes.length; i += chunk) {
    const part = bytes.slice(i, i + chunk);
    if (characteristic.properties.writeWithoutResponse && characteristic.writeValueWithoutResponse) {
      await characteristic.writeValueWithoutResponse(part);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } else {
      await characteristic.writeValue(part);
    }
  }
}
