// A minimal XML reader for URDF: elements and attributes only (text content, CDATA and DTDs are
// not needed by URDF and are rejected or skipped). No XML package is installed; URDF is a small,
// regular subset, so forty lines beat a dependency.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

export class XmlError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = "XmlError";
  }
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENTITIES[e]!);

export function parseXml(text: string, source = "xml"): XmlElement {
  const root: XmlElement = { name: "#document", attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<\/([\w:.-]+)\s*>|<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|[^<]+|</g;
  const attr = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (const m of text.matchAll(token)) {
    const [whole, close, open, attrText, selfClose] = m;
    const line = () => text.slice(0, m.index).split("\n").length;
    if (close !== undefined) {
      const top = stack.pop();
      if (!top || top === root || top.name !== close) {
        throw new XmlError(source, `line ${line()}: </${close}> closes <${top?.name ?? "nothing"}>`);
      }
    } else if (open !== undefined) {
      const el: XmlElement = { name: open, attrs: {}, children: [] };
      for (const a of (attrText ?? "").matchAll(attr)) el.attrs[a[1]!] = decode(a[2] ?? a[3] ?? "");
      stack[stack.length - 1]!.children.push(el);
      if (selfClose !== "/") stack.push(el);
    } else if (whole === "<") {
      throw new XmlError(source, `line ${line()}: malformed tag`);
    } else if (whole.startsWith("<![CDATA[")) {
      throw new XmlError(source, `line ${line()}: CDATA is not supported`);
    }
    // comments, processing instructions, DOCTYPE and text are skipped
  }
  if (stack.length !== 1) throw new XmlError(source, `<${stack[stack.length - 1]!.name}> is never closed`);
  if (root.children.length !== 1) throw new XmlError(source, `expected one root element, found ${root.children.length}`);
  return root.children[0]!;
}

export const child = (el: XmlElement, name: string): XmlElement | undefined => el.children.find((c) => c.name === name);
export const childrenNamed = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name);
