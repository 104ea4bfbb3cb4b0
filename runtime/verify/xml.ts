import { XMLParser } from 'fast-xml-parser';

/**
 * Parses an XML body (SOAP) into a plain document that JSON Pointers read: namespace prefixes are
 * dropped (`/Envelope/Body/notifications`), attributes are kept under `@_name`. A DOCTYPE is refused
 * outright: SOAP forbids it, and it is where entity expansion ("billion laughs") and external
 * entities come from. Predefined, numeric and HTML named entities are decoded; none can be declared.
 */
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // Numeric references (&#65;) are decoded only with this on; it adds HTML's named ones, harmless here.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export function parseXml(text: string): unknown {
  if (/<!DOCTYPE/i.test(text)) throw new Error('XML with a DOCTYPE is refused (entity expansion and external entities)');
  if (!/^\s*(<\?xml[^>]*\?>\s*)?</.test(text)) throw new Error('the body is not XML');
  return parser.parse(text, true);
}
